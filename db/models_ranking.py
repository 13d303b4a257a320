"""Tables for the ranking aggregates and settings feature (registered on Base.metadata by db/models.py)."""
