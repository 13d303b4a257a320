"""The provider contract suite: one set of checks run over every provider, with no per-provider code.

A provider is covered the moment its catalog entry has actions and its folder (services/providers/<slug>/)
has a ``fixtures.FIXTURE`` and a ``sandbox.SANDBOX``. Inputs are each action's catalog examples. For each:

- every write action (not GET) in test mode sends nothing and leaves the sandbox account unchanged (and the
  request it built conforms to the official definition, as below), and so does the request built from its
  required inputs alone (what the definition requires is required in the input schema);
- every action runs live against the sandbox; each request the Hub sent conforms to the official definition
  in ``$HUB_SPECS_DIR/<slug>/`` when there is one (services/sandbox/openapi.py ``request_problems``), and
  the output mapping yields every declared output;
- the credential check passes with the fixture's credential and is an ``auth`` failure with a bad one;
- a rate-limit answer (the ``rate_limit`` fault switch: the provider's own status, body and headers) is
  waited out, for as long as the provider's own reset header says when it sends one the catalog names.

Backend independent: runs once, in the SQLite pass (tests/conftest.py).
"""

from __future__ import annotations

import pytest

from db.models import Connection
from services.catalog import load_catalog
from services.connect.checks import check_spec
from services.connect.store import write_secrets
from services.core.forms import FormFields
from services.monitoring.checks import probe
from services.runtime.executors.run import run_action
from services.runtime.executors.schemas import sample_inputs
from services.sandbox import faults
from services.sandbox import providers as sandbox_providers
from services.sandbox.fixtures import fixtures
from services.sandbox.openapi import request_problems
from services.sandbox.standin import real_url
from services.sandbox.store import snapshot

pytestmark = pytest.mark.backend_independent

FIXTURES = fixtures()
PROVIDERS = [s for s in load_catalog() if s.actions and s.slug in FIXTURES and s.slug in sandbox_providers()]
ACTIONS = [(s.slug, key) for s in PROVIDERS for key in s.actions]
WRITES = [(s.slug, key) for s in PROVIDERS for key, a in s.actions.items() if a.method != "GET"]
CHECKED = [s.slug for s in PROVIDERS if check_spec(s, FIXTURES[s.slug].auth_type) is not None]
BAD_CREDENTIAL = "not-a-sandbox-credential"

# Gaps the suite found in today's sandboxes: the catalog example names something a fresh sandbox account
# lacks. Fix the provider's sandbox (seed the example, or accept it) and delete the line; the xfail is strict,
# so a fixed gap fails here until its line goes.
LIVE_GAPS: dict[str, str] = {}


