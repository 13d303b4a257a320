"""`layers-hub bench ranking`: ranking cost against the upvote count, printed as JSON lines.

Each size runs in a scratch database beside the configured one (services/bench/scratch.py), which is
dropped afterwards; the configured data is untouched.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from collections.abc import Callable

import pandas as pd
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url

from db.models import Integration, Organization, Tier, Upvote, User
from db.session import make_engine, session_scope
from services import demo
from services.bench.scratch import scratch_database
from services.demand import ranking
from services.demand.upvote_import import import_upvotes
from services.demand.upvotes import recompute_aggregates
from services.setup import upgrade_database


def _p50(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def _export_csv(url: str) -> tuple[str, list[tuple]]:
    with session_scope(url) as s:
        rows = s.execute(select(Integration.slug, User.email, User.name, Organization.name, Tier.slug,
                                Upvote.created_at, Upvote.user_id, Upvote.integration_id)
                         .join(User, User.id == Upvote.user_id)
                         .join(Integration, Integration.id == Upvote.integration_id)
                         .join(Organization, Organization.id == User.organization_id)
                         .join(Tier, Tier.id == User.tier_id)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["integration", "user_email", "user_name", "organization", "tier", "created_at"])
    writer.writerows((r[0], r[1], r[2], r[3], r[4], r[5].isoformat()) for r in rows)
    return out.getvalue(), [(r[6], r[7], r[5], None) for r in rows]


def _raw_copy_ms(url: str, rows: list[tuple]) -> float:
    """The floor for writing these rows: COPY (PostgreSQL) / executemany (SQLite) straight into the
    empty upvotes table, with its constraints and indexes, without validation or aggregates."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(Upvote))
    start = time.perf_counter()
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None   # a checked-out connection always has its DBAPI connection
        if conn.dialect.name == "postgresql":
            with raw.cursor() as cur, cur.copy(
                    "COPY upvotes (user_id, integration_id, created_at, comment) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cur = raw.cursor()
            cur.executemany("INSERT INTO upvotes (user_id, integration_id, created_at, comment) VALUES (?, ?, ?, ?)",
                            [(u, i, c.strftime("%Y-%m-%d %H:%M:%S.%f"), m) for u, i, c, m in rows])
    return round((time.perf_counter() - start) * 1000, 1)


def _pandas_ranking(url: str) -> pd.DataFrame:
    """The naive design: every upvote with its tier weight into pandas, then group."""
    with make_engine(url).connect() as conn:
        frame = pd.read_sql(text("SELECT u.integration_id, u.user_id, t.weight FROM upvotes u "
                                 "JOIN users s ON s.id = u.user_id JOIN tiers t ON t.id = s.tier_id"), conn)
    return frame.groupby("integration_id").agg(score=("weight", "sum"), upvotes=("user_id", "count"))


def bench_ranking(base_url: str, size: int, *, seed: int = 7) -> dict:
    with scratch_database(base_url) as url:
        upgrade_database(url)
        start = time.perf_counter()
        with session_scope(url) as s:
            demo.seed_demo(s, orgs=max(150, size // 200), upvotes=size, seed=seed)
        seed_ms = round((time.perf_counter() - start) * 1000, 1)

        def rank_once() -> None:
            with session_scope(url) as s:
                ranking.rank(s)

        rank_once()  # warm caches
        rank_ms = _p50(rank_once, 30)
        engine = make_engine(url)

        def count_scan() -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM upvotes")).scalar_one()

        count_ms = _p50(count_scan, 9)
        pandas_ms = _p50(lambda: _pandas_ranking(url), 3)
        body, rows = _export_csv(url)
        copy_ms = _raw_copy_ms(url, rows)
        with session_scope(url) as s:            # same users; the upvotes come back through the import
            s.execute(delete(Upvote))
            recompute_aggregates(s)
        start = time.perf_counter()
        with session_scope(url) as s:
            report = import_upvotes(s, body, actor="bench")
        import_ms = round((time.perf_counter() - start) * 1000, 1)
        assert report.imported == size, f"import wrote {report.imported} of {size}"
        return {"backend": make_url(url).get_backend_name(), "upvotes": size, "rank_ms_p50": rank_ms,
                "count_scan_ms_p50": count_ms, "pandas_ms_p50": pandas_ms, "import_ms": import_ms,
                "copy_ms": copy_ms, "seed_ms": seed_ms,
                "rank_over_count_scan": round(rank_ms / count_ms, 4) if count_ms else None,
                "pandas_over_rank": round(pandas_ms / rank_ms, 1) if rank_ms else None,
                "import_over_copy": round(import_ms / copy_ms, 2) if copy_ms else None}
