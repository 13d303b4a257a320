"""Integration guides: written sections, generated parts that match the catalog, publishing, `docs build`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from db.models.build import ChecklistEvent
from db.models.docs import GuidePublication
from services.build import tracker
from services.build.evidence import GUIDE_ITEMS
from services.catalog import load_catalog
from services.cli import main
from services.core.errors import InvalidInput, PermissionDenied
from services.guides import generated, publishing, written
from services.guides.export import build
from services.guides.render import FOOTER, NOT_WRITTEN, demote, render, render_written
from services.runtime.executors.schemas import json_schemas
from services.runtime.provider_errors import CATEGORIES
from tests.build_fixtures import ADMIN, ENGINEER, LEADER, add_staff

GUIDES = Path(__file__).resolve().parent.parent / "docs" / "integrations"
TOP10 = [s.slug for s in load_catalog().top10()]
COMPLETE = """# Example

Intro text.

## How to connect
{long}

## Available actions and triggers

## Example workflows
{long}

## Common use cases
{long}

## Troubleshooting
{long}
""".replace("{long}", "Words that explain this part of the guide in enough detail to be useful to a reader.")


def guide_dir(tmp_path: Path, *slugs: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for slug in slugs:
        shutil.copy(GUIDES / f"{slug}.md", tmp_path / f"{slug}.md")
    return tmp_path


# ---------------------------------------------------------------- the written part

def test_parse_splits_the_seed_sections_and_ignores_headings_in_code():
    text = COMPLETE + "\n## Plan requirements\nEnterprise only.\n\n```bash\n## not a heading\n```\n"
    w = written.parse("example", text)
    assert w.title == "Example" and w.intro == "Intro text."
    assert sorted(w.sections) == ["actions", "connect", "examples", "troubleshooting", "use_cases"]
    assert w.sections["actions"] == ""
    assert w.extra[0][0] == "Plan requirements" and "## not a heading" in w.extra[0][1]
    assert written.problems(w) == []


def test_a_heading_belongs_to_the_section_named_first_in_it():
    w = written.parse("x", "## Troubleshooting connections\nabc\n## How to connect\ndef\n")
    assert w.sections == {"troubleshooting": "abc", "connect": "def"}


@pytest.mark.parametrize(("change", "problem"), [
    (lambda t: t.replace("## Example workflows", "## Workflows"), "section “Example workflows” is missing"),
    (lambda t: t.split("## Troubleshooting")[0] + "## Troubleshooting\nSee support.\n",
     "section “Troubleshooting” is not written yet (under 60 characters)"),
    (lambda t: t.replace("## Available actions and triggers", "## Notes"),
     "section “Available actions and triggers” is missing"),
    (lambda t: t + "\nTODO: screenshots\n", "the guide still contains the placeholder “TODO”"),
])
def test_incomplete_written_parts_name_what_is_missing(change, problem):
    assert written.problems(written.parse("x", change(COMPLETE))) == [problem]


def test_no_file_is_a_problem_too(tmp_path):
    assert written.read("hubspot", tmp_path) is None
    assert written.problems(None, "airtable") == ["no written guide yet (docs/integrations/airtable.md)"]


def test_the_top10_guides_are_written_and_complete():
    for slug in TOP10:
        w = written.read(slug)
        assert w is not None, f"docs/integrations/{slug}.md is missing"
        assert written.problems(w) == [], slug
        assert w.title == load_catalog().get(slug).name


def test_guides_hold_no_real_looking_secrets():
    token = re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[a-z])[A-Za-z0-9_\-]{24,}\b")
    for path in GUIDES.glob("*.md"):
        full = path.read_text()
        body, _, sources = full.partition("\n## Sources\n")
        # the Sources section links provider documentation, whose path slugs are not secrets
        text = body + re.sub(r"<https://[^>\s]+>", "", sources)
        assert not token.findall(text), f"{path.name}: {token.findall(text)}"
        assert not re.search(r"sk_live_|xox[abp]-|ghp_|github_pat_|AKIA[0-9A-Z]{16}|pat-na1-[0-9a-f]", full), path.name


def test_top10_guides_end_with_their_sources_which_render_last():
    for slug in TOP10:
        w = written.read(slug)
        heading, body = w.extra[-1]
        assert heading == "Sources" and "<https://" in body, slug
        assert written.problems(w) == [], slug              # an extra trailing section is allowed
        text = render(slug)
        assert text.index("\n## Troubleshooting\n") < text.index("\n## Sources\n") < text.index(FOOTER), slug


# ---------------------------------------------------------------- the generated parts

def _rows(block: str, first: str) -> dict[str, list[str]]:
    """Rows of the Markdown table whose header starts with `first`: name -> cells."""
    lines = block.split(f"| {first} |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    return {cells[0].strip("` "): [c.strip() for c in cells[1:]]
            for cells in (line.strip("|").split(" | ") for line in lines)}


@pytest.mark.parametrize("slug", TOP10)
def test_rendered_guide_has_every_action_trigger_and_field_from_the_catalog(slug):
    spec = load_catalog().get(slug)
    text = render(slug)
    for section in written.SECTIONS:
        assert f"\n## {section.title}\n" in text
    assert NOT_WRITTEN not in text
    fields = _rows(text.split("### Connection fields", 1)[1], "Field") if spec.connection_fields else {}
    assert list(fields) == list(spec.connection_fields)
    for name, field in spec.connection_fields.items():
        value = fields[name][2]
        assert value.startswith("secret: stored encrypted") if field.secret else str(field.example or "") in value
    for action in spec.actions.values():
        block = text.split(f"#### {action.title} (`{action.key}`)", 1)[1].split("\n#### ", 1)[0]
        schema = json_schemas(slug, action.key)
        props = schema["input"].get("properties", {})
        if props:
            rows = _rows(block, "Input")
            assert list(rows) == list(props)
            required = {name for name, cells in rows.items() if cells[1] == "yes"}
            assert required == set(schema["input"].get("required", []))
        outputs = schema["output"].get("properties", {})
        if outputs:
            assert list(_rows(block, "Output")) == list(outputs)
    for trigger in spec.triggers.values():
        assert f"#### {trigger.title} (`{trigger.key}`)" in text
        for name in trigger.outputs:
            assert f"| `{name}` |" in text
    trouble = text.split("## Troubleshooting", 1)[1]
    assert list(_rows(trouble, "Category")) == list(CATEGORIES)


def test_troubleshooting_has_help_for_exactly_the_http_layers_categories():
    assert set(generated.CATEGORY_HELP) == set(CATEGORIES)


def test_provider_specifics_come_from_the_catalog():
    sf = generated.troubleshooting_part(load_catalog().get("salesforce"))
    assert "HTTP 403 with `REQUEST_LIMIT_EXCEEDED`" in sf
    ac = generated.troubleshooting_part(load_catalog().get("activecampaign"))
    assert "`succeeded` = 0" in ac and "5 requests per second per account" in ac
    hub = generated.connect_part(load_catalog().get("hubspot"))
    assert "`crm.lists.write`" in hub and "`GET /account-info/v3/details`" in hub
    assert "Authorization: Bearer <key>" in hub


def test_an_unwritten_guide_still_shows_the_generated_parts(tmp_path):
    text = render("zoho-crm", tmp_path)
    assert text.startswith("# Zoho CRM\n")
    assert text.count(NOT_WRITTEN) == 4          # the four written sections; actions say "none described"
    assert "No actions described in the catalog yet." in text and "### Errors by category" in text


def test_render_keeps_extra_written_sections_after_the_seed_ones():
    w = written.parse("hubspot", COMPLETE + "\n## Plan requirements\nEnterprise only.\n")
    text = render_written("hubspot", w)
    assert text.index("## Troubleshooting") < text.index("## Plan requirements")


# ---------------------------------------------------------------- publishing

def test_publishing_is_gated_on_complete_sections_and_audited(session, tmp_path):
    add_staff(session)
    guide_dir(tmp_path, "hubspot")
    (tmp_path / "mailchimp.md").write_text(COMPLETE.replace("## Common use cases", "## Notes"))
    with pytest.raises(InvalidInput, match="“Common use cases” is missing"):
        publishing.publish(session, actor=ENGINEER, slug="mailchimp", directory=tmp_path)
    with pytest.raises(InvalidInput, match="no written guide yet"):
        publishing.publish(session, actor=ENGINEER, slug="calendly", directory=tmp_path)
    with pytest.raises(PermissionDenied):
        publishing.publish(session, actor=LEADER, slug="hubspot", directory=tmp_path)
    assert session.scalar(select(GuidePublication)) is None
    row = publishing.publish(session, actor=ENGINEER, slug="hubspot", directory=tmp_path)
    assert row.published_by == ENGINEER and row.written_sha256 == written.read("hubspot", tmp_path).sha256
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "guide.published"))
    assert (entry.actor, entry.entity_id, entry.before) == (ENGINEER, "hubspot", None)
    states = {s.slug: s for s in publishing.guide_states(session, tmp_path)}
    assert states["hubspot"].state == "published" and states["mailchimp"].state == "incomplete"
    assert states["calendly"].state == "not written"


def test_republish_unpublish_and_edits(session, tmp_path):
    add_staff(session)
    guide_dir(tmp_path, "webflow")
    publishing.publish(session, actor=ENGINEER, slug="webflow", directory=tmp_path)
    publishing.publish(session, actor=ENGINEER, slug="webflow", directory=tmp_path)    # unchanged: no-op
    audits = lambda a: session.scalars(select(AuditEntry).where(AuditEntry.action == a)).all()  # noqa: E731
    assert len(audits("guide.published")) == 1
    path = tmp_path / "webflow.md"
    path.write_text(path.read_text() + "\nOne more note.\n")
    state = {s.slug: s for s in publishing.guide_states(session, tmp_path)}["webflow"]
    assert state.published and state.edited_since_published
    publishing.publish(session, actor=ENGINEER, slug="webflow", directory=tmp_path)
    assert len(audits("guide.published")) == 2
    assert not {s.slug: s for s in publishing.guide_states(session, tmp_path)}["webflow"].edited_since_published
    assert publishing.unpublish(session, actor=ENGINEER, slug="webflow") is True
    assert publishing.unpublish(session, actor=ENGINEER, slug="webflow") is False
    assert len(audits("guide.unpublished")) == 1
    assert {s.slug: s for s in publishing.guide_states(session, tmp_path)}["webflow"].state == "ready to publish"


def _guide_items(session, slug: str) -> dict[str, tracker.ItemView]:
    return {i.key: i for s in tracker.checklist(session, slug, with_evidence=False) for i in s.items
            if i.key in GUIDE_ITEMS}


def test_publishing_ticks_the_step7_guide_items_and_unpublishing_reopens_them(session, tmp_path):
    add_staff(session)
    guide_dir(tmp_path, "calendly", "activecampaign")
    tracker.mark_not_applicable(session, actor=ENGINEER, slug="calendly", key="docs.guide.use_cases", reason="x")
    assert {i.state for k, i in _guide_items(session, "calendly").items() if k != "docs.guide.use_cases"} == {"open"}
    publishing.publish(session, actor=ENGINEER, slug="calendly", directory=tmp_path)
    items = _guide_items(session, "calendly")
    ticked = [k for k in GUIDE_ITEMS if k != "docs.guide.use_cases"]
    assert all((items[k].state, items[k].note, items[k].by) == ("done", "published guide", ENGINEER) for k in ticked)
    assert items["docs.guide.use_cases"].state == "not_applicable"            # a reasoned decision stays
    changes = session.scalars(select(AuditEntry).where(AuditEntry.action == "checklist.item_changed",
                                                       AuditEntry.entity_id.like("calendly:docs.guide%"))).all()
    assert sorted(a.entity_id.split(":")[1] for a in changes if a.after["note"] == "published guide") == sorted(ticked)
    published = session.scalar(select(AuditEntry).where(AuditEntry.action == "guide.published"))
    assert published.after["ticked"] == ticked
    events = session.scalars(select(ChecklistEvent).where(ChecklistEvent.item_key.in_(ticked))).all()
    assert {(e.to_state, e.note) for e in events} == {("done", "published guide")}    # the burn-up sees them

    tracker.tick(session, actor=ENGINEER, slug="calendly", key="docs.guide.examples", done=False)
    publishing.publish(session, actor=ENGINEER, slug="calendly", directory=tmp_path)   # same text: re-ticks only
    assert _guide_items(session, "calendly")["docs.guide.examples"].state == "done"
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "guide.published")).all()) == 1

    publishing.unpublish(session, actor=ADMIN, slug="calendly")
    items = _guide_items(session, "calendly")
    assert all((items[k].state, items[k].note, items[k].by) == ("open", "guide unpublished", ADMIN) for k in ticked)
    assert items["docs.guide.use_cases"].state == "not_applicable"
    unpublished = session.scalar(select(AuditEntry).where(AuditEntry.action == "guide.unpublished"))
    assert unpublished.after == {"reopened": ticked}

    publishing.publish(session, actor=ENGINEER, slug="activecampaign", directory=tmp_path)   # existing: review list
    assert _guide_items(session, "activecampaign") == {}


def test_docs_build_writes_published_guides_and_an_index(session, tmp_path):
    add_staff(session)
    guides = guide_dir(tmp_path / "src", "hubspot", "n8n")
    publishing.publish(session, actor=ENGINEER, slug="n8n", directory=guides)
    files = build(session, tmp_path / "out", guides)
    assert sorted(f.name for f in files) == ["index.md", "n8n.md"]
    assert (tmp_path / "out" / "n8n.md").read_text() == render("n8n", guides)
    assert "- [n8n](n8n.md) · Automation" in (tmp_path / "out" / "index.md").read_text()


def test_cli_publish_list_and_build(session, db_url, tmp_path, capsys):
    add_staff(session)
    session.commit()
    assert main(["docs", "publish", "calendly", "--as", ENGINEER]) == 0
    assert "calendly: guide published (by eng@layers.example)" in capsys.readouterr().out
    assert main(["docs", "publish", "zoho-crm"]) == 2
    assert "no written guide yet" in capsys.readouterr().err
    assert main(["docs", "publish", "calendly", "--as", LEADER]) == 2
    assert "may not change build checklists" in capsys.readouterr().err
    assert main(["docs", "list", "--state", "published"]) == 0
    out = capsys.readouterr().out
    assert "calendly" in out and "hubspot" not in out
    assert main(["docs", "build", "--out", str(tmp_path / "site")]) == 0
    assert "wrote 1 published guide(s)" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["calendly.md", "index.md"]
    assert main(["docs", "unpublish", "calendly"]) == 0
    assert "calendly: guide unpublished (by cli)" in capsys.readouterr().out
    assert main(["docs", "show", "nope"]) == 2


def test_demote_shifts_headings_but_not_code():
    assert demote("# T\n\n## S\n```\n# comment\n```\ntext #1\n") == "## T\n\n### S\n```\n# comment\n```\ntext #1\n"
