"""The build checklist: template against the seed, applicability, ticking (audited), evidence, CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import AuditEntry, ChecklistItem, Connection, Integration, Organization, TestRun, Tier
from db.models.build import ChecklistEvent
from services.build import evidence, tracker
from services.build.checklist import applies, template
from services.cli import main
from services.core.errors import InvalidInput, NotFound, PermissionDenied
from services.guides import publishing, written
from tests.build_fixtures import ADMIN, ENGINEER, LEADER, PM, add_staff

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "phase-4-integration-expansion.md"


def _norm(text: str) -> str:
    """Seed wording vs template wording: drop trailing colons, "(if applicable)" and "in Convex"."""
    text = text.strip().rstrip(":").replace("(if applicable)", "").replace(" in Convex", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def seed_groups() -> dict[str, list[str]]:
    """Every checkbox of the seed's build process (per step), testing checklist and review list."""
    groups: dict[str, list[str]] = {}
    current = None
    for line in SEED.read_text().splitlines():
        heading = re.match(r"#### Step (\d+): (.+)", line)
        if heading:
            current = f"step {heading[1]}"
        elif line.startswith("## Testing Checklist"):
            current = "testing"
        elif line.startswith("- [ ] Review existing integrations"):
            current = "review"
            continue
        elif line.startswith(("## ", "### ")) or (current == "review" and line.startswith("- [ ]")):
            current = None
        box = re.match(r"\s*- \[ \] (.+)", line)
        if box and current:
            groups.setdefault(current, []).append(_norm(box[1]))
    return groups


def test_template_has_every_seed_sub_item_in_order():
    groups = seed_groups()
    assert len(groups) == 9 and sum(map(len, groups.values())) == 70   # 60 build + 7 testing + 3 review
    by_step: dict[int, list[str]] = {}
    for item in template():
        by_step.setdefault(item.step, []).append(_norm(item.title))
    for n in range(1, 8):
        assert by_step[n] == groups[f"step {n}"], f"step {n} differs from the seed"
    assert by_step[8] == groups["testing"]
    assert by_step[9] == groups["review"]
    assert "handle rate limits (retry with backoff)" in by_step[4]
    assert "announce to users who upvoted (email or in-app notification)" in by_step[7]


def test_keys_are_unique_and_stable():
    keys = [t.key for t in template()]
    assert len(keys) == len(set(keys)) == 70
    assert {"client.errors.rate_limits", "docs.announce", "check.oauth_flow", "review.api_client"} <= set(keys)


@pytest.mark.parametrize(("methods", "webhooks", "expected_na"), [
    ({"oauth2"}, False, {"credentials.api_key", "credentials.webhook", "check.api_key_flow"}),
    ({"api_key"}, False, {"credentials.oauth", "credentials.webhook", "check.oauth_flow"}),
    ({"webhook"}, False, {"credentials.oauth", "credentials.api_key", "check.oauth_flow", "check.api_key_flow"}),
    ({"oauth2", "api_key"}, True, set()),
])
def test_applicability_follows_the_auth_method(methods, webhooks, expected_na):
    na = {t.key for t in template() if not applies(t, methods, webhooks)}
    assert expected_na <= na
    assert not any(k.startswith(("research.", "executor.", "docs.")) for k in na)
    if "oauth2" not in methods:
        assert {"credentials.oauth.app", "credentials.oauth.refresh", "review.oauth_flow"} <= na
    if "oauth2" in methods:
        assert not any(k.startswith("credentials.oauth") for k in na)


def test_synced_rows_mark_other_auth_not_applicable(session):
    def states(slug):
        integration = session.scalar(select(Integration).where(Integration.slug == slug))
        return {r.key: r.state for r in session.scalars(
            select(ChecklistItem).where(ChecklistItem.integration_id == integration.id))}

    salesforce, activecampaign, make = states("salesforce"), states("activecampaign"), states("make")
    assert salesforce["credentials.oauth.callback"] == "todo"
    assert salesforce["check.api_key_flow"] == "not_applicable"
    assert activecampaign["check.api_key_flow"] == "todo" and activecampaign["check.oauth_flow"] == "not_applicable"
    assert make["credentials.webhook.verify"] == "todo" and make["credentials.oauth"] == "not_applicable"
    assert "review.api_client" in activecampaign and "review.api_client" not in salesforce   # existing only


