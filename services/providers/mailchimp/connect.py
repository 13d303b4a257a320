"""Mailchimp's connection quirks (services/connect/hooks.py).

- OAuth: Mailchimp tokens do not say which data centre the account lives in; the metadata endpoint does
  (``GET https://login.mailchimp.com/oauth2/metadata`` with ``Authorization: OAuth <token>``, answering
  ``dc``, ``accountname``, ``api_endpoint``; the header form and fields are B in providers.md). The
  connection check (the catalog's ``check``) uses the same call and header.
- API key (HTTP Basic): the catalog check is the OAuth metadata call; a key connection pings its data
  centre instead, and the data centre is the ``-usNN`` suffix of the key (catalog description).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from services.catalog import RequestSpec
from services.connect.hooks import ConnectHooks, HookContext, HookResult, TokenHook


def metadata(token: dict[str, Any], ctx: HookContext) -> HookResult:
    url = ctx.url("https://login.mailchimp.com/oauth2/metadata")
    meta = ctx.get_json(url, {"Authorization": f"OAuth {token['access_token']}"})
    keep: dict[str, Any] = {k: meta[k] for k in ("dc", "accountname", "api_endpoint", "login_url") if k in meta}
    return HookResult(keep, {"dc": meta["dc"]} if meta.get("dc") else {})


def data_centre(values: Mapping[str, Any]) -> dict[str, Any]:
    """``dc`` from an API key ending in ``-usNN``."""
    key = str(values.get("password") or values.get("api_key") or "")
    match = re.search(r"-(us\d+)$", key)
    return {"dc": match.group(1)} if match else {}


CONNECT = ConnectHooks(
    token=TokenHook(provides=frozenset({"dc"}), after_token=metadata, check_template="OAuth {token}"),
    checks={"basic": RequestSpec(method="GET", path="/ping")},
    derive_config=data_centre,
)
