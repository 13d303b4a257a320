"""Success criteria 1-6 computed exactly on hand-built data, including empty and edge cases."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from db.base import utcnow
from db.models import Connection, Integration, Organization, TestRun, Tier
from db.models.ranking import PlanningDecision
from services.build import pipeline
from services.catalog import load_catalog
from services.demand import requesters as demand
from services.guides import publishing
from services.success import criteria
from services.success.credential_flows import credential_flows_criterion
from services.success.planning import planning_criterion
from tests.build_fixtures import ADMIN, ENGINEER, PM, add_staff, complete_steps
from tests.ranking_fixtures import History
from tests.success_fixtures import close_review, integration, move

NOW = utcnow().replace(microsecond=0)
EXISTING = 11           # integrations the catalog marks as built before the Hub (Available from the start)
ALL_STEPS = set(range(1, 9))


def ship(session, slug: str) -> None:
    """Through the whole checklist and the real pipeline to Available (testing checklist complete)."""
    integration(session, slug).status = "testing"
    complete_steps(session, slug, ALL_STEPS - {8}, skip=set(pipeline.DONE_BY_AVAILABLE))
    complete_steps(session, slug, {8})
    pipeline.change_status(session, actor=ADMIN, slug=slug, to_status="available")


# ---------------------------------------------------------------- 1. top 10

def test_top10_on_a_fresh_catalog_counts_nothing_and_lists_ten(session):
    seed, demand_ = criteria.top10_criteria(session)
    assert (seed.numerator, seed.denominator, seed.value) == (0, 10, "0 / 10")
    assert seed.rows["slug"].tolist() == ["hubspot", "activecampaign", "mailchimp", "calendly", "wordpress",
                                          "webflow", "salesforce", "n8n", "make", "zapier"]
    assert seed.rows["rank"].tolist() == list(range(1, 11))
    assert (demand_.numerator, demand_.denominator) == (0, 10)
    # the existing ActiveCampaign is checked against its review list, the others against the testing checklist
    checklists = dict(zip(seed.rows["slug"], seed.rows["checklist"], strict=True))
    assert checklists["activecampaign"] == "review" and checklists["hubspot"] == "testing"


def test_available_with_the_testing_checklist_complete_counts_override_does_not(session):
    add_staff(session)
    ship(session, "hubspot")
    # webflow is made Available by an admin override with its testing checklist open: not "tested"
    integration(session, "webflow").status = "testing"
    complete_steps(session, "webflow", ALL_STEPS - {8}, skip=set(pipeline.DONE_BY_AVAILABLE))
    pipeline.change_status(session, actor=ADMIN, slug="webflow", to_status="available", override_reason="demo")
    # mailchimp has its testing checklist complete but is not Available
    complete_steps(session, "mailchimp", {8})
    seed, _ = criteria.top10_criteria(session)
    counted = dict(zip(seed.rows["slug"], seed.rows["implemented_and_tested"], strict=True))
    assert counted["hubspot"] and not counted["webflow"] and not counted["mailchimp"]
    assert seed.numerator == 1 and seed.value == "1 / 10"
    row = seed.rows.set_index("slug").loc["webflow"]
    assert row["status"] == "available" and row["done"] < row["applicable"]


def test_an_existing_integration_counts_once_its_review_is_complete(session):
    seed, _ = criteria.top10_criteria(session)
    assert not seed.rows.set_index("slug").loc["activecampaign", "implemented_and_tested"]
    close_review(session, "activecampaign")
    seed, _ = criteria.top10_criteria(session)
    assert seed.rows.set_index("slug").loc["activecampaign", "implemented_and_tested"]
    assert seed.numerator == 1


def test_demand_top10_differs_from_the_seed_list_and_keeps_built_integrations(session):
    add_staff(session)
    h = History(session)
    seed_slugs = ["hubspot", "mailchimp", "calendly", "wordpress", "webflow", "salesforce", "n8n", "make"]
    for n, slug in enumerate(seed_slugs):                            # ActiveCampaign (existing) and Zapier: none
        h.many(slug, 20 - n, "free")
    h.many("pipedrive", 30, "free")                                  # the most wanted, not in the seed list
    h.many("klaviyo", 5, "free")
    ship(session, "hubspot")                                         # built: stays in the demand top 10
    seed, demand_ = criteria.top10_criteria(session)
    assert demand_.rows["slug"].tolist() == ["pipedrive", *seed_slugs, "klaviyo"]
    assert demand_.rows["rank"].tolist() == list(range(1, 11))
    assert demand_.numerator == 1 and seed.numerator == 1
    assert demand_.rows.set_index("slug").loc["pipedrive", "in_other_list"] == False  # noqa: E712
    assert seed.rows.set_index("slug").loc["zapier", "in_other_list"] == False  # noqa: E712
    assert seed.rows.set_index("slug").loc["hubspot", "in_other_list"] == True  # noqa: E712
    assert seed.note == ("Only in the seed's list: ActiveCampaign, Zapier. "
                         "Only in the demand top 10: Pipedrive, Klaviyo.")
    assert demand_.note == seed.note
    # the page's help explains what "the seed's list" is, naming its ten in rank order
    assert "the ten integrations the Phase 4 plan names as top priority (HubSpot, ActiveCampaign, Mailchimp" \
        in seed.measure and "named" not in demand_.measure


def test_identical_lists_say_they_agree(session):
    h = History(session)
    for n, slug in enumerate(["hubspot", "mailchimp", "calendly", "wordpress", "webflow", "salesforce", "n8n",
                              "make", "zapier"]):
        h.many(slug, 20 - n, "free")
    # ActiveCampaign (built before the Hub, upvoting closed) is tenth: first by name among those with no votes
    seed, demand_ = criteria.top10_criteria(session)
    assert demand_.rows["slug"].tolist()[-1] == "activecampaign"
    assert seed.note == "The two lists agree."


# ---------------------------------------------------------------- 2. credential flows

def _conn(session, slug: str, auth: str = "api_key", **values) -> Connection:
    org = session.scalar(select(Organization)) or Organization(name="Acme", tier_id=session.scalar(select(Tier.id)))
    session.add(org)
    session.flush()
    conn = Connection(organization_id=org.id, integration_id=integration(session, slug).id, auth_type=auth,
                      **values)
    session.add(conn)
    session.flush()
    return conn


def test_credential_flows_with_no_available_integration_is_not_applicable(session):
    session.execute(update(Integration).values(status="requested"))
    c = credential_flows_criterion(session, NOW)
    assert (c.numerator, c.denominator, c.value, c.share) == (0, 0, "n/a", None)


def test_credential_flows_count_recent_real_successes_only(session):
    day = timedelta(days=1)
    _conn(session, "stripe", last_checked_at=NOW - 5 * day)                                   # counted
    _conn(session, "github", last_checked_at=NOW - 31 * day)                                  # too old
    _conn(session, "posthog", last_checked_at=NOW - day, last_error="HTTP 401", status="error")   # failed
    _conn(session, "vercel", last_checked_at=NOW - day, sandbox=True)                         # sandbox only
    _conn(session, "resend", last_checked_at=NOW - day, status="revoked")                     # revoked
    chat = _conn(session, "chatwoot", created_at=NOW - 60 * day)
    session.add(TestRun(connection_id=chat.id, action="send_message", ok=True, staff_email="s@x.example",
                        created_at=NOW - 2 * day))                                            # counted
    session.add(TestRun(connection_id=_conn(session, "infobip").id, action="send", ok=False, staff_email="s@x",
                        created_at=NOW - day))                                                # failed run
    _conn(session, "microsoft-365", "oauth2", last_refreshed_at=NOW - 3 * day)                # counted
    _conn(session, "google-workspace", "oauth2", last_refreshed_at=NOW - day, status="needs_reauth",
          last_error="invalid_grant")                                                         # needs reauth
    session.flush()
    c = credential_flows_criterion(session, NOW)
    rows = c.rows.set_index("slug")
    assert sorted(rows.index[rows["counted"]]) == ["chatwoot", "microsoft-365", "stripe"]
    assert (c.numerator, c.denominator) == (3, EXISTING) and c.value == "27%"
    assert rows.loc["chatwoot", "evidence"] == "test run passed (send_message)"
    assert rows.loc["microsoft-365", "evidence"] == "OAuth tokens issued or refreshed"
    assert rows.loc["stripe", "last_success"] == NOW - 5 * day
    assert rows.loc["vercel", "sandbox_only"] and not rows.loc["vercel", "counted"]
    assert c.note == "1 more worked only against the sandbox."
    assert rows.loc["github", "evidence"] == "no successful connection or check in 30 days"


def test_a_new_webhook_connection_is_a_working_flow(session):
    move(session, "n8n", "available", NOW - timedelta(days=1))
    _conn(session, "n8n", "webhook", created_at=NOW - timedelta(days=2))
    c = credential_flows_criterion(session, NOW)
    assert c.rows.set_index("slug").loc["n8n", "evidence"] == "webhook connection created"
    assert c.numerator == 1 and c.denominator == EXISTING + 1


# ---------------------------------------------------------------- 3. executors

def test_executors_count_integrations_not_actions(session, monkeypatch):
    monkeypatch.setattr(criteria, "registered_executors",
                        lambda: {("hubspot", "upsert_contact"), ("hubspot", "add_to_list"), ("stripe", "x")})
    session.execute(update(Integration).values(status="deprecated"))
    c = criteria.executors_criterion(session)
    assert (c.numerator, c.denominator, c.value, c.note) == (0, 0, "0 / 0", "")
    move(session, "copper", "available", NOW)                   # no actions in the catalog
    move(session, "hubspot", "available", NOW)
    c = criteria.executors_criterion(session)
    row = c.rows.set_index("slug").loc["hubspot"]
    assert (c.numerator, c.denominator, c.value) == (0, 2, "0 / 2")
    assert (row["actions"], row["with_executor"], row["runs"]) == (5, 2, False)
    assert row["missing"] == "update_deal_stage, send_email, create_task_note"
    assert c.note == "1 Available integration(s) have no actions in the catalog yet: Copper."
    assert not c.met


def test_executors_one_complete_integration_does_not_stand_in_for_those_without_actions(session, monkeypatch):
    actions = load_catalog().get("hubspot").actions
    monkeypatch.setattr(criteria, "registered_executors", lambda: {("hubspot", a) for a in actions})
    session.execute(update(Integration).values(status="deprecated"))
    move(session, "hubspot", "available", NOW)
    c = criteria.executors_criterion(session)
    assert (c.value, c.met, c.note) == ("1 / 1", True, "")
    for slug in ("copper", "zoho-crm", "convertkit"):
        move(session, slug, "available", NOW)
    c = criteria.executors_criterion(session)
    assert (c.numerator, c.denominator, c.met) == (1, 4, False)   # was "100%" when actions were counted


def test_executors_without_a_registry_count_nothing_and_say_so(session, monkeypatch):
    monkeypatch.setattr(criteria, "registered_executors", lambda: None)
    session.execute(update(Integration).values(status="deprecated"))
    move(session, "calendly", "available", NOW)
    c = criteria.executors_criterion(session)
    assert (c.numerator, c.denominator) == (0, 1)
    assert "executor registry is not installed" in c.note


def test_executors_with_the_real_registry_count_every_integration_with_actions(session):
    from services.build.evidence import registered_executors

    session.execute(update(Integration).values(status="deprecated"))
    catalog, pairs = load_catalog(), registered_executors() or set()
    with_actions = [slug for slug, spec in catalog.integrations.items() if spec.actions]
    for slug in with_actions:
        move(session, slug, "available", NOW)
    c = criteria.executors_criterion(session)
    assert c.denominator == len(with_actions)
    assert c.numerator == sum(all((s, a) in pairs for a in catalog.get(s).actions) for s in with_actions)
    assert c.numerator >= 15


# ---------------------------------------------------------------- 4. planning

def _decide(session, slug: str, bucket: str, days_ago: float) -> None:
    session.add(PlanningDecision(integration_id=integration(session, slug).id, rank=1, bucket=bucket, score=1.0,
                                 upvotes=1, settings_version=1, planned_by=PM,
                                 planned_at=NOW - timedelta(days=days_ago)))
    session.flush()


def test_planning_share_uses_the_bucket_at_planning_time_and_the_latest_decision(session):
    assert planning_criterion(session, NOW).value == "n/a"
    _decide(session, "hubspot", "Top", 10)
    _decide(session, "mailchimp", "Medium", 20)
    _decide(session, "calendly", "Top", 100)          # outside the default 90 days
    _decide(session, "webflow", "Low", 50)
    _decide(session, "webflow", "Top", 5)             # planned again: the latest decision counts
    _decide(session, "zapier", "Top", -1)             # after `now`: not yet
    c = planning_criterion(session, NOW, 90)
    assert (c.numerator, c.denominator, c.value) == (2, 3, "67%")
    assert c.rows["slug"].tolist() == ["webflow", "hubspot", "mailchimp"]   # newest first
    assert c.rows.set_index("slug").loc["webflow", "bucket"] == "Top"
    assert (planning_criterion(session, NOW, None).numerator, planning_criterion(session, NOW, None).denominator) \
        == (3, 4)
    seven = planning_criterion(session, NOW, 7)
    assert (seven.numerator, seven.denominator) == (1, 1) and "the last 7 days" in seven.measure


def test_planning_from_the_ranking_records_the_bucket_it_had(session):
    add_staff(session)
    h = History(session)
    h.many("hubspot", 50, "free")                     # 50 upvotes: Top
    h.many("mailchimp", 20, "free")                   # Medium
    demand.plan_integrations(session, actor=PM, actor_role="pm", slugs=["hubspot", "mailchimp"])
    h.many("mailchimp", 40, "free", prefix="late")   # becomes Top later: planning-time bucket still counts
    c = planning_criterion(session, utcnow())
    assert (c.numerator, c.denominator) == (1, 2)
    assert dict(zip(c.rows["slug"], c.rows["bucket"], strict=True)) == {"hubspot": "Top", "mailchimp": "Medium"}


def test_every_way_out_of_requested_is_a_planning_decision(db_url, session, capsys):
    from services.cli import main
    from services.demand.planning import move_status

    add_staff(session)
    h = History(session)
    h.many("hubspot", 50, "free")                     # Top
    h.many("mailchimp", 20, "free")                   # Medium
    session.commit()
    # the CLI's `status set` (as the Build tracker's move does, through the same function)
    assert main(["status", "set", "hubspot", "planned", "--as", PM]) == 0
    capsys.readouterr()
    session.expire_all()
    # straight from requested to building counts too; a later move does not add another decision
    complete_steps(session, "mailchimp", {1})
    move_status(session, actor=ENGINEER, slug="mailchimp", to_status="building")
    move_status(session, actor=ENGINEER, slug="mailchimp", to_status="planned")
    c = planning_criterion(session, utcnow())
    assert dict(zip(c.rows["slug"], c.rows["bucket"], strict=True)) == {"hubspot": "Top", "mailchimp": "Medium"}
    assert dict(zip(c.rows["slug"], c.rows["planned_by"], strict=True)) == {"hubspot": PM, "mailchimp": ENGINEER}
    assert (c.numerator, c.denominator) == (1, 2)
    assert session.scalar(select(func.count()).select_from(PlanningDecision)) == 2
    # a refused move records nothing
    with pytest.raises(pipeline.TransitionRefused):
        move_status(session, actor=ENGINEER, slug="calendly", to_status="building")
    assert session.scalar(select(func.count()).select_from(PlanningDecision)) == 2


def test_entry_points_move_status_through_the_planning_record():
    """Pages and CLI commands never call the bare pipeline move, which records no planning decision."""
    root = Path(__file__).resolve().parent.parent
    offenders = [str(p.relative_to(root)) for folder in ("pages", "services/commands", "services/server")
                 for p in (root / folder).rglob("*.py") if "change_status(" in p.read_text()]
    assert offenders == []


# ---------------------------------------------------------------- 5. documentation

GUIDES = Path(__file__).resolve().parent.parent / "docs" / "integrations"


def test_documentation_counts_available_integrations_with_a_published_complete_guide(session, tmp_path):
    add_staff(session)
    for slug in ("hubspot", "activecampaign", "calendly"):
        shutil.copy(GUIDES / f"{slug}.md", tmp_path / f"{slug}.md")
    c = criteria.documentation_criterion(session, tmp_path)
    assert (c.numerator, c.denominator) == (0, EXISTING)
    assert c.rows.set_index("slug").loc["activecampaign", "guide"] == "ready to publish"
    assert c.rows.set_index("slug").loc["stripe", "guide"] == "not written"
    publishing.publish(session, actor=ENGINEER, slug="activecampaign", directory=tmp_path)
    publishing.publish(session, actor=ENGINEER, slug="calendly", directory=tmp_path)   # published, not Available
    move(session, "hubspot", "available", NOW)
    c = criteria.documentation_criterion(session, tmp_path)
    assert (c.numerator, c.denominator, c.value) == (1, EXISTING + 1, f"1 / {EXISTING + 1}")
    row = c.rows.set_index("slug").loc["activecampaign"]
    assert (row["guide"], row["published_by"]) == ("published", ENGINEER)
    # an edit that drops a written section makes the guide count as unpublished again
    text = (tmp_path / "activecampaign.md").read_text()
    (tmp_path / "activecampaign.md").write_text(text.split("## Common use cases")[0])
    c = criteria.documentation_criterion(session, tmp_path)
    row = c.rows.set_index("slug").loc["activecampaign"]
    assert c.numerator == 0 and row["guide"] == "incomplete"
    assert "section “Common use cases” is missing" in row["problems"]


# ---------------------------------------------------------------- 6. 30+ integrations

def test_breadth_counts_existing_and_newly_built_against_30(session):
    c = criteria.breadth_criterion(session)
    assert (c.numerator, c.denominator, c.value) == (EXISTING, 30, f"{EXISTING} / 30")
    assert c.note == f"{EXISTING} built before the Hub + 0 built in Phase 4."
    move(session, "postmark", "available", NOW - timedelta(days=2))
    move(session, "stripe", "deprecated", NOW - timedelta(days=1))
    c = criteria.breadth_criterion(session)
    assert c.numerator == EXISTING and c.note == f"{EXISTING - 1} built before the Hub + 1 built in Phase 4."
    rows = c.rows.set_index("slug")
    assert "stripe" not in rows.index and rows.loc["postmark", "available_since"] == NOW - timedelta(days=2)


def test_breadth_is_met_at_thirty(session):
    slugs = session.scalars(select(Integration.slug).where(Integration.existing.is_(False))
                            .order_by(Integration.slug).limit(30 - EXISTING)).all()
    for slug in slugs:
        move(session, slug, "available", NOW)
    c = criteria.breadth_criterion(session)
    assert c.numerator == 30 and c.met


@pytest.mark.parametrize("status", ["requested", "deprecated"])
def test_nothing_available_is_zero_of_thirty(session, status):
    session.execute(update(Integration).values(status=status))
    c = criteria.breadth_criterion(session)
    assert (c.numerator, c.value, c.met) == (0, "0 / 30", False) and c.rows.empty
