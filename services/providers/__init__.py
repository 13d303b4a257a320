"""One folder per provider (``<slug>/``), found by scanning: see services/catalog/providers.py."""
