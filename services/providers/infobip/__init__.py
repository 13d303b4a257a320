"""Infobip: its catalog entry plus this folder is the whole integration (see services/catalog/providers.py)."""

SLUG = "infobip"
