"""WhatsApp Business (Meta Cloud API): its catalog entry plus this folder is the whole integration."""

SLUG = "whatsapp-business"
