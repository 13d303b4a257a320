"""``layers-hub connections import FILE``: move existing customer connections from the Layers platform.

One JSON object per line::

    {"organization": "Acme", "service": "hubspot",
     "auth": {"type": "oauth2", "access_token": "...", "refresh_token": "...", "expires_at": "2026-01-01T00:00:00Z"},
     "config": {}}

``auth.type`` is ``oauth2`` | ``api_key`` (``api_key``) | ``basic`` (``username``, ``password``) |
``webhook`` (``secret``). An optional ``"sandbox": true`` marks sandbox connections. Every line is
checked with the provider's credential check unless ``verify=False`` (an OAuth line whose access
token has already expired is not refreshed during the import: the refresh would spend a single-use
refresh token before the import commits). All or nothing: any bad line, reported by number, means
nothing is written. Messages never contain a value from the file. Lines are UTF-8 (given as bytes, a byte
that is not is reported by its column); a NUL character in any string is refused on every backend
(PostgreSQL text cannot hold one), by the field that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from db.session import session_scope
from services.catalog import load_catalog
from services.connect.checks import base_url_for, check_url_for, run_check
from services.connect.connections import Prepared, find_organization, prepare_connection, save_connection
from services.connect.fields import auth_types, check_required, form_fields, spec_for
from services.connect.oauth_hooks import get_hook
from services.connect.outbound import Outbound
from services.core.errors import HubError, InvalidInput
from services.runtime import http

AUTH_KEYS = {"oauth2": ("access_token",), "api_key": ("api_key",), "basic": ("username", "password"),
             "webhook": ("secret",)}


@dataclass(frozen=True)
class Imported:
    """One connection an import created: the line it came from and its new id."""

    line: int
    id: int
    organization: str
    service: str
    auth_type: str
    sandbox: bool


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    unverified: list[int] = field(default_factory=list)   # OAuth lines with an expired access token
    errors: list[tuple[int, str]] = field(default_factory=list)
    connections: list[Imported] = field(default_factory=list)   # in line order

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Line:
    number: int
    organization_id: int
    prepared: Prepared
    webhook_secret: str | None
    expires_at: datetime | None


def _expiry(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("auth.expires_at is not an ISO 8601 date-time or a unix timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _secret_field(slug: str, auth_type: str) -> str:
    secret = [f.name for f in form_fields(load_catalog().get(slug), auth_type) if f.secret]
    if not secret:
        raise InvalidInput(f"{slug} has no secret field for {auth_type}")
    return secret[0]


def _prepare(obj: Any, *, verify: bool, out: Outbound) -> tuple[Prepared, str | None, datetime | None, bool]:
    """Validate one parsed line; returns (prepared, webhook secret, oauth expiry, verified-or-not-needed)."""
    if not isinstance(obj, dict):
        raise InvalidInput("a line must be a JSON object")
    missing = [k for k in ("organization", "service", "auth") if not obj.get(k)]
    if missing:
        raise InvalidInput(f"missing {', '.join(missing)}")
    auth, config = obj["auth"], obj.get("config") or {}
    if not isinstance(auth, dict) or not isinstance(config, dict):
        raise InvalidInput("auth and config must be objects")
    kind = auth.get("type")
    if kind not in AUTH_KEYS:
        raise InvalidInput(f"auth.type must be one of {', '.join(AUTH_KEYS)}")
    absent = [f"auth.{k}" for k in AUTH_KEYS[kind] if not auth.get(k)]
    if absent:
        raise InvalidInput(f"{', '.join(absent)} missing")
    spec = spec_for(str(obj["service"]))
    types = auth_types(spec)
    sandbox_connection = bool(obj.get("sandbox"))
    secret_names = {f for f, s in spec.connection_fields.items() if s.secret}
    if secret_names & set(config):
        raise InvalidInput(f"config holds secret field(s) {', '.join(sorted(secret_names & set(config)))}; "
                           "put secrets in auth")
    if kind == "oauth2":
        if "oauth2" not in types:
            raise InvalidInput(f"{spec.name} does not use OAuth")
        expires = _expiry(auth.get("expires_at"))
        secrets = {k: str(auth[k]) for k in ("access_token", "refresh_token") if auth.get(k)}
        cfg = {k: v for k, v in config.items() if k in spec.connection_fields}
        check_required(spec, "oauth2", cfg)
        for name, value in cfg.items():
            if spec.connection_fields[name].type == "url":
                cfg[name] = out.check_field(spec.slug, str(value), name, sandbox_connection=sandbox_connection)
        base = base_url_for(spec, cfg, sandbox_connection=sandbox_connection, out=out,
                            override=config.get("base_url"))
        fresh = expires is None or expires > datetime.now(UTC)
        checked = False
        if verify and fresh:
            url = check_url_for(spec, "oauth2", cfg, base, sandbox_connection=sandbox_connection, out=out)
            template = get_hook(spec.slug).check_template or "Bearer {token}"
            if url:
                run_check(spec, "oauth2", url=url, secrets=secrets, out=out,
                          auth=http.HeaderAuth("Authorization", template.format(token=secrets["access_token"])))
                checked = True
        return Prepared(spec, "oauth2", cfg, secrets, base, sandbox_connection, checked), None, expires, \
            checked or not verify
    if kind == "webhook":
        if "webhook" not in types:
            raise InvalidInput(f"{spec.name} does not take webhook connections")
        values = {k: v for k, v in config.items() if k != "base_url"}
        prepared = prepare_connection(slug=spec.slug, auth_type="webhook", values=values, verify=verify,
                                      sandbox_connection=sandbox_connection, out=out,
                                      base_url=config.get("base_url"))
        return prepared, str(auth["secret"]), None, True
    if kind == "api_key":
        auth_type = "api_key" if "api_key" in types else "webhook" if "webhook" in types else None
        if auth_type is None:
            raise InvalidInput(f"{spec.name} does not take an API key")
        values = {**config, _secret_field(spec.slug, auth_type): str(auth["api_key"])}
    else:
        auth_type = "app_password" if "app_password" in types else "basic" if "basic" in types else None
        if auth_type is None:
            raise InvalidInput(f"{spec.name} does not take a username and password")
        values = {**config, "username": str(auth["username"]), _secret_field(spec.slug, auth_type):
                  str(auth["password"])}
    values.pop("base_url", None)
    prepared = prepare_connection(slug=spec.slug, auth_type=auth_type, values=values, verify=verify,
                                  sandbox_connection=sandbox_connection, out=out, base_url=config.get("base_url"))
    return prepared, None, None, True


def _nul_field(value: Any, path: str = "") -> str | None:
    """Where the first NUL character is in a parsed line (``auth.api_key``), or None."""
    if isinstance(value, str):
        return (path or "the line") if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        name = str(key).replace("\x00", "\\u0000")[:60]
        where = f"{path}[{key}]" if isinstance(value, list) else f"{path}.{name}" if path else name
        if "\x00" in str(key):
            return where
        found = _nul_field(item, where)
        if found:
            return found
    return None


def _text(raw: str | bytes, number: int) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"column {exc.start + 1}: byte 0x{raw[exc.start]:02x} is not UTF-8 text") from None


def import_connections(lines: Iterable[str | bytes], *, actor: str, verify: bool = True, db_url: str | None = None,
                       out: Outbound | None = None) -> ImportReport:
    """Check every line, then write all of them in one transaction, or nothing."""
    out = out or Outbound()
    report = ImportReport()
    ready: list[_Line] = []
    orgs: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        report.lines += 1
        try:
            try:
                obj = json.loads(_text(raw, number))
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
            nul = _nul_field(obj)
            if nul:
                raise InvalidInput(f"{nul}: contains a NUL character, which no database column may hold")
            name = str(obj.get("organization", "")) if isinstance(obj, dict) else ""
            if name and name not in orgs:
                with session_scope(db_url) as s:
                    orgs[name] = find_organization(s, name).id
            prepared, secret, expires, verified = _prepare(obj, verify=verify, out=out)
            if not verified:
                report.unverified.append(number)
            ready.append(_Line(number, orgs[name], prepared, secret, expires))
        except (HubError, KeyError) as exc:
            report.errors.append((number, str(exc).strip("'\"")))
    if report.errors:
        return report
    with session_scope(db_url) as s:
        for line in ready:
            saved = save_connection(s, line.prepared, actor=actor, organization_id=line.organization_id,
                                    webhook_secret=line.webhook_secret, oauth_expires_at=line.expires_at,
                                    label="imported")
            c = saved.connection
            report.connections.append(Imported(line.number, c.id, c.organization, c.integration_slug, c.auth_type,
                                               c.sandbox))
            report.created += 1
    return report
