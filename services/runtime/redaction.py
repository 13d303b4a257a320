"""Redacting what the Hub shows or stores about a provider call: URLs (query tokens, userinfo, known secret
values). The exchange shown to staff (provider_client) and the API call log (call_log) both use it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from services.connect.outbound import scrub

SECRET_QUERY = re.compile(r"(token|key|secret|password|signature|sig|code|hapikey|auth)", re.I)


def redact_url(url: str, secrets: dict[str, Any] | None = None) -> str:
    """The URL with credential-like query values (and known secret values anywhere) replaced."""
    parts = urlsplit(url)
    query = urlencode([(k, "[redacted]" if SECRET_QUERY.search(k) else v) for k, v in parse_qsl(parts.query)])
    cleaned = urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, query, parts.fragment))
    return scrub(cleaned, secrets or {})
