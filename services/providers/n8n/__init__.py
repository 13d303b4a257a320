"""n8n: what its catalog entry cannot say (see services/catalog/providers.py)."""

SLUG = "n8n"