def _ids(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{slug}.{action}" for slug, action in pairs]


def _live(pairs: list[tuple[str, str]]) -> list[object]:
    return [pytest.param(slug, action, id=f"{slug}.{action}",
                         marks=[pytest.mark.xfail(reason=LIVE_GAPS[f"{slug}.{action}"], strict=True)]
                         if f"{slug}.{action}" in LIVE_GAPS else [])
            for slug, action in pairs]


def _account(kind: str, slug: str, action: str = "") -> str:
    return f"{kind}-{slug}-{action}".replace("_", "-").strip("-")


def _body(r: dict) -> object:
    """The body as sent: form fields (bracketed names, strings) are checked as such, decoded and coerced to the
    definition's types; JSON as decoded."""
    content_type = next((v for k, v in (r.get("request_headers") or {}).items() if k.lower() == "content-type"), "")
    form = "x-www-form-urlencoded" in str(content_type) and isinstance(r["request_body"], dict)
    return FormFields(r["request_body"]) if form else r["request_body"]


def _assert_conforms(slug: str, requests: list[dict]) -> None:
    """Each request against the official definition in $HUB_SPECS_DIR/<slug>/, when there is one."""
    for r in requests:
        problems = request_problems(slug, r["method"], real_url(slug, r["url"]), _body(r))
        assert not problems, (r["method"], r["url"], problems)


@pytest.fixture(autouse=True)
def no_faults():
    faults.clear()
    yield
    faults.clear()


def test_the_suite_covers_every_provider_with_actions_a_fixture_and_a_sandbox():
    assert len(PROVIDERS) >= 10 and ACTIONS and WRITES
    for spec in load_catalog():
        if spec.actions and spec.slug in FIXTURES and spec.slug in sandbox_providers():
            assert spec in PROVIDERS


@pytest.mark.parametrize(("slug", "action"), WRITES, ids=_ids(WRITES))
def test_write_in_test_mode_sends_nothing_and_changes_nothing(connect, slug, action):
    account = _account("tm", slug, action)
    conn = connect(slug, account)
    before = snapshot(slug, account)
    result = run_action(conn, action, sample_inputs(slug, action), mode="test")
    assert result.ok and result.preview, result.error
    writes = [r for r in result.requests if r["method"] != "GET"]
    assert writes and not any(r["sent"] for r in writes), result.requests
    assert all(r["url"].startswith("http://127.0.0.1") for r in writes)   # built for the sandbox, never sent
    _assert_conforms(slug, result.requests)      # what would have been sent, too
    assert set(result.output or {}) == set(load_catalog().get(slug).actions[action].outputs)
    assert snapshot(slug, account) == before


@pytest.mark.parametrize(("slug", "action"), WRITES, ids=_ids(WRITES))
def test_a_write_with_only_its_required_inputs_conforms_to_the_definition(connect, slug, action):
    """The input schema says what the provider requires: a field the definition requires is a required input
    (or fixed in the body), so a person filling only the required fields sends a valid request."""
    spec = load_catalog().get(slug).actions[action]
    # a required free-form object is sent empty: keys the provider requires inside it must be inputs of
    # their own, not only present in the example (Webflow's fieldData needs name and slug)
    required = {k: ({} if spec.inputs[k].type == "object" else v)
                for k, v in sample_inputs(slug, action).items() if spec.inputs[k].required}
    conn = connect(slug, _account("req", slug, action))
    result = run_action(conn, action, required, mode="test")
    assert result.ok, result.error
    _assert_conforms(slug, result.requests)


@pytest.mark.parametrize(("slug", "action"), _live(ACTIONS))
def test_action_runs_live_conforms_to_the_definition_and_maps_its_outputs(connect, slug, action):
    conn = connect(slug, _account("live", slug, action))
    result = run_action(conn, action, sample_inputs(slug, action), mode="live")
    assert result.ok, (result.error, result.requests[-1:])
    sent = [r for r in result.requests if r["sent"]]
    assert sent
    _assert_conforms(slug, sent)
    declared = load_catalog().get(slug).actions[action].outputs
    assert set(result.output or {}) == set(declared)
    empty = [k for k, v in (result.output or {}).items() if v is None]
    assert not empty, f"outputs the response did not fill: {empty} (response: {sent[-1]['response_body']})"


@pytest.mark.parametrize("slug", CHECKED)
def test_credential_check_passes_with_the_fixture_and_is_an_auth_error_with_a_bad_one(connect, session, slug):
    good = probe(connect(slug, _account("check", slug)))
    assert good.ok and not good.skipped, good.error
    bad = connect(slug, _account("check-bad", slug))
    row = session.get(Connection, bad)
    write_secrets(row, dict.fromkeys(FIXTURES[slug].secrets, BAD_CREDENTIAL))
    session.commit()
    refused = probe(bad)
    assert not refused.ok and refused.category == "auth", refused.error


@pytest.mark.parametrize("slug", [s.slug for s in PROVIDERS])
def test_a_rate_limit_answer_is_waited_out(connect, slug):
    spec = load_catalog().get(slug)
    action = next(k for k in spec.actions if f"{slug}.{k}" not in LIVE_GAPS)
    conn = connect(slug, _account("rl", slug))
    # every account: a webhook bridge's sandbox may not know the account from the connection
    fault = faults.Fault(provider=slug, account="*", kind="rate_limit", times=1, retry_after=2.0)
    status, _, headers = (faults.bodies.get(slug, {}).get("rate_limit") or faults._DEFAULTS["rate_limit"])(fault)
    announced = [float(v) for k, v in headers.items() if k.lower() in spec.http.retry_after_headers]
    faults.arm(fault)
    slept: list[float] = []
    result = run_action(conn, action, sample_inputs(slug, action), mode="live", sleep=slept.append)
    assert result.ok, result.error
    assert result.requests[0]["status"] == status and result.retries == 1
    assert len(slept) == 1
    if announced and not spec.http.retry_after_is_epoch:
        assert slept[0] == pytest.approx(announced[0], abs=1.0), (headers, slept)
