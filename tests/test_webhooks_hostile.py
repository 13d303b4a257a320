"""Hostile input at the Hub's HTTP routes (issue "Hostile input", items 1, 4 and 7, and the rejection flood):
bodies capped and refused while streaming, authentication before any body is read, 4xx (never a 5xx or a
traceback) for overflowing timestamps and ids, unicode digits and deeply nested JSON, sandbox deliveries that
cannot climb out of /hooks/ with dot segments, and rejection rows capped per connection per minute.

The routes are driven in-process through ASGI (no server in between), so an unhandled exception fails the test
instead of becoming a 500, and the test sees how many body bytes a route read."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from starlette.applications import Starlette

from db.base import MAX_ID, utcnow
from db.models.webhooks import WebhookRejection
from db.session import session_scope
from services.connect.signatures import SignatureError, fresh
from services.core.config import load_settings
from services.sandbox import deliveries
from services.server.routes import build_routes
from services.webhooks import inbound
from tests.webhooks_support import OTHER, SECRET, counts, shared, with_secret

MIB = 1024 * 1024
MAX_BODY = inbound.MAX_BODY   # every route's cap (the webhook routes': 1 MiB)
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = "9" * 400


def _app() -> Starlette:
    return Starlette(routes=build_routes(load_settings()))


def _latin1(value: str) -> bytes:
    """A header value as the bytes a client sends ('²' is one latin-1 byte; other text goes as UTF-8)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


def call(app: Starlette, method: str, path: str, headers: dict[str, str] | None = None,
         chunks: list[bytes] | None = None, *, length: bool = True) -> tuple[int, bytes, int]:
    """Drive one request through the ASGI app: (status, body, body bytes the app read). ``length=False`` sends
    the body chunked (no Content-Length)."""
    chunks = chunks if chunks is not None else [b""]
    raw = [(k.lower().encode(), _latin1(v)) for k, v in (headers or {}).items()]
    if length and not any(k == b"content-length" for k, _ in raw):
        raw.append((b"content-length", str(sum(len(c) for c in chunks)).encode()))
    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": raw, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    read, sent, out = [0], [0], {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        if sent[0] >= len(chunks):
            await anyio.sleep_forever()
        chunk = chunks[sent[0]]
        sent[0] += 1
        read[0] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": sent[0] < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    async def run() -> None:
        await app(scope, receive, send)

    anyio.run(run)
    return out["status"], out["body"], read[0]  # type: ignore[return-value]


def _auth(cid: int | str, key: str = SECRET) -> dict[str, str]:
    return {"X-Layers-Connection": str(cid), "X-Layers-Key": key, "content-type": "application/json"}


@pytest.fixture
def zapier(connect, session, creds_env) -> int:  # type: ignore[no-untyped-def]
    cid = connect("zapier")
    with_secret(session, cid)
    return cid


# --- 1. bodies: authenticate first, cap every body, refuse while streaming ---------------------------------------

def test_zapier_hooks_authenticates_before_reading_the_body(zapier):
    app = _app()
    big = [b"x" * MIB] * 200                       # 200 MiB declared and offered
    status, body, read = call(app, "POST", "/api/zapier/hooks", {"content-type": "application/json"}, big)
    assert status == 401 and read == 0 and b"X-Layers-Key" in body
    status, _, read = call(app, "POST", "/api/zapier/hooks", _auth(zapier, OTHER), big, length=False)
    assert status == 401 and read == 0


def test_zapier_hooks_refuses_an_oversized_body_with_413_before_and_while_reading(zapier):
    app = _app()
    status, body, read = call(app, "POST", "/api/zapier/hooks", _auth(zapier), [b"x" * MIB] * 200)
    assert status == 413 and read == 0 and b"payload over" in body          # Content-Length says so: nothing read
    status, body, read = call(app, "POST", "/api/zapier/hooks", _auth(zapier), [b"x" * MIB] * 200, length=False)
    assert status == 413 and MAX_BODY < read <= MAX_BODY + MIB              # chunked: counted, stopped past the cap


