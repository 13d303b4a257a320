"""Request bodies of the Hub's own HTTP routes (webhooks, the provider routes such as Zapier's REST hooks): read
with a size cap, refused as they stream in, and JSON parsed with a nesting cap. The sandbox routes keep their own.

``read_body`` checks the declared Content-Length first (nothing is read when it is over the cap) and counts the
bytes of ``request.stream()`` (a chunked body has no Content-Length), stopping at the first chunk past the cap.
A route that authenticates the caller does so from the headers before it calls ``read_body``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import ClientDisconnect, Request

MAX_BODY = 1024 * 1024   # 1 MiB: every route that reads a body
MAX_DEPTH = 100          # nesting of JSON arrays/objects (and of a form's bracketed keys)
_LENGTH = re.compile(r"[0-9]{1,19}")   # ASCII digits only: '²'.isdigit() is True, int('１２') is 12


class TooDeep(ValueError):
    """JSON (or a form's bracketed keys) nested deeper than allowed."""


class BodyRejected(Exception):
    """The body is refused (status 400 or 413, and why)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body; BodyRejected(413) once it exceeds ``limit`` bytes (checked before and while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and not _LENGTH.fullmatch(declared.strip()):
        raise BodyRejected(400, "Content-Length is not a number")
    if declared is not None and int(declared) > limit:
        raise BodyRejected(413, f"payload over {limit} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyRejected(413, f"payload over {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise BodyRejected(400, "client disconnected") from None
    return b"".join(chunks)


def too_deep(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether lists/dicts nest deeper than ``max_depth`` (iterative: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def loads_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """JSON from UTF-8 bytes; ValueError when malformed, TooDeep when nested deeper than ``max_depth`` (the C
    parser raises RecursionError near the interpreter's limit, and what it does return would overflow the stack
    of any recursive walk afterwards: redaction, mapping, the JSON column)."""
    try:
        value = json.loads(body.decode("utf-8"))
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels") from None
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    if too_deep(value, max_depth):
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return value
