"""Tables for the build tracker feature (registered on Base.metadata by db/models.py)."""