@pytest.mark.parametrize("declared", ["²", "１２", "-1", "1e9", " ", "9" * 400])
def test_a_content_length_that_is_no_number_is_refused_on_every_body_route(declared, zapier, connect, session):
    cid = connect("n8n")
    with_secret(session, cid)
    app = _app()
    for path, headers in [("/api/zapier/hooks", _auth(zapier)), (f"/hooks/n8n/{cid}", shared(SECRET)),
                          ("/hooks/hubspot/apps/123", {})]:
        status, _, _ = call(app, "POST", path, {**headers, "content-length": declared}, [b"{}"])
        assert status in (400, 413), (path, declared, status)


def test_inbound_routes_refuse_a_chunked_oversized_body(connect, session, creds_env):
    cid = connect("n8n")
    with_secret(session, cid)
    status, _, read = call(_app(), "POST", f"/hooks/n8n/{cid}", shared(SECRET), [b" " * MIB] * 50, length=False)
    assert status == 413 and read <= MAX_BODY + MIB
    assert counts(cid) == (0, 0)


# --- 4. 500s from unauthenticated requests ---------------------------------------------------------------------

@pytest.mark.parametrize("timestamp", [HUGE, "9" * 5000, "-" + HUGE, "1e400", "nan", "inf", "²", "１７００", "1_000"])
def test_fresh_refuses_a_timestamp_that_is_no_plain_number(timestamp):
    for unit in (1, 1000):
        with pytest.raises(SignatureError, match="timestamp"):
            fresh(timestamp, unit=unit, tolerance=300, now=None)


def test_huge_timestamps_are_401_with_a_reason_for_each_provider_scheme(connect, session, creds_env):
    app = _app()
    cases = {"hubspot": {"X-HubSpot-Signature-v3": "x", "X-HubSpot-Request-Timestamp": HUGE},
             "calendly": {"Calendly-Webhook-Signature": f"t={HUGE},v1=ab"},
             "webflow": {"x-webflow-signature": "ab", "x-webflow-timestamp": HUGE},
             "n8n": {}}
    for service, headers in cases.items():
        cid = connect(service)
        with_secret(session, cid)
        if service == "n8n":   # the generic Standard Webhooks check, through the same shared helper
            with pytest.raises(SignatureError, match="timestamp"):
                from services.connect.signatures import verify_standard
                verify_standard([SECRET], body=b"{}", headers={"webhook-id": "m", "webhook-timestamp": HUGE,
                                                               "webhook-signature": "v1,x"})
            continue
        status, body, _ = call(app, "POST", f"/hooks/{service}/{cid}", {**headers, "content-type": "application/json"},
                               [b"{}"])
        assert status == 401 and b"timestamp" in body, (service, status, body)


@pytest.mark.parametrize("cid", ["999999999999999999999999999999", str(MAX_ID + 1), str(2**63), "0"])
def test_out_of_range_connection_ids_in_the_path_are_404(cid, creds_env, db_url):
    status, body, _ = call(_app(), "POST", f"/hooks/n8n/{cid}", shared(SECRET), [b"{}"])
    assert status == 404 and b"unknown connection" in body


@pytest.mark.parametrize("header", [HUGE, str(MAX_ID + 1), "²", "１", "0", "-1", "1.0", "00000000001x"])
def test_zapier_connection_header_that_is_no_id_is_401(header, zapier, caplog):
    with caplog.at_level(logging.DEBUG):
        status, body, _ = call(_app(), "GET", "/api/zapier/hooks", _auth(header))
    assert status == 401 and b"message" in body
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("hook_id", ["999999999999999999999999999999", str(MAX_ID + 1), str(2**63)])
def test_zapier_delete_of_an_out_of_range_hook_is_404(hook_id, zapier, caplog):
    with caplog.at_level(logging.DEBUG):
        status, body, _ = call(_app(), "DELETE", f"/api/zapier/hooks/{hook_id}", _auth(zapier))
    assert status == 404 and b"not found" in body
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_deeply_nested_json_on_zapier_hooks_is_401_then_400(zapier, caplog):
    app = _app()
    with caplog.at_level(logging.DEBUG):
        status, _, read = call(app, "POST", "/api/zapier/hooks", {"content-type": "application/json"}, [DEEP])
        assert status == 401 and read == 0
        for body in (DEEP, b"[" * 990 + b"]" * 990, b'{"event":' * 500 + b"1" + b"}" * 500):
            status, text, _ = call(app, "POST", "/api/zapier/hooks", _auth(zapier), [body])
            assert status == 400 and b"JSON" in text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("body, ctype", [(DEEP, "application/json"),
                                         (b"[" * 990 + b"1" + b"]" * 990, "application/json"),
                                         (b'{"a":' * 900 + b"1" + b"}" * 900, "application/json"),
                                         (b"a" + b"[b]" * 50_000 + b"=1", "application/x-www-form-urlencoded")])
