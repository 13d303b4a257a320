"""`layers-hub worker`: run procrastinate jobs (PostgreSQL); `layers-hub jobs status`: the queue's figures."""

from __future__ import annotations

import argparse
import json

from services.commands.common import HubParser, positive_int, table


def _queues(value: str) -> list[str]:
    from services.jobs.registry import QUEUES

    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in QUEUES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(QUEUES)}")
    return names


def cmd_worker(args: argparse.Namespace) -> int:
    from db.session import database_url
    from services.core.errors import InvalidInput
    from services.jobs import queue, tasks
    from services.jobs.registry import is_postgresql

    url = database_url()
    if not is_postgresql(url):
        raise InvalidInput("a worker needs DATABASE_URL on PostgreSQL (procrastinate's job queue); with SQLite the "
                           "server (`make run`) runs the jobs itself")
    if not queue.schema_applied(url):
        raise InvalidInput("the job queue's schema is missing: run `layers-hub db upgrade` first")
    assert tasks.JOBS_LOADED
    queue.run_worker(url, queues=args.queues, concurrency=args.concurrency, name=args.name,
                     periodic=not args.no_periodic)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from services.jobs.status import job_status

    status = job_status()
    if args.format == "json":
        print(json.dumps(status, indent=2, default=str))
        return 0
    def shown(key: str, unit: str = "") -> str:   # the embedded runner does not count some: "—", never "None"
        value = status.get(key)
        return "—" if value is None else f"{value}{unit}"

    print(f"backend: {status['backend']}; queued: {shown('queued')}; running: {shown('running')}; "
          f"oldest queued: {shown('oldest_s', ' s')}; failed: {shown('failed')}")
    if status.get("workers"):
        print(table(status["workers"], ["id", "heartbeat_age_s", "alive"]))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser("worker", help="run background jobs from the PostgreSQL queue (inbound webhooks, "
                                           "deliveries, announcements, sweeps, retention); any number may run")
    worker.add_argument("--queues", type=_queues, default=None,
                        help="comma-separated queues (webhooks, notify, maintenance; default all)")
    worker.add_argument("--concurrency", type=positive_int, default=4, help="jobs run at once (default 4)")
    worker.add_argument("--name", default=None, help="worker name in logs (default host:pid)")
    worker.add_argument("--no-periodic", action="store_true",
                        help="do not queue the periodic jobs from this worker (others do; benchmarks)")
    worker.set_defaults(func=cmd_worker)
    jobs = sub.add_parser("jobs", help="the job queue")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, parser_class=HubParser)
    status = jobs_sub.add_parser("status", help="queued and running jobs, the oldest queued job's age, workers")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.set_defaults(func=cmd_status)
