"""The Priorities page: filters, selection, planning, settings edits by role; `layers-hub rank`."""

import json

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.models import Integration
from db.models.ranking import PlanningDecision
from services import demo
from services.cli import main
from services.demand import ranking
from tests.ranking_fixtures import History
from tests.sign_in_support import signed_in_app

STAFF = {role: email for email, _, role in demo.DEMO_STAFF}


@pytest.fixture
def page_db(session, db_url):
    demo.ensure_demo_staff(session)
    h = History(session)
    h.many("pipedrive", 3, "enterprise")
    h.many("zoho-crm", 25, "free", orgs=5)
    h.many("copper", 4, "free")
    session.commit()
    return db_url


def open_priorities(role: str) -> AppTest:
    at = signed_in_app(STAFF[role])
    at.switch_page("priorities.py").run()
    assert not at.exception, at.exception
    return at


def table(at):
    return at.dataframe(key="priorities_table").value


def test_table_lists_unbuilt_integrations_in_rank_order(page_db):
    at = open_priorities("pm")
    frame = table(at)
    assert list(frame["integration"][:3]) == ["Zoho CRM", "Pipedrive", "Copper"]   # 25 > 15 > 4
    assert "Stripe" not in set(frame["integration"])
    assert "version 1" in at.caption[0].value


def test_filters_narrow_the_table(page_db):
    at = open_priorities("pm")
    at.multiselect(key="pri_bucket").select("Medium").run()
    assert list(table(at)["integration"]) == ["Zoho CRM"]
    at.multiselect(key="pri_bucket").unselect("Medium").run()
    at.text_input(key="pri_search").input("pipe").run()
    assert list(table(at)["integration"]) == ["Pipedrive", "Pipedream"]
    at.toggle(key="include_built").set_value(True).run()
    at.text_input(key="pri_search").input("stripe").run()
    assert list(table(at)["integration"]) == ["Stripe"]


