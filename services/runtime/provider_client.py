"""Calls to a provider for one connection: pacing, retries, typed errors, redaction and the call log.

Retry rules (laid out carefully; change them with tests):
- 429, and the provider's own rate-limit signals from the catalog (Salesforce 403 REQUEST_LIMIT_EXCEEDED),
  mean "not processed": retried for any method, waiting Retry-After (seconds or an HTTP date) or the
  catalog's reset header, as long as the total wait stays under `max_wait`; past it we fail fast with
  RateLimited(retry_after) so the caller can say when to try again.
- 503 and other 5xx, and transport errors, are retried with exponential backoff and jitter only for
  idempotent requests (or when an idempotency key is sent): a write is never sent twice otherwise.
- 401 is handled by the auth object (OAuth: refresh once through the credentials service, retry once).
In test mode writes are not sent: the request is built, recorded (redacted) and `None` is returned.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from services.catalog import IntegrationSpec
from services.connect.outbound import Outbound, provider_message, scrub
from services.runtime import http
from services.runtime.call_log import CallEntry, CallLog
from services.runtime.pacing import PACER, Pacer
from services.runtime.provider_errors import (
    AuthError,
    IntegrationError,
    NetworkError,
    NotFoundError,
    ProviderError,
    RateLimited,
    ValidationFailed,
)
from services.runtime.redaction import redact_url

READ_METHODS = ("GET", "HEAD", "OPTIONS")
BODY_LIMIT = 4000


@dataclass
class Exchange:
    """One HTTP exchange. Kept raw while calls run; `as_dict()` gives the redacted view staff may see
    (credential headers replaced, query tokens and known secret values removed, bodies scrubbed)."""

    method: str
    url: str
    headers: Any
    body: Any
    sent: bool
    secrets: dict[str, Any] = field(repr=False, default_factory=dict)
    status: int | None = None
    response_text: str | None = None
    duration_ms: float = 0.0
    attempt: int = 1
    error_category: str | None = None

    def as_dict(self) -> dict[str, Any]:
        response_body: Any = None
        if self.response_text is not None:
            response_body = scrub(self.response_text[:BODY_LIMIT], self.secrets)
            with contextlib.suppress(ValueError):
                response_body = jsonlib.loads(response_body)
        return {"method": self.method, "url": redact_url(self.url, self.secrets),
                "request_headers": http.redact_headers({k: v for k, v in self.headers.items()
                                                        if k.lower() not in ("content-length", "host")}, self.secrets),
                "request_body": _scrub_body(self.body, self.secrets), "sent": self.sent, "status": self.status,
                "response_body": response_body, "duration_ms": self.duration_ms, "attempt": self.attempt,
                "error_category": self.error_category}


@dataclass
class ProviderClient:
    spec: IntegrationSpec
    base_url: str
    auth: http.Auth | None
    integration_id: int
    connection_id: int | None = None
    account_key: str = "default"
    mode: str = "live"
    action: str | None = None
    secrets: dict[str, Any] = field(default_factory=dict)
    sandbox_connection: bool = False
    out: Outbound = field(default_factory=Outbound)
    log: CallLog | None = None
    pacer: Pacer = PACER
    max_wait: float = 30.0
    max_retries: int = 3
    sleep: Callable[[float], None] = time.sleep
    exchanges: list[Exchange] = field(default_factory=list)
    _client: Any = None

    @property
    def dry(self) -> bool:
        return self.mode == "test"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> Any:
        if self._client is None:
            self._client = self.out.client(auth=self.auth, guard_ttl=5.0)
        return self._client

    def url(self, path_or_url: str) -> str:
        url = path_or_url if re.match(r"^https?://", path_or_url) else self.base_url.rstrip("/") + path_or_url
        return self.out.url(self.spec.slug, url, sandbox_connection=self.sandbox_connection)

    def request(self, method: str, path_or_url: str, *, params: dict[str, Any] | None = None,
                json: Any = None, data: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                idempotent: bool | None = None, idempotency_key: str | None = None) -> Any:
        """Send (or in test mode, for writes, only record) a request; returns the response or None."""
        method = method.upper()
        url = self.url(path_or_url)
        headers = dict(headers or {})
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        safe = method in READ_METHODS if idempotent is None else idempotent
        safe = safe or idempotency_key is not None
        request = self._http().build_request(method, url, params={k: v for k, v in (params or {}).items()
                                                                  if v is not None} or None,
                                             json=json, data=data, headers=headers)
        body = json if data is None else data
        if self.dry and method not in READ_METHODS:
            self.exchanges.append(self._exchange(request, body, sent=False))
            return None
        return self._send(request, body, safe)

    def _send(self, request: Any, body: Any, safe: bool) -> Any:
        waited, attempt = 0.0, 0
        while True:
            attempt += 1
            exchange = self._exchange(request, body, sent=True, attempt=attempt)
            started = time.perf_counter()
            try:
                with self.pacer.slot(self.spec, self.account_key, action=self.action,
                                     max_wait=max(0.0, self.max_wait - waited)) as w:
                    waited += w
                    response = self._http().send(request)
            except TimeoutError as exc:
                raise RateLimited(f"{self.spec.name}: the Hub's own pacing for this account needs "
                                  f"{float(exc.args[0]):.0f} s; retry later", retry_after=float(exc.args[0]),
                                  attempts=attempt) from None
            except http.TransportError as exc:
                self._record(exchange, None, started, "network")
                can_retry = safe or isinstance(exc, _connect_errors())
                if can_retry and attempt <= self.max_retries:
                    delay = _backoff(attempt)
                    if waited + delay <= self.max_wait:
                        self.sleep(delay)
                        waited += delay
                        continue
                raise NetworkError(f"{self.spec.name} could not be reached ({type(exc).__name__})",
                                   attempts=attempt) from None
            category = self._category(response)
            self._record(exchange, response, started, category)
            if category is None:
                return response
            if category == "rate_limit":
                delay = self._retry_after(response) or _backoff(attempt)
                retryable = response.status_code != 503 or safe
                if retryable and attempt <= self.max_retries and waited + delay <= self.max_wait:
                    self.sleep(delay)
                    waited += delay
                    continue
                raise self._error(RateLimited, response, attempt, retry_after=delay,
                                  prefix=f"{self.spec.name} rate limit: retry in {delay:.0f} s")
            if category == "provider" and response.status_code >= 500 and safe and attempt <= self.max_retries:
                delay = _backoff(attempt)
                if waited + delay <= self.max_wait:
                    self.sleep(delay)
                    waited += delay
                    continue
            raise self._error(_ERRORS[category], response, attempt)

    def _category(self, response: Any) -> str | None:
        status = response.status_code
        if status == 429 or status == 503:
            return "rate_limit"
        for signal in self.spec.http.rate_limit_signals:
            if status == signal.status and (signal.code is None or signal.code in response.text):
                return "rate_limit"
        if 200 <= status < 300:
            return self.spec.http.body_failure(http.json_or_none(response)) if self.spec.http.success_flag else None
        if status in (401, 403):
            return "auth"
        if status == 404:
            return "not_found"
        if status in (400, 409, 413, 422):
            return "validation"
        return "provider"

    def _retry_after(self, response: Any) -> float | None:
        for name in self.spec.http.retry_after_headers:
            value = response.headers.get(name)
            if not value:
                continue
            try:
                seconds = float(value)
                if self.spec.http.retry_after_is_epoch and name.lower() != "retry-after":   # RFC 9110: seconds
                    seconds -= time.time()
                return max(0.0, seconds)
            except ValueError:
                try:
                    return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
                except (TypeError, ValueError):
                    continue
        return None

    def _error(self, cls: type[IntegrationError], response: Any, attempt: int, *, retry_after: float | None = None,
               prefix: str | None = None) -> IntegrationError:
        message = scrub(provider_message(response), self.secrets)
        request_id = next((response.headers.get(h) for h in self.spec.http.request_id_headers
                           if response.headers.get(h)), None)
        if request_id is None:
            try:
                body = response.json()
                request_id = body.get("correlationId") if isinstance(body, dict) else None
            except ValueError:
                pass
        policy = ""
        if cls is RateLimited:
            try:
                body = response.json()
                policy = f" ({body['policyName']})" if isinstance(body, dict) and body.get("policyName") else ""
            except ValueError:
                pass
        head = prefix or f"{self.spec.name} answered HTTP {response.status_code}"
        text = f"{head}{policy}" + (f": {message}" if message else "")
        return cls(text, status=response.status_code, provider_message=message or None, request_id=request_id,
                   retry_after=retry_after, attempts=attempt)

    def _exchange(self, request: Any, body: Any, *, sent: bool, attempt: int = 1) -> Exchange:
        return Exchange(request.method, str(request.url), request.headers, body, sent, self.secrets, attempt=attempt)

    def _record(self, exchange: Exchange, response: Any, started: float, category: str | None) -> None:
        exchange.duration_ms = round((time.perf_counter() - started) * 1000, 2)
        exchange.error_category = category
        if response is not None:
            exchange.headers = response.request.headers     # as sent: the auth header included (redacted on show)
            exchange.status = response.status_code
            exchange.response_text = response.text
        self.exchanges.append(exchange)
        if self.log is not None:
            self.log.add(CallEntry(integration_id=self.integration_id, connection_id=self.connection_id,
                                   action=self.action, mode=self.mode, method=exchange.method, url=exchange.url,
                                   status_code=exchange.status, duration_ms=exchange.duration_ms,
                                   attempt=exchange.attempt, error_category=category, secrets=self.secrets))


_ERRORS: dict[str, type[IntegrationError]] = {"auth": AuthError, "not_found": NotFoundError,
                                               "validation": ValidationFailed, "provider": ProviderError,
                                               "rate_limit": RateLimited, "network": NetworkError}


def _connect_errors() -> tuple[type, ...]:
    # A connect error means nothing reached the provider: safe to retry even a write.
    return (http.ConnectError,)


def _backoff(attempt: int) -> float:
    return min(8.0, 0.25 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _scrub_body(body: Any, secrets: dict[str, Any]) -> Any:
    if body is None:
        return None
    return jsonlib.loads(scrub(jsonlib.dumps(body, default=str), secrets))
