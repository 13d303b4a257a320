"""The Hub's HTTP routes without the Streamlit UI, in a process of their own: what `bench webhooks` runs as its
"server processes" (the same routes and exception handlers app.py gives st.App; no lifespan: with the job queue the
workers run the periodic jobs).

    python -m services.server.standalone --port 8601
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette

from services.core.config import load_settings
from services.server.routes import EXCEPTION_HANDLERS, build_routes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = Starlette(routes=build_routes(load_settings()), exception_handlers=EXCEPTION_HANDLERS)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off", backlog=4096)


if __name__ == "__main__":
    main()
