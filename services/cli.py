"""`layers-hub`: the ops CLI used by `make run`, cron and scripts (also `python -m services.cli`).

Each command group lives in a module of services/commands/ with a `register(subparsers)` function;
add new groups to COMMAND_MODULES.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from db.session import database_url
from services.commands.common import HubParser
from services.core.config import load_settings
from services.core.errors import HubError

# services/commands/* import their services inside each handler for start-up time only (not to dodge cycles).
COMMAND_MODULES = (
    "services.commands.database",
    "services.commands.demo",
    "services.commands.catalog",
    "services.commands.connections",
    "services.commands.build",
    "services.commands.ranking",
    "services.commands.bench",
    "services.commands.executors",
    "services.commands.health",
    "services.commands.docs",
    "services.commands.webhooks",
    "services.commands.success",
    "services.commands.people",
    "services.commands.jobs",
)


def build_parser() -> argparse.ArgumentParser:
    parser = HubParser(prog="layers-hub", description="Operate the Layers Integration Hub. "
                       f"Database: DATABASE_URL (now {database_url().split('@')[-1]}).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=HubParser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _reader_gone() -> int:
    """stdout's reader went away (`layers-hub ... | head -2`): end quietly, as the Python docs recommend for
    SIGPIPE: point stdout at devnull so the interpreter's final flush cannot raise again, and exit 1."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):   # stdout is not a file (a test's capture): nothing is flushed at exit
        pass
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except BrokenPipeError:
        return _reader_gone()


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit:   # --help or a usage error: what was printed must reach a reader that may be gone
        sys.stdout.flush()
        raise
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        load_settings()   # refuses to run on an unknown HUB_ENV or the sandbox in production (ConfigError)
        code = handler(args)
        sys.stdout.flush()   # a pipe buffers: a reader that is gone shows up here, not at exit
        return code
    except BrokenPipeError:
        raise
    except HubError as exc:
        print(f"layers-hub: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an ops tool answers in one line
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"layers-hub: error: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