def test_deeply_nested_inbound_bodies_are_400_and_not_stored(body, ctype, connect, session, creds_env):
    cid = connect("n8n")
    with_secret(session, cid)
    status, text, _ = call(_app(), "POST", f"/hooks/n8n/{cid}", {**shared(SECRET), "content-type": ctype}, [body])
    assert status == 400 and b"nested" in text, text[:200]
    assert counts(cid)[0] == 0


_ids = st.sampled_from(["999999999999999999999999999999", str(MAX_ID + 1), "0", "1"]) | st.integers(
    min_value=0, max_value=10**40).map(str)
_hostile = st.sampled_from([HUGE, "²", "１２", "-1", "1e400", "t=" + HUGE + ",v1=ab", "\u0660", ""]) | st.text(
    st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
_bodies = st.sampled_from([DEEP, b"[" * 995 + b"]" * 995, b"a" + b"[b]" * 3000 + b"=1", b"{}", b""]) | st.binary(
    max_size=200)
_fuzz_cache: dict[str, dict[str, int]] = {}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(["hook", "app", "zapier_post", "zapier_get", "zapier_delete", "samples"]),
       service=st.sampled_from(["calendly", "hubspot", "webflow", "n8n", "zapier"]), target=_ids,
       header=st.sampled_from(["X-HubSpot-Request-Timestamp", "x-webflow-timestamp", "Calendly-Webhook-Signature",
                               "webhook-timestamp", "X-Layers-Connection", "content-length"]),
       value=_hostile, body=_bodies, chunked=st.booleans(), authed=st.booleans())
def test_fuzzed_hostile_input_on_every_route_is_never_5xx(route, service, target, header, value, body, chunked,
                                                          authed, connect, session, creds_env, db_url):
    if db_url not in _fuzz_cache:
        _fuzz_cache.clear()
        _fuzz_cache[db_url] = {s: connect(s) for s in ("calendly", "hubspot", "webflow", "n8n", "zapier")}
        for cid in _fuzz_cache[db_url].values():
            with_secret(session, cid)
    ids = _fuzz_cache[db_url]
    headers = {**(_auth(ids["zapier"]) if authed else {}), "content-type": "application/json", **shared(SECRET)}
    headers[header] = value
    method, path = {"hook": ("POST", f"/hooks/{service}/{ids[service] if authed else target}"),
                    "app": ("POST", f"/hooks/{service}/apps/{target}"),
                    "zapier_post": ("POST", "/api/zapier/hooks"), "zapier_get": ("GET", "/api/zapier/hooks"),
                    "zapier_delete": ("DELETE", f"/api/zapier/hooks/{target}"),
                    "samples": ("GET", f"/api/zapier/samples/{value or 'x'}")}[route]
    status, text, _ = call(_app(), method, path, headers, [body], length=not chunked)
    assert 200 <= status < 500 and status != 0, (route, status, text[:200])
    assert status < 400 or b"message" in text or status in (404, 405)   # 3xx: a trailing-slash redirect


