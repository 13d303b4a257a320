"""The connect form, drawn from the catalog: which fields an auth type needs, validation, URL rendering."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.catalog import IntegrationSpec, load_catalog
from services.catalog.spec import placeholders
from services.connect.oauth_hooks import hook_provides
from services.core.errors import InvalidInput, NotFound

# Fields whose value the Hub generates (a whsec_ secret in the webhook_secrets table), never typed.
GENERATED_FIELDS = frozenset({"webhook_secret"})
# The user of a password credential (basic, app password): an OAuth connection has none.
PASSWORD_USER_FIELDS = frozenset({"username"})
AUTH_LABELS = {"oauth2": "OAuth 2.0", "api_key": "API key / token", "app_password": "Application password",
               "basic": "Username and password", "webhook": "Webhook"}


@dataclass(frozen=True)
class FormField:
    name: str
    title: str
    type: str
    secret: bool
    required: bool
    example: Any = None
    pattern: str | None = None
    description: str | None = None


def spec_for(slug: str) -> IntegrationSpec:
    """The catalog entry, or NotFound with the catalog's hint (a HubError pages and the CLI show as is)."""
    try:
        return load_catalog().get(slug)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None


def auth_types(spec: IntegrationSpec) -> list[str]:
    """The ways a connection to this integration can authenticate (catalog method first)."""
    return [m for m in (spec.auth.method, *spec.auth.alternatives) if m != "none"]


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize().replace("url", "URL").replace("Url", "URL").replace(" id", " ID")


def form_fields(spec: IntegrationSpec, auth_type: str) -> list[FormField]:
    """The fields the connect form shows for one auth type."""
    if auth_type not in auth_types(spec):
        raise InvalidInput(f"{spec.name} does not support {auth_type!r}; choose one of {', '.join(auth_types(spec))}")
    provided = set(spec.auth.token_metadata) | hook_provides(spec.slug)
    out = []
    for name, f in spec.connection_fields.items():
        if name in GENERATED_FIELDS:
            continue
        if auth_type == "oauth2" and (f.secret or name in provided or name in PASSWORD_USER_FIELDS
                                      or not f.required):
            continue   # OAuth connections store tokens; the token response fills the rest
        out.append(FormField(name, f.title or _title(name), f.type, f.secret, f.required, f.example, f.pattern,
                             f.description))
    if auth_type == "basic" and not any(f.secret for f in out):
        # e.g. Mailchimp: HTTP Basic with any username and the API key as the password
        out += [FormField("username", "Username", "string", False, False, "anystring",
                          description="Any value unless the provider says otherwise."),
                FormField("password", "API key (password)", "string", True, True)]
    return out


def required_missing(spec: IntegrationSpec, name: str) -> InvalidInput:
    """The refusal of a connection without a required field, naming it (``site_id is required for Webflow``)."""
    return InvalidInput(f"{name} is required for {spec.name}")


def check_required(spec: IntegrationSpec, auth_type: str, config: Mapping[str, Any]) -> None:
    """Refuse a connection of ``auth_type`` lacking a field the catalog marks required (``FieldSpec.required``)
    and the form asks for: an imported OAuth connection's fields are not typed into a form."""
    for f in form_fields(spec, auth_type):
        value = config.get(f.name)
        if f.required and not f.secret and (value is None or (isinstance(value, str) and not value.strip())):
            raise required_missing(spec, f.name)


def split_values(spec: IntegrationSpec, auth_type: str, values: Mapping[str, Any],
                 *, check: Callable[[str, str], str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate form values; return (config, secrets). URL fields must pass the SSRF rules (``check``).

    A field the catalog marks required must have a value, and so must the secret a credential authenticates
    with (its first secret field: HubSpot's optional ``api_key`` is an alternative to OAuth, yet an API-key
    connection without one is nothing)."""
    known = {f.name: f for f in form_fields(spec, auth_type)}
    unknown = sorted(set(values) - set(known) - set(spec.connection_fields))
    if unknown:
        raise InvalidInput(f"{spec.name}: unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}")
    credential = next((f.name for f in known.values() if f.secret), None)
    config: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for name, field in known.items():
        raw = values.get(name)
        value = raw.strip() if isinstance(raw, str) else raw
        if value in (None, ""):
            if field.required or (field.secret and auth_type != "webhook" and field.name == credential):
                raise required_missing(spec, name)
            continue
        if field.secret:
            secrets[name] = str(value)
            continue
        if field.type == "url":
            value = check(str(value), field.title).rstrip("/")
            loopback_http = not value.startswith("https://")   # only the sandbox passes check() over http
        else:
            loopback_http = False
        if field.pattern and isinstance(value, str) and not loopback_http and not re.search(field.pattern, value):
            raise InvalidInput(f"{field.title}: {value!r} does not match {field.pattern}")
        config[name] = value
    return config, secrets


def render(template: str, config: Mapping[str, Any], what: str) -> str:
    missing = sorted(placeholders(template) - {k for k, v in config.items() if v not in (None, "")})
    if missing:
        raise InvalidInput(f"{what} needs {', '.join(missing)}")
    return template.format_map({k: str(v) for k, v in config.items()})
