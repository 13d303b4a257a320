"""The generated parts of a guide, from the catalog and the executors' schemas (so they never drift).

Connection: the authentication method(s) and the connection fields. Actions: every catalog action with
its input and output handles as the executor validates them (`services.executors.schemas`). Triggers:
events and payload fields. Troubleshooting: one row per error category the HTTP layer produces.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from services.catalog import ActionSpec, FieldSpec, IntegrationSpec, TriggerSpec
from services.runtime.executors.schemas import json_schemas
from services.runtime.provider_errors import CATEGORIES
from services.webhooks.hooks import scheme_label

AUTH_LABELS = {"oauth2": "OAuth 2.0", "api_key": "API key", "app_password": "Application password (HTTP Basic)",
               "basic": "HTTP Basic (username and password or API key)", "webhook": "Webhook",
               "none": "No authentication"}
# The generic schemes; a provider's own scheme is labelled in its folder (SignatureScheme.label).
SIGNATURES = {"shared_header": "a shared secret sent in a header", "url_secret": "a secret query parameter in "
              "the webhook URL (the provider does not sign its calls)"}
# (what it means, what Layers does, what to do) per error category of services/runtime/provider_errors.py.
# Guides are read by customers, so they say "Layers", never "the Hub".
CATEGORY_HELP: dict[str, tuple[str, str, str]] = {
    "auth": ("The provider refused the credentials (HTTP 401 or 403).",
             "OAuth: refreshes the access token once and retries; if the refresh token is refused the "
             "connection is marked *Needs reconnect* and an alert is raised.",
             "Reconnect (OAuth) or paste a new key; check that the account still has the plan and "
             "permissions the action needs."),
    "rate_limit": ("Too many requests (HTTP 429 or 503, or the provider's own limit signal).",
                   "Waits as long as the provider asks (Retry-After) and retries while the wait stays short; "
                   "past that the step fails and says when to try again.",
                   "Space the workflow's runs out or lower their batch size; the limits are listed below."),
    "validation": ("The provider rejected the input (HTTP 400, 409, 413 or 422).",
                   "Never retries: the same input would fail again. The provider's own message is shown.",
                   "Fix the mapped input named in the message (required fields, formats, ids)."),
    "not_found": ("The record, list or URL does not exist (HTTP 404).",
                  "Never retries.",
                  "Check the id in the node's configuration, and that it belongs to the connected account."),
    "provider": ("The provider failed (other HTTP errors, mostly 5xx).",
                 "Retries reads with exponential backoff; never resends a write that may have arrived.",
                 "Retry later; if it persists, check the provider's status page and contact support with "
                 "the request id."),
    "network": ("The provider could not be reached (DNS, connect or read timeout).",
                "Retries with backoff when nothing can have been processed twice.",
                "Check the base URL or instance URL of the connection; retry later."),
}


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ") if value not in (None, "") else ""


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _field_type(spec: FieldSpec) -> str:
    return "one of " + ", ".join(f"`{v}`" for v in spec.enum) if spec.enum else spec.type


def _schema_type(prop: dict[str, Any]) -> str:
    """Readable type of a JSON-schema property (nullable wrappers unwrapped)."""
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"] or [prop]
    p = options[0]
    if p.get("enum"):
        return "one of " + ", ".join(f"`{v}`" for v in p["enum"])
    fmt = p.get("format") or prop.get("format")
    return {"date-time": "datetime"}.get(fmt or "", fmt or p.get("type", "any"))


def _example(value: Any) -> str:
    if value in (None, ""):
        return ""
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


def auth_description(spec: IntegrationSpec, method: str) -> str:
    a = spec.auth
    if method == "oauth2":
        host = urlsplit(a.authorize_url or "").netloc
        scopes = ", ".join(f"`{s}`" for s in a.scopes) if a.scopes else "none (the provider has no scopes)"
        tokens = ("access tokens expire and Layers refreshes them before they do"
                  + ("; refresh tokens are single-use, so the newest one is stored after every refresh"
                     if a.refresh_token_rotates else "")) if a.token_expires else \
            "tokens do not expire; they stay valid until revoked"
        revoke = " Deleting the connection revokes the token at the provider." if a.revoke else ""
        return (f"**OAuth 2.0**: *Connect* sends you to `{host}` to approve Layers" + (" (with PKCE)" if a.pkce else "")
                + f". Scopes requested: {scopes}. After approval {tokens}.{revoke}")
    if method == "api_key":
        if a.query_param:
            where = f"sent as the `{a.query_param}` query parameter"
        elif a.header:
            where = f"sent as `{a.header}: {(a.template or '{api_key}').replace('{api_key}', '<key>')}`"
        else:
            where = "part of the API URL"
        return f"**API key**: paste the key in the connection form; it is {where}."
    if method in ("app_password", "basic"):
        return f"**{AUTH_LABELS[method]}**: sent as HTTP Basic authentication over HTTPS."
    if method == "webhook":
        scheme = (SIGNATURES.get(a.signature or "") or scheme_label(a.signature)
                  or "the shared secret of the connection")
        key = (f" An API key, when the connection has one, is sent as `{a.header}: "
               f"{(a.template or '{api_key}').replace('{api_key}', '<key>')}`.") if a.header else ""
        return (f"**Webhook**: Layers posts to the webhook URL you give; calls into Layers are verified with "
                f"{scheme}.{key}")
    return f"**{AUTH_LABELS.get(method, method)}**."


def connect_part(spec: IntegrationSpec) -> str:
    """Authentication methods, the credential check and the connection fields."""
    methods = [spec.auth.method, *spec.auth.alternatives]
    lines = ["### Authentication details", ""]
    lines += [f"- {auth_description(spec, m)}" for m in methods]
    if spec.check:
        lines.append(f"- Saving a connection first checks it with `{spec.check.method} {spec.check.path}`; "
                     "a refused credential is not stored.")
    lines += ["", "### Connection fields", ""]
    if not spec.connection_fields:
        lines.append("No fields besides the credential itself.")
        return "\n".join(lines)
    rows = [[f"`{name}`", f.title or name.replace("_", " ").capitalize(), "yes" if f.required else "no",
             "secret: stored encrypted, later shown only as its last 4 characters" if f.secret
             else f"e.g. `{f.example}`" if f.example is not None else "", f.description]
            for name, f in spec.connection_fields.items()]
    lines.append(_table(["Field", "Name", "Required", "Value", "Notes"], rows))
    return "\n".join(lines)


def _action(slug: str, action: ActionSpec) -> str:
    schema = json_schemas(slug, action.key)
    lines = [f"#### {action.title} (`{action.key}`)", ""]
    if action.description:
        lines += [action.description, ""]
    request = f"`{action.method} {action.path}`" if action.method and action.path else None
    how = (f"Calls {request}" if request and not action.executor
           else "Runs a dedicated executor" + (f" ({request})" if request else ""))
    scopes = (f"; needs the scope{'s' if len(action.scopes) > 1 else ''} "
              + ", ".join(f"`{s}`" for s in action.scopes)) if action.scopes else ""
    lines += [how + scopes + ".", ""]
    props, required = schema["input"].get("properties", {}), set(schema["input"].get("required", []))
    if props:
        lines.append(_table(["Input", "Type", "Required", "Mappable", "Description", "Example"],
                            [[f"`{k}`", _schema_type(p), "yes" if k in required else "no",
                              "yes" if p.get("mappable", True) else "no", p.get("description"),
                              _example((p.get("examples") or [None])[0])] for k, p in props.items()]))
    else:
        lines.append("No inputs.")
    outputs = schema["output"].get("properties", {})
    lines.append("")
    if outputs:
        lines.append(_table(["Output", "Type", "Description"],
                            [[f"`{k}`", _schema_type(p), p.get("description")] for k, p in outputs.items()]))
    else:
        lines.append("No output fields (the provider answers without content).")
    return "\n".join(lines)


def _trigger(trigger: TriggerSpec) -> str:
    lines = [f"#### {trigger.title} (`{trigger.key}`)", ""]
    if trigger.description:
        lines += [trigger.description, ""]
    if trigger.events:
        lines += ["Provider events: " + ", ".join(f"`{e}`" for e in trigger.events) + ".", ""]
    if trigger.inputs:
        lines += [_table(["Setting", "Type", "Required", "Description"],
                         [[f"`{k}`", _field_type(f), "yes" if f.required else "no", f.description]
                          for k, f in trigger.inputs.items()]), ""]
    if trigger.outputs:
        lines.append(_table(["Output", "Type", "Description", "Example"],
                            [[f"`{k}`", _field_type(f), f.description, _example(f.example)]
                             for k, f in trigger.outputs.items()]))
    else:
        lines.append("No payload fields described yet.")
    return "\n".join(lines)


def actions_part(spec: IntegrationSpec) -> str:
    """Every catalog action (inputs and outputs from its schema) and every trigger."""
    lines = ["### Actions", ""]
    lines += ["\n\n".join(_action(spec.slug, a) for a in spec.actions.values()) if spec.actions
              else "No actions described in the catalog yet."]
    lines += ["", "### Triggers", ""]
    lines += ["\n\n".join(_trigger(t) for t in spec.triggers.values()) if spec.triggers
              else "No triggers described in the catalog yet."]
    return "\n".join(lines)


def _limit(limit: Any) -> str:
    parts = []
    if limit.requests is not None:
        seconds = limit.per_seconds
        per = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}.get(seconds, f"{seconds:g} s")
        parts.append(f"{limit.requests:,} requests per {per}")
    if limit.concurrency is not None:
        parts.append(f"{limit.concurrency} at a time")
    return f"{' and '.join(parts)} per {limit.scope}" + (f": {limit.note}" if limit.note else "")


def troubleshooting_part(spec: IntegrationSpec) -> str:
    """One row per error category, plus this provider's limits and signals from the catalog."""
    lines = ["### Errors by category", "",
             _table(["Category", "What it means", "What Layers does", "What to do"],
                    [[f"`{c}`", *CATEGORY_HELP[c]] for c in CATEGORIES]), ""]
    if spec.rate_limits:
        lines += ["Rate limits:", *[f"- {_limit(r)}" for r in spec.rate_limits]]
    signals = [f"HTTP {s.status}" + (f" with `{s.code}`" if s.code else "") for s in spec.http.rate_limit_signals]
    if signals:
        lines.append(f"- {spec.name} also signals a rate limit with {', '.join(signals)}; Layers treats it as "
                     "`rate_limit`.")
    if spec.http.success_flag:
        lines.append(f"- A successful HTTP status whose body has `{spec.http.success_flag}` = 0 is reported as "
                     "`validation`: the provider accepted the call but did not do it.")
    lines.append(f"- Quote the request id when you contact {spec.name} support: Layers reads it from "
                 + ", ".join(f"`{h}`" for h in spec.http.request_id_headers) + ".")
    return "\n".join(lines)


def at_a_glance(spec: IntegrationSpec, category: str) -> str:
    methods = " or ".join(AUTH_LABELS.get(m, m) for m in [spec.auth.method, *spec.auth.alternatives])
    lines = [f"- **Category:** {category}", f"- **Authentication:** {methods}"]
    if spec.base_url:
        lines.append(f"- **API base URL:** `{spec.base_url}`")
    if spec.docs_url:
        lines.append(f"- **Provider documentation:** <{spec.docs_url}>")
    lines.append(f"- **In the catalog:** {_count(len(spec.actions), 'action')}, "
                 f"{_count(len(spec.triggers), 'trigger')}")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