def test_selecting_a_row_shows_who_asked(page_db):
    at = open_priorities("pm")
    at.session_state["priorities_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert any(h.value == "Who asked for Pipedrive" for h in at.subheader)
    users, orgs = at.dataframe[1].value, at.dataframe[2].value   # the two tables under "Who asked"
    assert len(users) == 3 and set(users["tier"]) == {"Enterprise"}
    assert orgs["score"].sum() == 15.0


def test_pm_plans_selected_integrations(page_db, session):
    at = open_priorities("pm")
    at.session_state["priorities_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.checkbox(key="plan_confirm").check().run()
    at.button(key="plan_button").click().run()
    assert not at.exception, at.exception
    row = session.scalar(select(Integration).where(Integration.slug == "zoho-crm"))
    session.refresh(row)
    assert row.status == "planned"
    decision = session.scalar(select(PlanningDecision))
    assert (decision.bucket, decision.upvotes, decision.rank, decision.planned_by) == ("Medium", 25, 1, STAFF["pm"])


def test_pm_edits_weights_and_a_new_version_is_used(page_db, session):
    at = open_priorities("pm")
    at.number_input(key="w_free").set_value(2.0)     # inside a form: sent with the submit click
    submit = [b for b in at.button if b.label == "Save as new version"][0]
    submit.click().run()
    assert at.success[0].value == "Ranking settings version 2 saved"
    assert not at.exception, at.exception
    assert ranking.current_settings(session).version == 2
    assert ranking.current_settings(session).weights["free"] == 2.0


def test_leadership_sees_settings_read_only_and_support_cannot_open(page_db):
    at = open_priorities("leadership")
    assert at.number_input(key="w_free").disabled
    assert any("Only product managers and admins" in i.value for i in at.info)
    at = signed_in_app(STAFF["support"])
    with pytest.raises(ValueError):
        at.switch_page("priorities.py")


def test_cli_rank_json_has_every_field(page_db, capsys):
    assert main(["rank", "--top", "2", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["slug"] for r in rows] == ["zoho-crm", "pipedrive"]
    assert set(rows[0]) == {"rank", "slug", "name", "category", "status", "bucket", "score", "upvotes", "users",
                            "organizations", "high_tier_users"}
    assert rows[1]["score"] == 15.0 and rows[1]["bucket"] == "Top"


def test_cli_weights_and_thresholds(page_db, capsys):
    assert main(["weights", "set", "free=3"]) == 0
    assert main(["thresholds", "set", "--top-upvotes", "20", "--high-tiers", "agency"]) == 0
    capsys.readouterr()
    assert main(["rank", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("rank,slug,name")
    assert lines[1].startswith("1,zoho-crm,") and ",Top,75.0,25," in lines[1]
    assert main(["weights", "set", "gold=2"]) == 2
    assert "unknown tier 'gold'" in capsys.readouterr().err
    assert main(["weights", "set", "free"]) == 2


def test_saving_weights_refreshes_the_table_caption_and_form(page_db):
    """Issue 14, pages 2: after "version 2 saved" the table, the caption and the form show version 2 at once."""
    at = open_priorities("pm")
    at.number_input(key="w_free").set_value(2.0)
    [b for b in at.button if b.label == "Save as new version"][0].click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Ranking settings version 2 saved"]
    assert "version 2" in at.caption[0].value
    assert any(c.value.startswith("Version 2, set by") for c in at.caption)
    frame = table(at)
    assert frame.loc[frame["integration"] == "Zoho CRM", "score"].iloc[0] == 50.0     # 25 free upvotes × 2
    assert at.number_input(key="w_free").value == 2.0
    at.run()                                 # the message is shown once
    assert not at.success and "version 2" in at.caption[0].value


def test_importing_upvotes_refreshes_the_table(page_db):
    """Issue 14, pages 2 (import): the imported upvotes are in the table as soon as the import reports them."""
    at = open_priorities("pm")
    upvotes = lambda: table(at).set_index("integration").loc["Copper", "upvotes"]   # noqa: E731
    assert upvotes() == 4
    csv = b"integration,user_email,user_name,organization,tier,created_at\n" \
          b"copper,new.one@acme.example,New One,Acme,free,2026-03-02T10:00:00Z\n"
    at.file_uploader(key="import_file").set_value(("upvotes.csv", csv, "text/csv")).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    assert upvotes() == 5
    assert [s.value for s in at.success][0].startswith("1 upvote imported, 0 already present")   # not "upvotes"


def test_narrow_screens_see_score_and_upvotes_first(page_db):
    """Issue 14, pages 8: at 390 px the table showed rank, name and category, and Score and Upvotes were off
    screen. They come right after the (pinned) name; category and the rest follow."""
    at = open_priorities("pm")
    table = at.dataframe(key="priorities_table")
    assert list(table.proto.column_order)[:3] == ["integration", "score", "upvotes"]
    config = json.loads(table.proto.columns)
    assert config["integration"]["pinned"] is True
    assert "None" not in table.value.astype(str).to_numpy().ravel().tolist()


def test_who_asked_shows_no_literal_none(page_db):
    """Issue 14, pages 8: an upvote without a comment read "None" under Who asked."""
    at = open_priorities("pm")
    at.session_state["priorities_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    users = at.dataframe[1].value
    assert not users.isna().any().any(), users.columns[users.isna().any()].tolist()


def preview_table(at):
    """The preview's table (a read-only dataframe has no key in AppTest): the one with a "move" column."""
    return next((d.value for d in at.dataframe if "move" in d.value.columns), None)


def test_preview_shows_rank_moves_and_bucket_changes_then_save_saves(page_db, session):
    """Issue 14, PM: see the effect of an edit before saving it (old → new rank and bucket), then save."""
    at = open_priorities("pm")
    at.number_input(key="w_enterprise").set_value(10.0)      # Pipedrive: 3 enterprise × 10 = 30 > Zoho's 25
    at.number_input(key="t_top").set_value(25)               # Zoho CRM's 25 upvotes reach Top
    at.button(key="settings_preview").click().run()
    assert not at.exception, at.exception
    preview = preview_table(at).set_index("integration")
    assert preview.loc["Pipedrive", "rank"] == "2 → 1" and preview.loc["Pipedrive", "move"] == "▲ 1"
    assert preview.loc["Pipedrive", "bucket"] == "Top"
    assert preview.loc["Zoho CRM", "rank"] == "1 → 2" and preview.loc["Zoho CRM", "bucket"] == "Medium → Top"
    assert preview.loc["Zoho CRM", "score"] == "25.0 → 25.0"
    assert len(preview) == 2                                  # only what moves
    assert any("Top 1 → 2" in c.value for c in at.caption), [c.value for c in at.caption]
    assert ranking.current_settings(session).version == 1    # a preview saves nothing
    assert list(table(at)["integration"][:2]) == ["Zoho CRM", "Pipedrive"]     # the table is still version 1
    [b for b in at.button if b.label == "Save as new version"][0].click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Ranking settings version 2 saved"]
    assert list(table(at)["integration"][:2]) == ["Pipedrive", "Zoho CRM"]
    assert preview_table(at) is None                          # saved: nothing left to preview


def test_preview_of_a_bad_edit_names_the_field_and_of_no_edit_says_so(page_db):
    at = open_priorities("pm")
    at.button(key="settings_preview").click().run()
    assert any("nothing would change" in i.value for i in at.info)
    at.number_input(key="t_medium").set_value(80)
    at.button(key="settings_preview").click().run()
    assert any("medium threshold (80) must not exceed the top threshold (50)" in e.value for e in at.error)


def test_table_says_why_each_integration_is_in_its_bucket(page_db):
    """Issue 14, PM: show why each is Top (upvotes, or which high-tier users)."""
    at = open_priorities("pm")
    why = table(at).set_index("integration")["why"]
    assert why["Pipedrive"] == "3 high-tier users: 3 Enterprise (3 upvotes)"
    assert why["Zoho CRM"] == "25 upvotes (20–49)"
    assert why["Copper"] == "4 upvotes (under 20)"
    assert list(at.dataframe(key="priorities_table").proto.column_order)[:5] == [
        "integration", "score", "upvotes", "bucket", "why"]


def test_reruns_use_cached_reads_and_changes_made_elsewhere_show_at_once(page_db, session, capsys):
    """Issue 14: the page ran the same queries on every rerun (three sessions); now one cheap fingerprint is read
    and the ranking, settings and charts come from the cache, until anything they read changes, whoever changed
    it (here the CLI, an import and a status move made outside the page)."""
    from sqlalchemy import Engine, event

    from services.demand.planning import move_status
    from services.demand.upvote_import import import_upvotes

    at = open_priorities("pm")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        at.run()
        cached = list(statements)
        assert not [s for s in cached if "integration_week_stats" in s or "ranking_settings.weights" in s
                    or "integrations.category" in s], cached

        assert main(["weights", "set", "free=2"]) == 0                       # another person, the CLI
        capsys.readouterr()
        at.run()
        assert "version 2" in at.caption[0].value
        assert table(at).set_index("integration").loc["Zoho CRM", "score"] == 50.0

        import_upvotes(session, b"integration,user_email,user_name,organization,tier\n"
                                b"copper,new.one@acme.example,New One,Acme,free\n", actor="pm@layers.example")
        session.commit()
        at.run()
        assert table(at).set_index("integration").loc["Copper", "upvotes"] == 5

        move_status(session, actor="pm@layers.example", slug="copper", to_status="planned")
        session.commit()
        at.run()
        assert table(at).set_index("integration").loc["Copper", "status"] == "planned"
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
