"""The provider sandbox for `layers-hub bench sweep`, in its own process (so its event loop does not share
the benchmark's GIL, as a remote provider would not): every API request waits ``--latency-ms`` first,
and the server counts what it answered. A 429 is a rate-limit breach: no fault switch is armed in a
benchmark, so only the sandbox's own limiters (services/sandbox/limits.py) answer 429.

    python -m services.bench.sandbox --port 8765 --latency-ms 50
    GET /_bench/stats[?reset_lag=1] -> {"requests": n, "rate_limit_breaches": k, "max_lag_ms": ms, "nice": n,
                                        "breaches_by_service": {slug: k}}
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services import sandbox
from services.sandbox.limits import ARRIVED

STATS: Counter = Counter()       # requests answered; max_lag_ms since the last reset
BREACHES: Counter = Counter()    # 429s answered, by provider (their sum is the run's rate-limit breaches)


class Meter:
    """ASGI middleware: fixed latency before each sandbox request, and counts of its answers."""

    def __init__(self, app: Any, latency_s: float) -> None:
        self.app, self.latency_s = app, latency_s

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/sandbox/"):
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        ARRIVED.set(arrived)        # the limiters count from here (services/sandbox/limits.py), as a provider's edge
        await asyncio.sleep(self.latency_s)
        lag_ms = round((time.monotonic() - arrived - self.latency_s) * 1000)   # this event loop's own delay
        STATS["max_lag_ms"] = max(STATS["max_lag_ms"], lag_ms)

        async def counting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                STATS["requests"] += 1
                if message["status"] == 429:
                    BREACHES[scope["path"].split("/")[2]] += 1     # /sandbox/<slug>/...
            await send(message)
        await self.app(scope, receive, counting)


def build_app(latency_ms: float) -> Any:
    async def stats(request: Request) -> JSONResponse:
        lag = STATS["max_lag_ms"]
        if request.query_params.get("reset_lag"):      # a run's own figure: read at its start, then again at its end
            STATS["max_lag_ms"] = 0
        return JSONResponse({"requests": STATS["requests"], "rate_limit_breaches": sum(BREACHES.values()),
                             "max_lag_ms": lag, "nice": os.nice(0),
                             "breaches_by_service": dict(sorted(BREACHES.items()))})

    app = Starlette(routes=[Route("/_bench/stats", stats), sandbox.mount()])
    return Meter(app, latency_ms / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    uvicorn.run(build_app(args.latency_ms), host="127.0.0.1", port=args.port, log_level="warning",
                lifespan="off", backlog=4096)


if __name__ == "__main__":
    main()
