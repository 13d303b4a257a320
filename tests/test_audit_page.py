"""The Audit log page (issue 14, pages 6): each entry's change as readable "field: old → new" text."""

from __future__ import annotations

import pyarrow as pa

from services import demo
from services.build import pipeline
from services.core import audit, queries
from tests.sign_in_support import signed_in_app

STAFF = {role: email for email, _, role in demo.DEMO_STAFF}


def test_a_status_change_reads_field_old_new(session):
    demo.ensure_demo_staff(session)
    pipeline.change_status(session, actor=STAFF["admin"], slug="zapier", to_status="planned")
    session.commit()
    frame = queries.audit_frame(session)
    row = frame[frame["action"] == "integration.status_changed"].iloc[0]
    assert row["changes"] == "status: requested → planned"        # unchanged fields and empty extras left out
    pa.Table.from_pandas(frame)


def test_changes_text_for_created_deleted_and_odd_rows():
    assert queries.changes_text(None, {"role": "pm", "active": True, "name": None}) == "active: yes · role: pm"
    assert queries.changes_text({"role": "pm"}, None) == "role: pm → —"
    assert queries.changes_text({"tiers": ["agency", "enterprise"], "w": {"free": 1.0}},
                                {"tiers": ["agency"], "w": {"free": 2.0}}) == \
        'tiers: agency, enterprise → agency · w: {"free": 1.0} → {"free": 2.0}'
    assert queries.changes_text("a plain string", ["a", "list"]) == "a plain string → a, list"   # older rows
    assert queries.changes_text(None, None) == ""
    assert queries.changes_text({"status": "active"}, {"status": "active"}) == "no change"


def test_the_page_shows_changes_and_the_selected_entry_in_full(session, db_url):
    demo.ensure_demo_staff(session)
    pipeline.change_status(session, actor=STAFF["admin"], slug="zapier", to_status="planned")
    audit.record(session, actor="cli", action="x.legacy", entity_type="database", entity_id=None,
                 before=None, after=None)
    session.commit()
    at = signed_in_app(STAFF["admin"])
    at.switch_page("audit.py").run()
    assert not at.exception, at.exception
    table = at.dataframe(key="audit_table")
    shown = list(table.proto.column_order)
    assert "changes" in shown and "before" not in shown and "after" not in shown
    frame = table.value
    assert "status: requested → planned" in set(frame["changes"])
    assert "None" not in set(frame["entity_id"])
    at.session_state["audit_table"] = {"selection": {"rows": [int(frame.index[frame["action"] ==
                                                                       "integration.status_changed"][0])],
                                                     "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert len(at.json) == 2                                      # before and after, in full
