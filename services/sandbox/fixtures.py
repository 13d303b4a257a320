"""Sandbox connection fixtures: the credential and connection fields a sandbox connection of a provider
uses in the demo, the benchmarks and the contract suite. Each provider folder's ``fixtures.py`` declares its
``FIXTURE``; nothing here names a provider.

Templates: ``{a}`` is the sandbox account (credentials follow the sandbox rule ``sbx_<account>...``) and
``{sandbox}`` the provider's sandbox root on this server (e.g. Salesforce's instance URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.catalog import providers as folders
from services.sandbox import default_config, root_url


@dataclass(frozen=True)
class SandboxFixture:
    auth_type: str                                       # the connection's auth type (a catalog auth method)
    secrets: dict[str, str] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)


def fixture(slug: str) -> SandboxFixture | None:
    found: SandboxFixture | None = folders.part(slug, "fixtures", "FIXTURE")
    return found


def fixtures() -> dict[str, SandboxFixture]:
    """Every provider with a sandbox connection fixture, by slug."""
    return folders.parts("fixtures", "FIXTURE")


def connection_config(slug: str, base_url: str, account: str) -> dict[str, Any]:
    """The config of a sandbox connection of ``slug`` for ``account`` on the Hub served at ``base_url``."""
    config: dict[str, Any] = dict(default_config(slug, base_url))
    found = fixture(slug)
    if found is not None:
        sandbox = f"{root_url(base_url)}/{slug}"
        config.update({k: v.format(a=account, sandbox=sandbox) for k, v in found.config.items()})
    return config


def connection_secrets(slug: str, account: str) -> dict[str, str]:
    found = fixture(slug)
    return {k: v.format(a=account) for k, v in (found.secrets if found else {}).items()}
