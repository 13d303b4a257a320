"""`layers-hub docs build --out DIR`: every published guide as Markdown, plus an index."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from services.guides.render import render
from services.guides.state import guide_states


def build(session: Session, out: Path, directory: Path | None = None) -> list[Path]:
    """Write <slug>.md for each published guide and index.md listing them; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    published = [s for s in guide_states(session, directory) if s.published]
    written = []
    for state in published:
        path = out / f"{state.slug}.md"
        path.write_text(render(state.slug, directory), encoding="utf-8")
        written.append(path)
    index = ["# Layers integration guides", ""]
    index += [f"- [{s.name}]({s.slug}.md) · {s.category}" for s in sorted(published, key=lambda s: s.name.lower())]
    if not published:
        index.append("No guide is published yet.")
    (out / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return [*written, out / "index.md"]
