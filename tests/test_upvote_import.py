"""CSV import of upvotes: success, idempotence, every bad-row kind, all-or-nothing, skip-invalid."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from db.models import AuditEntry, Integration, Organization, Tier, Upvote, User
from db.models.build import StatusChange
from db.session import session_scope
from services.build.pipeline import change_status
from services.cli import main
from services.core.integrations import set_existing
from services.demand import ranking
from services.demand.upvote_import import ImportRejected, import_upvotes

GOOD = """integration,user_email,user_name,organization,tier,created_at
hubspot,ana@acme.example,Ana,Acme,agency,2026-03-02T10:00:00Z
HubSpot,ben@acme.example,,Acme,free,2026-03-03
Zoho CRM,ana@acme.example,Ana,Acme,agency,
pipedrive,cy@beta.example,Cy,Beta,Enterprise,2026-04-01T08:30:00+02:00
hubspot,ana@acme.example,Ana,Acme,agency,2026-05-01
"""


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_import_creates_users_orgs_and_upvotes(session, db_url):
    report = import_upvotes(session, GOOD, actor="pm@layers.example", filename="good.csv")
    session.commit()
    assert (report.rows, report.imported, report.duplicates) == (5, 4, 1)
    assert (report.users_created, report.organizations_created) == (3, 2)
    assert count(session, Upvote) == 4
    ana = session.scalar(select(User).where(User.email == "ana@acme.example"))
    assert session.get(Tier, ana.tier_id).slug == "agency"
    ben = session.scalar(select(User).where(User.email == "ben@acme.example"))
    assert ben.name == "ben"
    rows = {r.slug: r for r in ranking.rank(session)}
    assert (rows["hubspot"].upvotes, rows["hubspot"].score, rows["hubspot"].organizations) == (2, 4.0, 1)
    assert rows["hubspot"].bucket == "Top"        # an agency upvoter
    cy_vote = session.scalar(select(Upvote.created_at).join(User).where(User.email == "cy@beta.example"))
    assert cy_vote.isoformat() == "2026-04-01T06:30:00+00:00"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "upvotes.imported"))
    assert entry.after["imported"] == 4 and entry.entity_id == "good.csv"


def test_importing_the_same_file_twice_changes_nothing(session, db_url):
    import_upvotes(session, GOOD, actor="pm")
    session.commit()
    before = [r.as_dict() for r in ranking.rank(session)]
    again = import_upvotes(session, GOOD, actor="pm")
    session.commit()
    assert again.imported == 0 and again.users_created == 0 and again.users_updated == 0
    assert count(session, Upvote) == 4
    assert [r.as_dict() for r in ranking.rank(session)] == before


def test_the_files_tier_and_organization_win_and_move_the_aggregates(session, db_url):
    import_upvotes(session, GOOD, actor="pm")
    session.commit()
    moved = "integration,user_email,organization,tier\npipedrive,ana@acme.example,Gamma,enterprise\n"
    report = import_upvotes(session, moved, actor="pm")
    session.commit()
    assert report.users_updated == 1 and report.organizations_created == 1
    rows = {r.slug: r for r in ranking.rank(session)}
    assert rows["hubspot"].score == 1 + 5      # ana's earlier hubspot upvote now weighs as enterprise
    assert rows["hubspot"].organizations == 2  # Acme (ben) and Gamma (ana)


@pytest.mark.parametrize("row, message", [
    ("hubspt,a@x.example,,Acme,free,", "unknown 'hubspt' (did you mean 'hubspot'?)"),
    ("hubspot,not-an-email,,Acme,free,", "user_email: 'not-an-email' is not an email address"),
    ("hubspot,a@x.example,,Acme,gold,", "tier: unknown 'gold'"),
    ("hubspot,a@x.example,,Acme,free,31/12/2026", "created_at: '31/12/2026' is not an ISO 8601"),
    ("hubspot,a@x.example,,,free,", "organization: missing"),
    ("stripe,a@x.example,,Acme,free,", "upvoting is closed for Stripe"),
])
def test_each_bad_row_kind_rejects_the_whole_file(session, db_url, row, message):
    text = GOOD + row + "\n"
    with pytest.raises(ImportRejected) as info:
        import_upvotes(session, text, actor="pm")
    assert [e.line for e in info.value.errors] == [7]
    assert message in info.value.errors[0].message
    session.rollback()
    assert count(session, Upvote) == 0 and count(session, User) == 0 and count(session, Organization) == 0


def test_every_bad_line_is_listed(session, db_url):
    text = GOOD + "nope,a@x.example,,A,free,\nhubspot,bad,,A,free,\nhubspot,c@x.example,,A,free,\n"
    with pytest.raises(ImportRejected) as info:
        import_upvotes(session, text, actor="pm")
    assert [e.line for e in info.value.errors] == [7, 8]
    assert "line 7" in str(info.value) and "line 8" in str(info.value)


def test_missing_columns_are_named(session, db_url):
    with pytest.raises(ImportRejected, match="missing column.*user_email"):
        import_upvotes(session, "integration,organization,tier\nhubspot,A,free\n", actor="pm")


def test_skip_invalid_imports_the_good_rows(session, db_url):
    report = import_upvotes(session, GOOD + "hubspt,a@x.example,,Acme,free,\n", actor="pm", skip_invalid=True)
    session.commit()
    assert report.imported == 4 and [e.line for e in report.skipped] == [7]


def test_cli_import_success_and_failure(db_url, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    assert main(["import-upvotes", str(good)]) == 0
    assert "4 upvotes imported" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "hubspt,a@x.example,,Acme,free,\n")
    assert main(["import-upvotes", str(bad)]) == 2
    assert "line 7" in capsys.readouterr().err
    assert main(["import-upvotes", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["import-upvotes", str(bad), "--skip-invalid"]) == 0
    assert "1 skipped" in capsys.readouterr().out


# Issue 14: the platform's export is cumulative, so it is imported again after an integration ships. Upvotes
# are history: a row already present is counted as such, a new row dated before upvoting closed is kept, and
# only a new row dated after it closed is refused (or skipped), by its line.
CLOSED_AT = datetime(2026, 4, 15, tzinfo=UTC)


def ship(session, slug: str, *, closed_at: datetime | None = CLOSED_AT, then: str | None = None) -> None:
    """Move `slug` to Available the way the Build tracker does (an override: its checklist is not done), and
    date the move `closed_at` so the rows around it are deterministic."""
    change_status(session, actor="cli", slug=slug, to_status="available", override_reason="shipped in a test")
    if then:
        change_status(session, actor="cli", slug=slug, to_status=then)
    if closed_at is not None:
        iid = session.scalar(select(Integration.id).where(Integration.slug == slug))
        session.execute(update(StatusChange).where(StatusChange.integration_id == iid,
                                                   StatusChange.to_status == "available").values(created_at=closed_at))
    session.commit()


def upvotes_of(session, slug: str) -> int:
    return {r.slug: r for r in ranking.rank(session, include_built=True)}[slug].upvotes


@pytest.mark.parametrize("status", ["available", "deprecated"])
def test_reimporting_the_export_after_a_ship_counts_the_rows_already_present(session, db_url, status):
    import_upvotes(session, GOOD, actor="pm")
    session.commit()
    ship(session, "hubspot", closed_at=None, then="deprecated" if status == "deprecated" else None)
    ship(session, "zoho-crm", closed_at=None)      # its row in GOOD is undated: stored as of the first import
    before = [r.as_dict() for r in ranking.rank(session, include_built=True)]
    again = import_upvotes(session, GOOD, actor="pm")
    session.commit()
    assert (again.rows, again.imported, again.duplicates, again.skipped) == (5, 0, 5, [])
    assert count(session, Upvote) == 4
    assert [r.as_dict() for r in ranking.rank(session, include_built=True)] == before


def test_a_new_row_dated_before_upvoting_closed_is_history_and_kept(session, db_url):
    import_upvotes(session, GOOD, actor="pm")
    session.commit()
    ship(session, "hubspot")
    later = GOOD + "hubspot,dee@delta.example,Dee,Delta,enterprise,2026-04-14T23:59:00Z\n"
    report = import_upvotes(session, later, actor="pm")
    session.commit()
    assert (report.imported, report.duplicates, report.skipped) == (1, 5, [])
    dee = session.scalar(select(Upvote.created_at).join(User).where(User.email == "dee@delta.example"))
    assert dee == datetime(2026, 4, 14, 23, 59, tzinfo=UTC)
    hubspot = {r.slug: r for r in ranking.rank(session, include_built=True)}["hubspot"]
    assert (hubspot.upvotes, hubspot.organizations, hubspot.score) == (3, 2, 3 + 1 + 5)   # aggregates follow
    assert hubspot.built and "hubspot" not in {r.slug for r in ranking.rank(session)}


def test_a_new_row_dated_after_upvoting_closed_is_refused_by_its_line(session, db_url):
    import_upvotes(session, GOOD, actor="pm")
    session.commit()
    ship(session, "hubspot")
    late = (GOOD + "hubspot,dee@delta.example,Dee,Delta,enterprise,2026-04-20\n"
            "hubspot,eve@delta.example,Eve,Delta,free,\n"                    # undated: now, after closing
            "hubspot,fay@delta.example,Fay,Delta,free,2026-04-01\n")         # before closing: fine
    with pytest.raises(ImportRejected) as info:
        import_upvotes(session, late, actor="pm")
    session.rollback()
    assert [e.line for e in info.value.errors] == [7, 8]
    message = info.value.errors[0].message
    assert "upvoting is closed for HubSpot" in message and "2026-04-15" in message and "2026-04-20" in message
    assert upvotes_of(session, "hubspot") == 2 and count(session, User) == 3
    report = import_upvotes(session, late, actor="pm", skip_invalid=True)
    session.commit()
    assert [e.line for e in report.skipped] == [7, 8] and (report.imported, report.duplicates) == (1, 5)
    assert upvotes_of(session, "hubspot") == 3


def test_marking_an_integration_existing_closes_upvoting_from_then_on(session, db_url):
    import_upvotes(session, GOOD, actor="pm")
    session.commit()
    set_existing(session, actor="pm", slug="pipedrive", existing=True)
    session.commit()
    again = GOOD + ("pipedrive,dee@delta.example,Dee,Delta,free,2026-04-02\n"    # before it closed: history
                    "pipedrive,eve@delta.example,Eve,Delta,free,\n")             # undated: now, after it closed
    with pytest.raises(ImportRejected) as info:
        import_upvotes(session, again, actor="pm")
    assert [e.line for e in info.value.errors] == [8]      # the re-imported row 5 and the dated new one are fine
    assert "upvoting is closed for Pipedrive" in info.value.errors[0].message


def test_cli_reimport_after_a_ship(db_url, tmp_path, capsys):
    """The issue's steps: import, move HubSpot to Available, import the same file again."""
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    assert main(["import-upvotes", str(good)]) == 0
    capsys.readouterr()
    with session_scope(db_url) as s:
        change_status(s, actor="cli", slug="hubspot", to_status="available", override_reason="shipped")
    assert main(["import-upvotes", str(good)]) == 0
    out, err = capsys.readouterr()
    assert "0 upvotes imported, 5 already present" in out and "0 skipped" in out, err
