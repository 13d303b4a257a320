"""HubSpot: what its catalog entry cannot say (see services/catalog/providers.py)."""

SLUG = "hubspot"
