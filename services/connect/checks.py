"""The provider's cheap who-am-I call (catalog ``check``) with a candidate or stored credential."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.catalog import IntegrationSpec, RequestSpec
from services.catalog.spec import placeholders
from services.connect.fields import render
from services.connect.hooks import hooks_for
from services.connect.outbound import Outbound, provider_message, scrub
from services.runtime import http
from services.runtime.provider_errors import CredentialRejected, ProviderUnreachable


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    status_code: int | None
    message: str


def check_spec(spec: IntegrationSpec, auth_type: str) -> RequestSpec | None:
    """The check call of a connection of ``auth_type``: the provider's hook where the catalog's single
    ``check`` does not fit that auth type (``ConnectHooks.checks``), else the catalog's."""
    return hooks_for(spec.slug).checks.get(auth_type, spec.check)


def base_url_for(spec: IntegrationSpec, config: dict[str, Any], *, sandbox_connection: bool, out: Outbound,
                 override: str | None = None) -> str | None:
    """The API base of a connection: an explicit override, else the catalog's base_url filled from config."""
    if override:
        url = out.url(spec.slug, override.strip(), sandbox_connection=sandbox_connection)
        return out.check(url, "Base URL").rstrip("/")
    if not spec.base_url:
        return None
    url = out.url(spec.slug, render(spec.base_url, config, f"{spec.name} base URL"),
                  sandbox_connection=sandbox_connection)
    return out.check(url, "Base URL").rstrip("/")


def check_url_for(spec: IntegrationSpec, auth_type: str, config: dict[str, Any], base_url: str | None, *,
                  sandbox_connection: bool, out: Outbound) -> str | None:
    request = check_spec(spec, auth_type)
    if request is None:
        return None
    path = render(request.path, config, f"{spec.name} check path")
    if request.base_url:
        base = out.url(spec.slug, render(request.base_url, config, f"{spec.name} check URL"),
                       sandbox_connection=sandbox_connection)
    elif base_url:
        base = out.url(spec.slug, base_url, sandbox_connection=sandbox_connection)
    else:
        return None
    return out.check(base.rstrip("/") + path, "Check URL")


def static_auth(spec: IntegrationSpec, auth_type: str, secrets: dict[str, str],
                config: dict[str, Any]) -> http.Auth | None:
    """The httpx auth of a non-OAuth credential, as the catalog describes it."""
    if auth_type in ("app_password", "basic"):
        user = str(config.get("username") or "anystring")
        password = secrets.get("app_password") or secrets.get("password") or secrets.get("api_key") or ""
        return http.basic_auth(user, password)
    key = secrets.get("api_key")
    if not key:
        return None
    template = spec.auth.template or "{api_key}"
    if spec.auth.key_location == "query" and spec.auth.query_param:
        return http.QueryAuth(spec.auth.query_param, template.format(api_key=key))
    return http.HeaderAuth(spec.auth.header or "Authorization", template.format(api_key=key))


def fixed_headers(spec: IntegrationSpec) -> dict[str, str]:
    """The catalog's ``http.headers`` without placeholders (a version header such as Klaviyo's ``revision`` is
    needed by every call, the check included)."""
    return {k: v for k, v in spec.http.headers.items() if not placeholders(v)}


def run_check(spec: IntegrationSpec, auth_type: str, *, url: str, auth: http.Auth, secrets: dict[str, Any],
              out: Outbound) -> CheckOutcome:
    """Call the check URL. 2xx: ok. 401/403: CredentialRejected with the provider's words. Else unreachable."""
    request = check_spec(spec, auth_type)
    method = request.method if request else "GET"
    try:
        with out.client(auth=auth) as client:
            response = client.request(method, url, headers=fixed_headers(spec))
    except http.HTTPError as exc:
        raise ProviderUnreachable(f"{spec.name} could not be reached: {type(exc).__name__}") from None
    message = scrub(provider_message(response), secrets)
    failure = spec.http.body_failure(http.json_or_none(response)) if response.is_success else None
    if failure == "auth":      # a 2xx that refuses the credential (Slack's {"ok": false, "error": "invalid_auth"})
        raise CredentialRejected(f"{spec.name} rejected the credentials" + (f" — {message}" if message else ""))
    if response.is_success:
        return CheckOutcome(True, response.status_code, f"{spec.name} accepted the credentials")
    if response.status_code in (400, 401, 403, 404):
        raise CredentialRejected(f"{spec.name} rejected the credentials: HTTP {response.status_code}"
                                 + (f" — {message}" if message else ""))
    raise ProviderUnreachable(f"{spec.name} answered HTTP {response.status_code}" + (f" — {message}" if message
                                                                                   else ""))
