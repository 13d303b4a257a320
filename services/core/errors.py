"""Domain errors raised by services; pages and the CLI show their message as is."""


class HubError(Exception):
    """Base class: the message is safe to show to staff (never contains secrets)."""


class NotFound(HubError):
    pass


class InvalidInput(HubError):
    pass


class PermissionDenied(HubError):
    pass
