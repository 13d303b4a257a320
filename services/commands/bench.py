"""`layers-hub bench ranking`"""

from __future__ import annotations

import argparse
import json

from db.session import database_url
from services.commands.common import HubParser, positive_int
from services.core.errors import InvalidInput


def _sizes(value: str) -> list[int]:
    try:
        sizes = [int(v.replace("_", "")) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a comma-separated list of numbers") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def cmd_ranking(args: argparse.Namespace) -> int:
    from services.bench.ranking import bench_ranking

    if args.upvotes[-1] > 20_000_000:
        raise InvalidInput("more than 20M upvotes is beyond this benchmark")
    results = []
    for size in args.upvotes:
        result = bench_ranking(database_url(), size)
        results.append(result)
        print(json.dumps(result), flush=True)
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(json.dumps({"rank_growth": round(last["rank_ms_p50"] / first["rank_ms_p50"], 2),
                          "from_upvotes": first["upvotes"], "to_upvotes": last["upvotes"]}))
    return 0


def cmd_http(args: argparse.Namespace) -> int:
    from services.bench.http import bench_http

    print(json.dumps(bench_http(database_url(), args.calls)), flush=True)
    return 0


def cmd_webhooks(args: argparse.Namespace) -> int:
    from services.bench.webhooks import bench_webhooks

    print(json.dumps(bench_webhooks(database_url(), rate=args.rate, seconds=args.seconds, servers=args.servers,
                                    workers=args.workers, kill_after_s=args.kill_worker_after)), flush=True)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks (JSON lines) in scratch databases beside DATABASE_URL")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, parser_class=HubParser)
    ranking = bench_sub.add_parser("ranking", help="ranking vs count(*), pandas, import vs COPY")
    ranking.add_argument("--upvotes", type=_sizes, default=[10_000, 100_000, 1_000_000],
                         help="comma-separated sizes (default 10000,100000,1000000)")
    ranking.set_defaults(func=cmd_ranking)
    http = bench_sub.add_parser("http", help="a loopback sandbox call through the Hub's HTTP layer vs bare httpx2")
    http.add_argument("--calls", type=positive_int, default=400, help="measured calls per client (default 400)")
    http.set_defaults(func=cmd_http)
    hooks = bench_sub.add_parser("webhooks", help="signed inbound webhooks at a rate to server processes, handled "
                                 "by worker processes (PostgreSQL; JSON line)")
    hooks.add_argument("--rate", type=positive_int, default=500, help="deliveries per second (default 500)")
    hooks.add_argument("--seconds", type=float, default=20.0, help="how long to send (default 20)")
    hooks.add_argument("--servers", type=positive_int, default=2, help="server processes (default 2)")
    hooks.add_argument("--workers", type=positive_int, default=2, help="worker processes (default 2)")
    hooks.add_argument("--kill-worker-after", type=float, default=None, metavar="S",
                       help="kill -9 one worker S seconds into the run and start another (fault run)")
    hooks.set_defaults(func=cmd_webhooks)
    from services.commands.health import register_bench

    register_bench(bench_sub)   # `bench sweep` (issue 7)
