"""Inbound webhooks (triggers), the Zapier REST-hook API and signed outbound deliveries (issue 9)."""
