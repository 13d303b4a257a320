"""Tables for the credentials vault and connections feature (registered on Base.metadata by db/models.py)."""
