"""Microsoft 365 (Microsoft Graph): its catalog entry plus this folder is the whole integration (see
services/catalog/providers.py)."""

SLUG = "microsoft-365"
