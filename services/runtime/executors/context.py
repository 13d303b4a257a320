"""What an executor gets (the action, the connection's config, a ProviderClient) and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.catalog import ActionSpec, IntegrationSpec
from services.runtime.provider_client import ProviderClient


@dataclass
class ActionContext:
    spec: IntegrationSpec
    action: ActionSpec
    config: dict[str, Any]          # the connection's non-secret fields (+ provider metadata)
    client: ProviderClient
    connection_id: int | None = None

    @property
    def mode(self) -> str:
        return self.client.mode


@dataclass
class ActionOutcome:
    output: dict[str, Any]
    preview: bool = False           # test mode: the output the action would map, nothing was sent
    notes: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """The structured result of running an action (printed by `layers-hub run`, shown by pages)."""

    ok: bool
    mode: str
    service: str
    action: str
    output: dict[str, Any] | None
    requests: list[dict[str, Any]]
    error: dict[str, Any] | None
    duration_ms: float
    retries: int
    preview: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
