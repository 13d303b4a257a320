"""Sandbox fault switches from the API health page (demos and training): make a sandbox provider answer
429, 401, 5xx or slowly for its next requests, to show diagnoses, retries and alerts. Audited; refused
when the sandbox is off. The switches live in the server process (services/sandbox/faults.py)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from services.core import audit
from services.core.config import load_settings
from services.core.errors import InvalidInput, PermissionDenied
from services.sandbox import faults
from services.sandbox import providers as sandbox_providers

FAULT_ROLES = frozenset({"engineer", "admin"})
KIND_LABELS = {"rate_limit": "429 rate limit (with Retry-After)", "expired_token": "401 expired token",
               "server_error": "500 server error", "unavailable": "503 unavailable", "slow": "slow answers"}


def providers() -> list[tuple[str, str]]:
    return sorted(((slug, p.name) for slug, p in sandbox_providers().items()), key=lambda p: p[1].lower())


def _allowed(role: str) -> None:
    if not load_settings().sandbox_enabled:
        raise InvalidInput("the sandbox is off (HUB_SANDBOX=1 turns it on)")
    if role not in FAULT_ROLES:
        raise PermissionDenied("only engineers and admins may switch sandbox faults")


def arm(session: Session, *, actor: str, role: str, provider: str, kind: str, times: int = 1,
        account: str = "*", retry_after: float | None = None, delay_ms: int = 0) -> faults.Fault:
    """Arm a fault switch for the provider's next ``times`` requests (``account`` ``*`` = every account)."""
    _allowed(role)
    if provider not in sandbox_providers():
        raise InvalidInput(f"the sandbox has no provider {provider!r}")
    if not 1 <= times <= 1000:
        raise InvalidInput("times must be between 1 and 1000")
    fault = faults.Fault(provider, (account or "*").strip() or "*", kind, times, retry_after, delay_ms)
    try:
        faults.arm(fault)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    audit.record(session, actor=actor, action="sandbox.fault_armed", entity_type="sandbox", entity_id=provider,
                 after=asdict(fault))
    return fault


def clear(session: Session, *, actor: str, role: str) -> int:
    _allowed(role)
    count = len(faults.armed())
    faults.clear()
    audit.record(session, actor=actor, action="sandbox.faults_cleared", entity_type="sandbox", entity_id=None,
                 after={"cleared": count})
    return count


def armed() -> list[faults.Fault]:
    return faults.armed()
