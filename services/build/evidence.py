"""Evidence the Hub itself holds for checklist items: one mapping, item key -> evidence function.

Each function reads what other parts of the Hub record (OAuth and API-key connections, test runs,
the API call log, alerts, the executor registry, the integration guides, the outbox). A function
returns None when there is nothing to show yet; the tracker then says "no evidence yet". Evidence
informs the engineer who ticks the item; it never ticks anything by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Alert, ApiCall, Connection, Integration, Notification, TestRun
from services.catalog import load_catalog
from services.guides.state import guide_state
from services.guides.written import GUIDE_ITEMS as GUIDE_ITEMS  # defined beside the sections; re-exported
from services.guides.written import GUIDE_SECTIONS
from services.runtime.executors.registry import registered

NO_EVIDENCE = "no evidence yet"
API_KEY_AUTH = ("api_key", "app_password", "basic")


@dataclass(frozen=True)
class Evidence:
    ok: bool            # True: the data supports the item; False: the data says it is not there yet
    summary: str
    at: datetime | None = None


EvidenceFn = Callable[[Session, Integration], "Evidence | None"]


def _last_connection(session: Session, integration: Integration, auth_types: tuple[str, ...]) -> Connection | None:
    return session.scalar(select(Connection).where(
        Connection.integration_id == integration.id, Connection.auth_type.in_(auth_types),
        Connection.status == "active").order_by(Connection.created_at.desc()).limit(1))


def oauth_connection(session: Session, integration: Integration) -> Evidence | None:
    """'Test OAuth flow': the last successful OAuth connection."""
    conn = _last_connection(session, integration, ("oauth2",))
    if conn is None:
        return None
    return Evidence(True, f"last successful OAuth connection #{conn.id} on {conn.created_at:%Y-%m-%d}",
                    conn.created_at)


def api_key_connection(session: Session, integration: Integration) -> Evidence | None:
    """'Test API key flow': the last active API-key connection and its last check."""
    conn = _last_connection(session, integration, API_KEY_AUTH)
    if conn is None:
        return None
    checked = f", checked {conn.last_checked_at:%Y-%m-%d}" if conn.last_checked_at else ", never checked"
    return Evidence(conn.last_checked_at is not None, f"API-key connection #{conn.id}{checked}",
                    conn.last_checked_at or conn.created_at)


def _passing_runs(session: Session, integration: Integration, mode: str) -> dict[str | None, datetime]:
    return dict(session.execute(
        select(TestRun.action, func.max(TestRun.created_at)).join(Connection, Connection.id == TestRun.connection_id)
        .where(Connection.integration_id == integration.id, TestRun.mode == mode, TestRun.ok.is_(True))
        .group_by(TestRun.action)).all())


def _runs_per_action(mode: str) -> EvidenceFn:
    def evidence(session: Session, integration: Integration) -> Evidence | None:
        passed = _passing_runs(session, integration, mode)
        if not passed:
            return None
        spec = load_catalog().integrations.get(integration.slug)
        actions = list(spec.actions) if spec else []
        missing = [a for a in actions if a not in passed]
        last = max(passed.values())
        lines = ", ".join(f"{a} {passed[a]:%Y-%m-%d}" for a in actions if a in passed)
        if not actions:
            return Evidence(True, f"last passing {mode}-mode run {last:%Y-%m-%d}", last)
        summary = f"{len(actions) - len(missing)}/{len(actions)} actions passed in {mode} mode ({lines})"
        return Evidence(not missing, summary + (f"; not yet: {', '.join(missing)}" if missing else ""), last)
    evidence.__doc__ = f"The last passing {mode}-mode run per catalog action."
    return evidence


def api_calls_logged(session: Session, integration: Integration) -> Evidence | None:
    since = utcnow() - timedelta(days=30)
    count, last = session.execute(select(func.count(), func.max(ApiCall.created_at)).where(
        ApiCall.integration_id == integration.id, ApiCall.created_at >= since)).one()
    return Evidence(True, f"{count} API calls logged in the last 30 days", last) if count else None


def success_rate(session: Session, integration: Integration) -> Evidence | None:
    since = utcnow() - timedelta(days=7)
    total, failed = session.execute(select(func.count(), func.count(ApiCall.error_category)).where(
        ApiCall.integration_id == integration.id, ApiCall.created_at >= since)).one()
    if not total:
        return None
    return Evidence(True, f"{(total - failed) / total:.0%} of {total} calls succeeded in the last 7 days")


def alerts(session: Session, integration: Integration) -> Evidence | None:
    raised, open_, last = session.execute(
        select(func.count(), func.count(Alert.id).filter(Alert.cleared_at.is_(None)), func.max(Alert.raised_at))
        .where(Alert.integration_id == integration.id)).one()
    return Evidence(True, f"{raised} alerts raised, {open_} open", last) if raised else None


def registered_executors() -> set[tuple[str, str]]:
    """(service, action) pairs with an executor (declarative or hand-written), from the executor registry."""
    return set(registered())


def executors(session: Session, integration: Integration) -> Evidence | None:
    """'Node executor implemented': an executor is registered for every catalog action."""
    spec = load_catalog().integrations.get(integration.slug)
    if spec is None or not spec.actions:
        return None
    pairs = registered_executors()
    missing = [a for a in spec.actions if (integration.slug, a) not in pairs]
    n = len(spec.actions)
    return Evidence(not missing, f"executors for {n - len(missing)}/{n} catalog actions"
                    + (f"; missing: {', '.join(missing)}" if missing else ""))


def guide(session: Session, integration: Integration) -> Evidence | None:
    """'Write integration guide': the guide is published (services/guides), not merely a file on disk."""
    state = guide_state(session, integration)
    if state.state == "not written":
        return None
    if state.published:
        edited = "; the written text changed since" if state.edited_since_published else ""
        return Evidence(True, f"guide published by {state.published_by} on {state.published_at:%Y-%m-%d}{edited}",
                        state.published_at)
    if state.state == "ready to publish":
        return Evidence(False, "guide written, not published yet (Integration guides page)")
    lapsed = "published, but " if state.published_by else ""
    return Evidence(False, f"guide {lapsed}incomplete: " + "; ".join(state.problems))


def _guide_section(key: str) -> EvidenceFn:
    title, _ = GUIDE_SECTIONS[key]

    def evidence(session: Session, integration: Integration) -> Evidence | None:
        state = guide_state(session, integration)
        if state.state == "not written":
            return None
        if state.published:
            return Evidence(True, f"section “{title}” is in the published guide", state.published_at)
        missing = [p for p in state.problems if f"“{title}”" in p]
        where = "; ".join(missing) if missing else f"section “{title}” written"
        return Evidence(False, f"{where}; guide not published")
    return evidence


def registry_status(session: Session, integration: Integration) -> Evidence | None:
    ok = integration.status == "available"
    return Evidence(ok, f"registry status is {integration.status!r}", integration.status_changed_at)


def upvoting_closed(session: Session, integration: Integration) -> Evidence | None:
    return Evidence(not integration.upvoting_open, "upvoting closed" if not integration.upvoting_open
                    else "upvoting still open")


def announcements(session: Session, integration: Integration) -> Evidence | None:
    counts = dict(session.execute(select(Notification.status, func.count())
                                  .where(Notification.integration_id == integration.id)
                                  .group_by(Notification.status)).all())
    if not counts:
        return None
    total = sum(counts.values())
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return Evidence(counts.get("sent", 0) == total, f"{total} notifications to upvoters: {parts}")


EVIDENCE: dict[str, EvidenceFn] = {
    "credentials.oauth": oauth_connection,
    "check.oauth_flow": oauth_connection,
    "review.oauth_flow": oauth_connection,
    "credentials.api_key": api_key_connection,
    "check.api_key_flow": api_key_connection,
    "client.monitoring.log_calls": api_calls_logged,
    "client.monitoring.rates": success_rate,
    "client.monitoring.alerts": alerts,
    "executor.implemented": executors,
    "testing.integration.test_mode": _runs_per_action("test"),
    "check.test_mode": _runs_per_action("test"),
    "review.api_client": _runs_per_action("test"),
    "check.live_mode": _runs_per_action("live"),
    "testing.production.monitor": api_calls_logged,
    "docs.guide": guide,
    **{key: _guide_section(key) for key in GUIDE_SECTIONS},
    "docs.registry_available": registry_status,
    "docs.remove_upvote": upvoting_closed,
    "docs.announce": announcements,
}


def evidence_for(session: Session, integration: Integration, keys: list[str]) -> dict[str, Evidence | None]:
    """Evidence for the given items that the Hub can hold evidence for (None: no evidence yet)."""
    return {key: EVIDENCE[key](session, integration) for key in keys if key in EVIDENCE}
