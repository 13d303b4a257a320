"""Demo data for the build tracker: owners, target dates, history and a few reviews in progress.

Called by services.demo.seed_demo after it has moved a few integrations part-way (IN_FLIGHT).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ChecklistItem, Integration
from db.models.build import ChecklistEvent, ReviewFinding, StatusChange
from services.build import pipeline
from services.build.evidence import GUIDE_ITEMS

ENGINEER = "engineer@layers.example"
ADMIN = "admin@layers.example"
# slug -> (owner, target date in days from the demo's as-of date)
PLANS = {"calendly": (ENGINEER, 7), "hubspot": (ENGINEER, 30), "n8n": (ADMIN, 21), "mailchimp": (ENGINEER, -2),
         "webflow": (ADMIN, 60), "zapier": (None, None)}
# Existing integrations under review: slug -> (review items done, findings (severity, text))
REVIEWS = {
    "activecampaign": (["review.api_client"], [
        ("medium", "Update custom field: date-type fields are sent as text; ActiveCampaign expects YYYY-MM-DD."),
        ("low", "Apply tag does not report an already-applied tag; the node shows success either way."),
    ]),
    "stripe": (["review.api_client", "review.document_gaps"], []),
    "github": (["review.oauth_flow"], [
        ("high", "OAuth app tokens lack the workflow scope: triggering Actions from a Layers node fails with 404."),
    ]),
}
_PATH = ("requested", "planned", "building", "testing", "available")
# Taken through the whole checklist and made Available by the tracker: its upvoters are in the outbox.
SHIPPED = "postmark"
SHIPPED_OVERRIDE = "Shipped for a launch customer; its guide (docs/integrations/postmark.md) is still being written"


def seed(session: Session, anchor: datetime) -> None:
    by_slug = {i.slug: i for i in session.scalars(select(Integration))}
    for slug, (owner, days) in PLANS.items():
        integration = by_slug.get(slug)
        if integration is None:
            continue
        integration.owner = owner
        integration.target_date = (anchor + timedelta(days=days)).date() if days is not None else None
        steps = _PATH[: _PATH.index(integration.status) + 1] if integration.status in _PATH else ()
        moves = list(zip(steps, steps[1:], strict=False))
        for n, (a, b) in enumerate(moves):   # the last move matches status_changed_at (3 days ago)
            session.add(StatusChange(integration_id=integration.id, from_status=a, to_status=b,
                                     actor=ADMIN if a == "requested" else owner or ENGINEER,
                                     created_at=anchor - timedelta(days=3 + 14 * (len(moves) - 1 - n))))
    for slug, (done, found) in REVIEWS.items():
        integration = by_slug.get(slug)
        if integration is None:
            continue
        for item in session.scalars(select(ChecklistItem).where(ChecklistItem.integration_id == integration.id,
                                                                ChecklistItem.key.in_(done))):
            item.state, item.updated_by, item.updated_at = "done", ENGINEER, anchor - timedelta(days=6)
        for severity, text in found:
            session.add(ReviewFinding(integration_id=integration.id, severity=severity, finding=text,
                                      created_by=ENGINEER, created_at=anchor - timedelta(days=5)))
    shipped = by_slug.get(SHIPPED)
    if shipped is not None and not shipped.existing:
        _complete(session, shipped, anchor)
    session.flush()
    # One history event per item done so far (the burn-up chart reads the history).
    for item in session.scalars(select(ChecklistItem).where(ChecklistItem.state == "done",
                                                            ChecklistItem.updated_at.is_not(None))):
        session.add(ChecklistEvent(integration_id=item.integration_id, item_key=item.key, from_state="todo",
                                   to_state="done", actor=item.updated_by or ENGINEER, created_at=item.updated_at))
    session.flush()
    if shipped is not None and not shipped.existing:
        # Its guide is not written, so Step 7's guide items stay open and an admin overrides the gate.
        pipeline.change_status(session, actor=ADMIN, slug=SHIPPED, to_status="available",
                               override_reason=SHIPPED_OVERRIDE)


def _complete(session: Session, integration: Integration, anchor: datetime) -> None:
    """Every applicable item done over the last six weeks, except what the move to Available does itself and
    the guide items (only publishing a guide ticks those)."""
    integration.status, integration.owner = "testing", ENGINEER
    integration.target_date, integration.status_changed_at = anchor.date(), anchor - timedelta(days=9)
    items = session.scalars(select(ChecklistItem).where(ChecklistItem.integration_id == integration.id,
                                                        ChecklistItem.state == "todo")
                            .order_by(ChecklistItem.step, ChecklistItem.id)).all()
    for n, item in enumerate(i for i in items if i.key not in (*pipeline.DONE_BY_AVAILABLE, *GUIDE_ITEMS)):
        item.state, item.updated_by = "done", ENGINEER
        item.updated_at = anchor - timedelta(days=42) + timedelta(hours=14 * n)
    for n, (a, b) in enumerate(zip(_PATH[:3], _PATH[1:4], strict=True)):
        session.add(StatusChange(integration_id=integration.id, from_status=a, to_status=b,
                                 actor=ADMIN if a == "requested" else ENGINEER,
                                 created_at=anchor - timedelta(days=45 - 12 * n)))
