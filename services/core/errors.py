"""Domain errors raised by services; pages and the CLI show their message as is."""


class HubError(Exception):
    """Base class: the message is safe to show to staff (never contains secrets)."""


class NotFound(HubError):
    pass


class InvalidInput(HubError):
    pass


class PermissionDenied(HubError):
    pass


class DeliveryFailed(HubError):
    """An outbound delivery attempt failed (e.g. an alert webhook answered 5xx): raised by a job so the queue retries
    it with backoff. The message names the target by host or address only."""