def test_tick_untick_and_not_applicable_are_recorded_and_audited(session):
    add_staff(session)
    item = tracker.tick(session, actor=ENGINEER, slug="hubspot", key="research.review_api_docs",
                        note="Read v3 docs", link="https://github.com/layers/hub/pull/12")
    assert item.state == "done" and item.by == ENGINEER and item.at is not None
    tracker.tick(session, actor=ENGINEER, slug="hubspot", key="research.review_api_docs", done=False)
    with pytest.raises(InvalidInput, match="reason"):
        tracker.mark_not_applicable(session, actor=ENGINEER, slug="hubspot", key="schema.handles.mappable",
                                    reason=" ")
    tracker.mark_not_applicable(session, actor=ADMIN, slug="hubspot", key="schema.handles.mappable",
                                reason="No mappable fields")
    session.commit()

    steps = {i.key: i for s in tracker.checklist(session, "hubspot") for i in s.items}
    assert steps["research.review_api_docs"].state == "open"
    assert steps["research.review_api_docs"].note == "Read v3 docs"       # kept when unticked
    assert steps["schema.handles.mappable"].state == "not_applicable"
    assert steps["schema.handles.mappable"].na_reason == "No mappable fields"
    events = session.scalars(select(ChecklistEvent).order_by(ChecklistEvent.id)).all()
    assert [(e.item_key, e.from_state, e.to_state, e.actor) for e in events] == [
        ("research.review_api_docs", "todo", "done", ENGINEER),
        ("research.review_api_docs", "done", "todo", ENGINEER),
        ("schema.handles.mappable", "todo", "not_applicable", ADMIN)]
    audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "checklist.item_changed")).all()
    assert len(audits) == 3 and audits[0].entity_id == "hubspot:research.review_api_docs"
    assert audits[0].after["link"] == "https://github.com/layers/hub/pull/12"


def test_ticking_twice_changes_nothing_the_second_time(session):
    add_staff(session)
    tracker.tick(session, actor=ENGINEER, slug="n8n", key="research.rate_limits")
    tracker.tick(session, actor=ENGINEER, slug="n8n", key="research.rate_limits")
    assert len(session.scalars(select(ChecklistEvent)).all()) == 1


@pytest.mark.parametrize("actor", [PM, LEADER])
def test_only_engineers_and_admins_tick(session, actor):
    add_staff(session)
    with pytest.raises(PermissionDenied, match="engineers and admins"):
        tracker.tick(session, actor=actor, slug="hubspot", key="research.review_api_docs")


def test_bad_key_link_and_wrong_list_are_refused(session):
    add_staff(session)
    with pytest.raises(NotFound, match="no checklist item"):
        tracker.tick(session, actor=ENGINEER, slug="hubspot", key="research.nope")
    with pytest.raises(InvalidInput, match="http"):
        tracker.tick(session, actor=ENGINEER, slug="hubspot", key="research.rate_limits", link="javascript:alert(1)")
    with pytest.raises(InvalidInput, match="review list"):
        tracker.tick(session, actor=ENGINEER, slug="stripe", key="research.rate_limits")   # existing: review
    with pytest.raises(InvalidInput, match="build checklist"):
        tracker.tick(session, actor=ENGINEER, slug="hubspot", key="review.api_client")


def test_existing_integrations_get_the_review_list_and_findings(session):
    add_staff(session)
    steps = tracker.checklist(session, "activecampaign")
    assert [(s.number, s.kind) for s in steps] == [(9, "review")]
    assert [i.state for i in steps[0].items] == ["not_applicable", "open", "open"]   # API key: no OAuth review
    tracker.tick(session, actor=ENGINEER, slug="activecampaign", key="review.api_client")
    finding = tracker.add_finding(session, actor=ENGINEER, slug="activecampaign", severity="high",
                                  finding="Custom date fields are sent as text")
    with pytest.raises(InvalidInput, match="severity"):
        tracker.add_finding(session, actor=ENGINEER, slug="activecampaign", severity="urgent", finding="x")
    tracker.resolve_finding(session, actor=ADMIN, finding_id=finding.id)
    assert tracker.findings(session, "activecampaign")[0].resolved_by == ADMIN
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "review.finding_added")) is not None


