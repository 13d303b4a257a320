"""Which operation of an official definition a request hits (services/sandbox/openapi.match_operation): the
per-method index, most literal segments first, finds what a scan of every operation finds."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from services.sandbox.openapi import Operation, folder_operations, match_operation
from services.sandbox.schema_checks import normalise_path, specs_dir


def scan_every_operation(ops: tuple[Operation, ...], method: str, path: str,
                         variants=None) -> tuple[Operation | None, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The rule written out: every operation of the method tried, the most literal segments wins, the first of
    equals; a variant of the path only replaces a match with more literal segments."""
    path, _ = normalise_path(path)
    best = None
    for candidate in [path, *(variants(path) if variants else [])]:
        for op in ops:
            if op.method != method.upper():
                continue
            if op.base and (candidate == op.base or candidate.startswith(op.base + "/")):
                match = op.regex.match(candidate[len(op.base):] or "/")
            else:
                match = op.regex.match(candidate)
            if match and (best is None or op.literal_segments > best[0]):
                names = re.findall(r"\{([^}]+)\}", op.template)
                best = (op.literal_segments, op, dict(zip(names, (unquote(v) for v in match.groups()), strict=True)))
    return (best[1], best[2]) if best else (None, {})


def requests_for(ops: tuple[Operation, ...]) -> list[tuple[str, str]]:
    """Each operation's path with its parameters filled (so literal and templated routes compete, e.g. .../me
    against .../{id}), plus paths no operation has."""
    out = []
    for n, op in enumerate(ops):
        filled = re.sub(r"\{[^}]+\}", f"v{n}", op.template)
        out.append((op.method, (op.base or "") + filled))
        out.append((op.method, (op.base or "") + re.sub(r"\{[^}]+\}", "me", op.template)))
    return out + [("GET", "/no/such/path"), ("DELETE", "/")]


@pytest.mark.parametrize("folder", ["stripe", "klaviyo", "square", "hubspot", "slack", "twilio-sms"])
def test_the_index_finds_what_scanning_every_operation_finds(folder: str) -> None:
    ops = folder_operations(specs_dir() / folder)
    if not ops:
        pytest.skip(f"no definition in {specs_dir() / folder}")
    requests = requests_for(ops)
    assert len(requests) > 100
    for method, path in requests:
        assert match_operation(ops, method, path) == scan_every_operation(ops, method, path), (method, path)


def test_a_variant_with_more_literal_segments_wins_and_equals_keep_the_first() -> None:
    doc: dict = {"openapi": "3.0.0", "paths": {}}
    ops = (Operation("GET", "/v1/{kind}/{id}", "a.json", {}, doc),
           Operation("GET", "/v1/items/{id}", "a.json", {}, doc),
           Operation("GET", "/v1/{kind}/{id}", "b.json", {}, doc),
           Operation("GET", "/v2/items/{id}", "a.json", {}, doc))
    op, values = match_operation(ops, "get", "/v1/things/7")
    assert op is not None and (op.file, values) == ("a.json", {"kind": "things", "id": "7"}), "the first of equals"
    assert match_operation(ops, "GET", "/v1/items/7")[0] is ops[1], "more literal segments"
    to_v2 = lambda p: [p.replace("/v1/", "/v2/")]   # noqa: E731
    assert match_operation(ops, "GET", "/v1/things/7", to_v2)[0] is ops[0], "a variant needs more to win"
    assert match_operation(ops, "GET", "/v1/others/7", lambda p: ["/v2/items/7"])[0] is ops[3]
    assert match_operation(ops, "POST", "/v1/items/7") == (None, {})
