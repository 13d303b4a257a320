"""Typed errors of provider calls and of the credentials feature (services/connect). Each carries the
provider's own message (parsed from its documented error body), the HTTP status and the request id; never a
secret, a header or a credential. Messages are shown to staff as they are.

Every error has one of the ``CATEGORIES``; the credential errors are categories too (a refused credential or
refresh token is ``auth``, an unreachable token or check endpoint ``network``), and the ones a person can
fix by changing what they entered are also ``InvalidInput``.
"""

from __future__ import annotations

from services.core.errors import HubError, InvalidInput

CATEGORIES = ("auth", "rate_limit", "validation", "not_found", "provider", "network")


class IntegrationError(HubError):
    category = "provider"

    def __init__(self, message: str, *, status: int | None = None, provider_message: str | None = None,
                 request_id: str | None = None, retry_after: float | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status, self.provider_message, self.request_id = status, provider_message, request_id
        self.retry_after, self.attempts = retry_after, attempts

    def as_dict(self) -> dict:
        return {"category": self.category, "message": str(self), "status": self.status,
                "provider_message": self.provider_message, "request_id": self.request_id,
                "retry_after": self.retry_after}


class AuthError(IntegrationError):
    category = "auth"


class RateLimited(IntegrationError):
    category = "rate_limit"


class ValidationFailed(IntegrationError):
    category = "validation"


class NotFoundError(IntegrationError):
    category = "not_found"


class ProviderError(IntegrationError):
    category = "provider"


class NetworkError(IntegrationError):
    category = "network"


# --------------------------------------------------------------------------- the credentials feature (connect)

class CredentialRejected(AuthError, InvalidInput):
    """The provider refused the credentials (the message says what the provider answered)."""


class ProviderUnreachable(NetworkError):
    """The provider could not be reached or answered with a server error."""


class ReauthRequired(AuthError):
    """The provider refused the refresh token (invalid_grant): the connection must be reconnected."""


class OAuthFlowError(AuthError, InvalidInput):
    """An OAuth callback that cannot complete: unknown, expired or replayed state, or a refused code (no
    credential came of it: ``auth``)."""
