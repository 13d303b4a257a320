"""Errors of the credentials feature. Messages are shown to staff and never contain a secret."""

from services.core.errors import HubError, InvalidInput


class CredentialRejected(InvalidInput):
    """The provider refused the credentials (the message says what the provider answered)."""


class ProviderUnreachable(HubError):
    """The provider could not be reached or answered with a server error."""


class ReauthRequired(HubError):
    """The provider refused the refresh token (invalid_grant): the connection must be reconnected."""


class OAuthFlowError(InvalidInput):
    """An OAuth callback that cannot complete: unknown, expired or replayed state, or a refused code."""