# --- 7. sandbox deliveries stay on /hooks/ -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/hooks/../api/zapier/hooks", "/hooks/%2e%2e/api/zapier/hooks",
                                  "/hooks/%2E%2E/api/zapier/hooks", "/hooks/.%2e/api/zapier/hooks",
                                  "/hooks/x/../../api/zapier/hooks", "/hooks/..%2fapi/zapier/hooks",
                                  "/hooks/%252e%252e/api/zapier/hooks", "/hooks/..\\api/zapier/hooks",
                                  "/./api/zapier/hooks", "/hooks/..", "/hooks/%2e%2e"])
def test_sandbox_delivery_target_cannot_leave_hooks_by_dot_segments(path, creds_env):
    assert not deliveries.allowed(f"http://127.0.0.1:8611{path}")
    result = deliveries.post(f"http://127.0.0.1:8611{path}", b"{}", {})
    assert result["skipped"] is True


@pytest.mark.parametrize("path", ["/hooks/hubspot/apps/123", "/hooks/webflow/7", "/hooks/x/./webflow/7"])
def test_sandbox_delivery_still_reaches_the_hooks_routes(path, creds_env):
    assert deliveries.allowed(f"http://127.0.0.1:8611{path}")


# --- rejection flood -------------------------------------------------------------------------------------------

def _bad(cid: int, service: str = "n8n") -> inbound.Outcome:
    with session_scope() as s:
        return inbound.receive(s, service=service, connection_id=cid, method="POST", url="http://x/",
                               headers=shared(OTHER), query={}, body=b'{"a":1}')


def test_rejections_are_stored_at_most_n_per_connection_per_minute(connect, session, creds_env, caplog,
                                                                   monkeypatch):
    monkeypatch.setattr(inbound, "_flood_logged", {})
    cap = inbound.REJECTIONS_PER_MINUTE
    a, b = connect("n8n"), connect("n8n", "other")
    with_secret(session, a)
    with_secret(session, b)
    with caplog.at_level(logging.INFO, logger="services.webhooks.inbound"):
        outcomes = [_bad(a) for _ in range(cap + 15)]
    assert {o.status for o in outcomes} == {401}                 # every sender still gets its answer
    assert counts(a) == (0, cap)
    assert sum("not stored" in r.getMessage() for r in caplog.records) == 1   # one line for the flood, not one each
    assert _bad(b).status == 401 and counts(b) == (0, 1)          # another connection is not affected
    with session_scope() as s:                                   # a minute later: stored again
        s.execute(update(WebhookRejection).values(received_at=utcnow() - timedelta(seconds=61)))
    _bad(a)
    assert counts(a) == (0, cap + 1)


def test_app_rejections_are_capped_too(creds_env, session, db_url):
    from services.webhooks import apps

    apps.seed_sandbox_apps(session)
    session.commit()
    app_id = apps.list_apps(session)[0].app_id
    for _ in range(inbound.REJECTIONS_PER_MINUTE + 5):
        with session_scope() as s:
            inbound.receive_app(s, service="hubspot", app_id=app_id, method="POST", url="http://x/",
                                headers={"content-type": "application/json"}, body=b"{}")
    with session_scope() as s:
        stored = s.scalar(select(func.count()).select_from(WebhookRejection).where(WebhookRejection.app_id == app_id))
    assert stored == inbound.REJECTIONS_PER_MINUTE


# --- the same class on the neighbouring routes: path and query text that reaches the database -----------------

@pytest.mark.parametrize("app_id", ["%00", "1%002", "abc", "9" * 400, "x" * 100, "%C2%B2"])
def test_app_route_with_a_malformed_app_id_is_404(app_id, creds_env, db_url, caplog):
    with caplog.at_level(logging.DEBUG):
        status, body, _ = call(_app(), "POST", f"/hooks/hubspot/apps/{app_id}", {"content-type": "application/json"},
                               [b"{}"])
    assert status == 404 and b"unknown" in body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("state", ["%00", "a%00b", "x" * 5000, "%C2%B2"])
def test_oauth_callback_with_a_hostile_state_is_400(state, creds_env, db_url, caplog):
    with caplog.at_level(logging.DEBUG):
        status, body, _ = call(_app(), "GET", f"/api/oauth/callback?state={state}&code=x")
    assert status == 400 and b"state" in body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