def test_evidence_shows_no_evidence_yet_then_what_the_hub_holds(session, tmp_path, monkeypatch):
    steps = {i.key: i for s in tracker.checklist(session, "calendly") for i in s.items}
    assert steps["check.oauth_flow"].has_evidence and steps["check.oauth_flow"].evidence is None
    assert not steps["research.review_api_docs"].has_evidence   # the Hub cannot know this one

    integration = session.scalar(select(Integration).where(Integration.slug == "calendly"))
    tier = session.scalar(select(Tier).where(Tier.slug == "pro"))
    org = Organization(name="Evidence Org", tier_id=tier.id)
    session.add(org)
    session.flush()
    when = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
    conn = Connection(organization_id=org.id, integration_id=integration.id, auth_type="oauth2", created_at=when)
    session.add(conn)
    session.flush()
    session.add(TestRun(connection_id=conn.id, action="get_scheduled_events", mode="test", ok=True,
                        staff_email=ENGINEER, created_at=when))
    session.add(TestRun(connection_id=conn.id, action="cancel_event", mode="test", ok=False,
                        staff_email=ENGINEER, created_at=when))
    monkeypatch.setattr(written, "GUIDES_DIR", tmp_path)
    (tmp_path / "calendly.md").write_text("# Calendly\n## How to connect\n## Troubleshooting\n")
    session.flush()

    steps = {i.key: i for s in tracker.checklist(session, "calendly") for i in s.items}
    assert steps["check.oauth_flow"].evidence.ok and "2026-10-02" in steps["check.oauth_flow"].evidence.summary
    test_mode = steps["check.test_mode"].evidence
    assert not test_mode.ok and "1/2 actions" in test_mode.summary and "cancel_event" in test_mode.summary
    guide = steps["docs.guide"].evidence                          # a file alone is not a guide: it is a draft
    assert not guide.ok and guide.summary.startswith("guide incomplete: ")
    assert "section “Example workflows” is missing" in guide.summary
    examples = steps["docs.guide.examples"].evidence
    assert not examples.ok and examples.summary == "section “Example workflows” is missing; guide not published"
    executors = steps["executor.implemented"].evidence             # the registry covers every Calendly action
    assert executors.ok and "2/2" in executors.summary


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_checklist_show_json_and_tick(db_url, session, capsys):
    add_staff(session)
    session.commit()
    code, out, _ = run(capsys, "checklist", "tick", "hubspot", "research.review_api_docs", "--note", "done",
                       "--as", ENGINEER)
    assert code == 0 and "done" in out
    code, out, _ = run(capsys, "checklist", "show", "hubspot", "--format", "json")
    steps = json.loads(out)
    assert code == 0 and [s["number"] for s in steps] == list(range(1, 9))
    first = steps[0]["items"][0]
    assert set(first) >= {"key", "label", "state", "by", "at", "evidence"}
    assert (first["key"], first["state"], first["by"]) == ("research.review_api_docs", "done", ENGINEER)
    oauth = next(i for s in steps for i in s["items"] if i["key"] == "check.oauth_flow")
    assert oauth["evidence"] == "no evidence yet"
    code, out, _ = run(capsys, "checklist", "show", "hubspot")
    assert code == 0 and "Step 4 · API Client Implementation" in out and "[x]" in out
    code, _, err = run(capsys, "checklist", "tick", "hubspot", "research.review_api_docs", "--as", PM)
    assert code == 2 and "engineers and admins" in err and err.count("\n") == 1
    code, _, err = run(capsys, "checklist", "tick", "nope", "research.review_api_docs")
    assert code == 2 and "not in the catalog" in err


def test_an_integration_marked_existing_later_gets_the_review_list(session):
    from services.core.integrations import set_existing

    add_staff(session)
    set_existing(session, actor=ADMIN, slug="copper", existing=True)     # API key, no review rows yet
    steps = tracker.checklist(session, "copper")
    assert [(i.key, i.state) for i in steps[0].items] == [
        ("review.oauth_flow", "not_applicable"), ("review.api_client", "open"), ("review.document_gaps", "open")]
    tracker.tick(session, actor=ENGINEER, slug="copper", key="review.api_client")
    assert [i.state for i in tracker.checklist(session, "copper")[0].items] == ["not_applicable", "done", "open"]


# ---------------------------------------------------------------- Step 7: the guide items follow publication

GUIDE_KEYS = list(evidence.GUIDE_ITEMS)


def test_guide_items_cannot_be_ticked_by_hand_before_the_guide_is_published(session):
    add_staff(session)
    for key in GUIDE_KEYS:
        with pytest.raises(InvalidInput, match="ticked by publishing HubSpot's guide"):
            tracker.tick(session, actor=ENGINEER, slug="hubspot", key=key)
    tracker.mark_not_applicable(session, actor=ADMIN, slug="hubspot", key="docs.guide.examples", reason="no flows")
    tracker.tick(session, actor=ENGINEER, slug="hubspot", key="docs.registry_available")   # other Step 7 items: free
    publishing.publish(session, actor=ENGINEER, slug="hubspot")
    tracker.tick(session, actor=ENGINEER, slug="hubspot", key="docs.guide.examples")      # published: allowed


def test_guide_evidence_comes_from_the_published_flag_not_the_file(session):
    add_staff(session)
    items = lambda: {i.key: i for s in tracker.checklist(session, "hubspot") for i in s.items}  # noqa: E731
    before = items()
    assert written.problems(written.read("hubspot")) == []     # the file is complete...
    assert not before["docs.guide"].evidence.ok                # ...but not published: no evidence of a guide
    assert before["docs.guide"].evidence.summary == "guide written, not published yet (Integration guides page)"
    assert not any(before[k].evidence.ok for k in GUIDE_KEYS)
    publishing.publish(session, actor=ENGINEER, slug="hubspot")
    after = items()
    assert after["docs.guide"].evidence.ok and after["docs.guide"].evidence.summary.startswith(
        f"guide published by {ENGINEER} on ")
    assert all(after[k].evidence.ok for k in GUIDE_KEYS)
    publishing.unpublish(session, actor=ADMIN, slug="hubspot")
    assert not any(items()[k].evidence.ok for k in GUIDE_KEYS)
    assert items()["docs.guide"].evidence is not None          # written: evidence says "not published"
    assert tracker.checklist(session, "pipedrive")[6].items[0].evidence is None    # no file: no evidence yet
