"""Hand-written executors, one module per provider; importing this package registers them."""

from services.runtime.executors.providers import activecampaign, bridge, calendly, hubspot  # noqa: F401
