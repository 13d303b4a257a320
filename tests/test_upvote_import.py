"""CSV import of upvotes: success, idempotence, every bad-row kind, all-or-nothing, skip-invalid."""

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Organization, Tier, Upvote, User
from services.cli import main
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
