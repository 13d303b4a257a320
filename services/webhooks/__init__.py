"""Inbound webhooks (triggers), provider subscriptions and outbound deliveries (issue 9); what is provider-specific
comes from the provider folders' ``webhooks.py`` through services/webhooks/hooks.py."""
