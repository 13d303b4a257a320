"""What the OpenAPI (openapi.py) and Fern (fern.py) request checkers share: the ``NO_BODY`` sentinel, a
``Problem`` found in a request, the ``Checks`` interface a provider's definition implements, where the
definitions live (``specs_dir``), how a request URL is read (``normalise_path``) and the JSON type and
date-time tests both validators use."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

NO_BODY: Any = object()   # sentinel: the request has no body (None means a JSON null body was sent)


def specs_dir() -> Path:
    root = os.environ.get("HUB_SPECS_DIR")
    return Path(root) if root else Path(__file__).resolve().parents[3] / "shared" / "specs"


@dataclass
class Problem:
    where: str                 # JSON path in the body ("$" = the body), or "path:<name>" / "query:<name>"
    message: str
    kind: str = "type"         # required | type | enum | format | unknown | operation | body
    schema: str | None = None  # name of the component schema being built (HubSpot's "Cannot build X")
    missing: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def normalise_path(url_or_path: str) -> tuple[str, dict[str, list[str]]]:
    """The path and query of a real URL, a bare path or a sandbox URL (read from after ``/sandbox/<slug>/api``)."""
    parts = urlsplit(url_or_path)
    path = parts.path or "/"
    marker = re.search(r"/sandbox/[^/]+/api(?=/)", path)
    if marker:
        path = path[marker.end():]
    return path, parse_qs(parts.query, keep_blank_values=True)


class Checks:
    """An official definition a request is checked against (``openapi.Spec``, ``fern.Spec``)."""

    def check_request(self, method: str, url_or_path: str, body: Any = NO_BODY) -> tuple[Any, list[Problem]]:
        raise NotImplementedError

    def problems(self, method: str, url_or_path: str, body: Any = None) -> list[str]:
        """Contract check: the problems of a request as readable strings ([] = valid). ``url_or_path`` may be
        a real URL, a sandbox URL or a bare path; ``body`` is the decoded JSON body (None = no body)."""
        _, found = self.check_request(method, url_or_path, NO_BODY if body is None else body)
        return [str(p) for p in found]


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value (shared by the OpenAPI and Fern validators)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value or " " in value
