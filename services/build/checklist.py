"""The build + testing checklist template (one data file) and creating an integration's rows."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ChecklistItem, Integration
from services.catalog import Catalog, load_catalog

TEMPLATE_PATH = Path(__file__).with_name("checklist_template.yaml")


@dataclass(frozen=True)
class TemplateItem:
    key: str
    step: int
    step_title: str
    title: str
    applies_to: str | None
    kind: str = "build"  # build (steps 1-7) | testing (the testing checklist) | review (existing integrations)


@lru_cache(maxsize=1)
def template() -> tuple[TemplateItem, ...]:
    data = yaml.safe_load(TEMPLATE_PATH.read_text())
    groups = [*((g, "build") for g in data["steps"]), (data["testing"], "testing"), (data["review"], "review")]
    items = tuple(
        TemplateItem(i["key"], g["step"], g["title"], i["title"], i.get("applies_to"), kind)
        for g, kind in groups for i in g["items"]
    )
    keys = [i.key for i in items]
    if len(keys) != len(set(keys)):
        raise ValueError("checklist_template.yaml has duplicate keys")
    return items


def applies(item: TemplateItem, auth_methods: Set[str], has_webhooks: bool) -> bool:
    if item.applies_to is None:
        return True
    if item.applies_to == "webhook":
        return has_webhooks or "webhook" in auth_methods
    if item.applies_to == "api_key":
        return bool(auth_methods & {"api_key", "app_password", "basic"})
    return item.applies_to in auth_methods


def ensure_checklist(session: Session, integration: Integration, auth_methods: Set[str],
                     has_webhooks: bool) -> int:
    """Create missing checklist rows; items that don't apply start as not applicable.

    Review items exist only for integrations built before the Hub (`existing`).
    """
    have = set(session.scalars(select(ChecklistItem.key).where(ChecklistItem.integration_id == integration.id)))
    added = 0
    for item in template():
        if item.key in have or (item.kind == "review" and not integration.existing):
            continue
        na = not applies(item, auth_methods, has_webhooks)
        session.add(ChecklistItem(
            integration_id=integration.id, key=item.key, step=item.step, title=item.title,
            state="not_applicable" if na else "todo",
            na_reason="Does not apply to this integration's authentication" if na else None,
            updated_by="system" if na else None,
        ))
        added += 1
    return added


def ensure_checklists(session: Session, catalog: Catalog | None = None) -> int:
    """Create the missing checklist rows of every catalog integration in the table; returns how many."""
    catalog = catalog or load_catalog()
    rows = {i.slug: i for i in session.scalars(select(Integration))}
    added = 0
    for spec in catalog:
        row = rows.get(spec.slug)
        if row is not None:
            added += ensure_checklist(session, row, {spec.auth.method, *spec.auth.alternatives},
                                      has_webhooks=bool(spec.triggers))
    session.flush()
    return added
