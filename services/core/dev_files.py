"""Development-only secrets kept in a local file (the vault's development key, the sign-in cookie secret)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], str], what: str) -> str:
    """The file's text, created with ``make()`` (mode 0600) when missing; O_EXCL so concurrent processes agree
    on one value. Raises ``RuntimeError`` naming ``what`` when it stays empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):   # another process may be writing it right now
            text = path.read_text().strip()
            if text:
                return text
            threading.Event().wait(0.05)
        raise RuntimeError(f"{path} is empty; delete it to create a new {what}") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(make() + "\n")
    return path.read_text().strip()
