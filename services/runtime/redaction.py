"""Redacting what the Hub shows or stores about a provider call: URLs (query tokens, userinfo, known secret
values). The exchange shown to staff (provider_client) and the API call log (call_log) both use it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from services.connect.outbound import scrub

# A query parameter is a credential when one of the words of its name is (api_key, accessToken, X-Amz-Signature,
# hub.verify_token, code): words, not substrings, so assignee_type, author or keyword stay readable.
SECRET_WORDS = frozenset({"token", "key", "secret", "password", "passwd", "signature", "sig", "hapikey", "auth",
                          "apikey", "credential", "credentials", "code"})
_SECRET_ENDINGS = ("token", "secret", "password", "apikey")
_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def secret_param(name: str) -> bool:
    words = [w.lower() for w in _WORDS.split(name) if w]
    return any(w in SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words)


def redact_url(url: str, secrets: dict[str, Any] | None = None) -> str:
    """The URL with credential-like query values (and known secret values anywhere) replaced."""
    parts = urlsplit(url)
    query = urlencode([(k, "[redacted]" if secret_param(k) else v) for k, v in parse_qsl(parts.query)])
    cleaned = urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, query, parts.fragment))
    return scrub(cleaned, secrets or {})
