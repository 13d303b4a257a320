"""Typed errors of provider calls. Each carries the provider's own message (parsed from its documented
error body), the HTTP status and the request id; never a secret, a header or a credential."""

from __future__ import annotations

from services.core.errors import HubError

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
