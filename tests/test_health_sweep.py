"""The health sweep against the sandbox: bounded concurrency, the provider pacing holding across workers,
failures made with fault switches, progress, stored results, alerts and the `layers-hub sweep` command."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import event, select

from db.models import Alert, AuditEntry, Connection
from db.models.health import HealthSweep, SweepResult
from services import cli
from services.connect.store import write_secrets
from services.core.errors import InvalidInput
from services.monitoring.sweep import recent_sweeps, run_sweep, sweep_results, targets
from services.providers.mailchimp import sandbox as mc_sandbox
from services.sandbox import faults
from tests.health_support import clean_sandbox, organization, sandbox_connection  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_sandbox")


def breaches(report) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in report.results for e in r.requests if e["status"] == 429)


def test_concurrency_is_bounded_by_the_sweep(session, world):
    for _ in range(6):
        sandbox_connection(session, world.org_id, "mailchimp", "acme")
    # Slow enough that every worker's request is in flight at once even on a loaded CI machine.
    faults.arm(faults.Fault("mailchimp", "acme", "slow", times=6, delay_ms=800))
    started = time.perf_counter()
    report = run_sweep(actor="support@layers.example", concurrency=3)
    assert report.passed == 6 and mc_sandbox.CONNECTIONS.peak["acme"] == 3
    assert time.perf_counter() - started >= 1.6, "two waves of three slow checks"


def test_the_providers_pacing_holds_across_workers(session, world):
    for _ in range(14):
        sandbox_connection(session, world.org_id, "mailchimp", "acme")
    # 1.5 s per check: the ten allowed slots fill before the first check ends, however loaded the machine
    # (with 300 ms a loaded CI machine started only 8 before the first returned).
    faults.arm(faults.Fault("mailchimp", "acme", "slow", times=14, delay_ms=1500))
    report = run_sweep(actor="support@layers.example", concurrency=14)
    assert report.passed == 14 and breaches(report) == 0
    assert mc_sandbox.CONNECTIONS.peak["acme"] == 10, "Mailchimp allows 10 simultaneous connections per user"


def test_a_mixed_sweep_reports_progress_stores_results_and_raises_alerts(session, creds_env):
    org = organization(session, "Enterprise Agency", "enterprise")     # alerts at 2 consecutive failures
    good = sandbox_connection(session, org, "activecampaign", "good")
    bad_key = sandbox_connection(session, org, "activecampaign", "bad")
    write_secrets(session.get(Connection, bad_key), {"api_key": "revoked-key-0000"})
    limited = sandbox_connection(session, org, "calendly", "busy")
    broken = sandbox_connection(session, org, "wordpress", "down")
    revoked = sandbox_connection(session, org, "webflow", "gone")
    session.get(Connection, revoked).status = "revoked"
    session.commit()
    faults.arm(faults.Fault("calendly", "busy", "rate_limit", times=1, retry_after=40))
    faults.arm(faults.Fault("wordpress", "*", "server_error", times=8))
    seen: list[tuple[int, int]] = []
    report = run_sweep(actor="support@layers.example", concurrency=4,
                       progress=lambda done, total, result: seen.append((done, total)))
    assert seen == [(n, 4) for n in range(1, 5)], "revoked connections are not checked"
    by_id = {r.connection_id: r for r in report.results}
    assert set(by_id) == {good, bad_key, limited, broken}
    assert by_id[good].ok and (report.passed, report.failed) == (1, 3)
    assert by_id[bad_key].summary == "The API key was rejected by ActiveCampaign"
    assert by_id[limited].summary == "Calendly rate limit: retry in 40 s"
    assert by_id[broken].category == "provider" and len(by_id[broken].requests) == 4
    sweep = session.scalar(select(HealthSweep))
    assert (sweep.total, sweep.passed, sweep.failed, sweep.concurrency, sweep.actor) == \
        (4, 1, 3, 4, "support@layers.example")
    stored = sweep_results(session, sweep.id)
    assert list(stored["outcome"]) == ["FAILED", "FAILED", "FAILED", "passed"]
    assert len(session.scalars(select(SweepResult)).all()) == 4
    assert recent_sweeps(session)["failed"].tolist() == [3]
    session.expire_all()
    assert session.get(Connection, bad_key).status == "error" and session.get(Connection, good).last_checked_at
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "health.sweep")).after["failed"] == 3
    # the WordPress connection logged 4 failed attempts: past enterprise's 2 consecutive failures
    alerted = {a.connection_id for a in session.scalars(select(Alert).where(Alert.cleared_at.is_(None)))}
    assert broken in alerted and good not in alerted
    assert {e.connection_id for e in report.alerts} == alerted


def test_one_integration_only_and_bad_arguments(session, world):
    sandbox_connection(session, world.org_id, "activecampaign", "acme")
    sandbox_connection(session, world.org_id, "wordpress", "acme")
    report = run_sweep(actor="cli", service="wordpress", concurrency=2)
    assert [r.service for r in report.results] == ["wordpress"]
    with pytest.raises(InvalidInput, match="unknown integration"):
        run_sweep(actor="cli", service="nope")
    with pytest.raises(InvalidInput, match="between 1 and 64"):
        run_sweep(actor="cli", concurrency=0)


def test_the_sweep_command_prints_json_and_fails_when_a_check_fails(session, world, capsys):
    sandbox_connection(session, world.org_id, "activecampaign", "acme")
    assert cli.main(["sweep", "--format", "json", "--concurrency", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["total"], out["passed"], out["concurrency"]) == (1, 1, 2)
    assert out["results"][0]["result"] == "ActiveCampaign accepted the credentials"
    faults.arm(faults.Fault("activecampaign", "*", "expired_token", times=1))
    assert cli.main(["sweep", "--service", "activecampaign"]) == 1
    captured = capsys.readouterr()
    assert "0 of 1 connections passed" in captured.out and "1 connection check(s) failed" in captured.err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["sweep", "--concurrency", "100"])
    assert exit_.value.code == 2 and "between 1 and 64" in capsys.readouterr().err


def test_each_sweep_worker_has_its_own_pool_sharing_one_tls_context():
    """One pool shared by 48 workers serialised them on its lock; each worker thread now keeps its own."""
    import threading

    from services.monitoring.sweep import PooledTransport

    pooled = PooledTransport()
    seen: list[object] = []
    workers = [threading.Thread(target=lambda: seen.extend([pooled._mine(), pooled._mine()])) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(seen) == 6 and len({id(t) for t in seen}) == 3, "one pool per thread, reused within it"
    assert {id(t._pool._ssl_context) for t in seen} == {id(pooled._tls)}      # type: ignore[attr-defined]
    pooled.close()                       # a check's client closing leaves the pools open
    assert len(pooled._all) == 3
    pooled.shutdown()
    assert pooled._all == []


def test_a_shard_reads_its_own_connections_not_all(session, world):
    """A sweep shard (services/jobs/tasks.sweep_shard) names its connections; reading every connection to keep
    50 made each of a large fleet's shards read the whole table (38 % of a worker's time in the benchmark)."""
    ids = [sandbox_connection(session, world.org_id, "mailchimp", "acme") for _ in range(5)]
    session.get(Connection, ids[1]).status = "revoked"
    session.commit()
    session.expunge_all()
    loaded: list[int] = []

    def on_load(target: Connection, _context: object) -> None:
        loaded.append(target.id)
    event.listen(Connection, "load", on_load)
    try:
        shard = targets(session, connection_ids=[ids[0], ids[1], ids[3]])
    finally:
        event.remove(Connection, "load", on_load)
    assert [v.id for v in shard] == [ids[0], ids[3]], "revoked connections are not checked"
    assert sorted(loaded) == [ids[0], ids[1], ids[3]], "only the shard's rows are read"
    report = run_sweep(actor="support@layers.example", concurrency=2, connection_ids=[ids[2], ids[4]])
    assert sorted(r.connection_id for r in report.results) == [ids[2], ids[4]]


@pytest.mark.postgresql_only
def test_a_sweep_stores_its_results_and_call_log_as_multi_row_inserts(session, world, db_url):
    """On PostgreSQL a sweep's results and the API call log's batch go as multi-row INSERTs, not one statement per
    row (SQLAlchemy's psycopg dialect sends executemany INSERTs row by row: 4000 statements for 2000 checks)."""
    from sqlalchemy import Engine

    for _ in range(4):
        sandbox_connection(session, world.org_id, "mailchimp", "acme")
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith(("INSERT INTO health_sweep_results", "INSERT INTO api_calls")):
            statements.append(statement)
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        report = run_sweep(actor="support@layers.example", concurrency=4)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert report.total == 4
    results = [s for s in statements if s.startswith("INSERT INTO health_sweep_results")]
    calls = [s for s in statements if s.startswith("INSERT INTO api_calls")]
    assert len(results) == 1 and results[0].count("), (") == 3, results
    assert sum(s.count("), (") + 1 for s in calls) == 4 and len(calls) < 4, calls
