"""The written part of a guide: docs/integrations/<slug>.md split into the seed's five sections.

A file is one `# Title`, an optional introduction, and `## ` sections. A heading belongs to a seed
section when it contains that section's word (the same rule as the tracker's evidence). The
actions section may hold only notes, because its tables are generated; the other four need real text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

GUIDES_DIR = Path(__file__).resolve().parents[2] / "docs" / "integrations"
# Headings a guide needs (seed Step 7), by checklist item, matched case-insensitively as words in a Markdown
# heading.
GUIDE_SECTIONS = {
    "docs.guide.connect": ("How to connect", "connect"),
    "docs.guide.actions": ("Available actions and triggers", "action"),
    "docs.guide.examples": ("Example workflows", "example"),
    "docs.guide.use_cases": ("Common use cases", "use case"),
    "docs.guide.troubleshooting": ("Troubleshooting", "troubleshoot"),
}
# Step 7 items that publishing the guide performs (services/guides/publishing.py ticks and reopens them).
GUIDE_ITEMS = ("docs.guide", *GUIDE_SECTIONS)
MIN_CHARS = 60                       # a written section shorter than this is not written yet
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|lorem ipsum)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    key: str                         # connect | actions | examples | use_cases | troubleshooting
    title: str                       # the seed's wording
    word: str                        # a heading containing this word is this section
    written: bool                    # False: generated tables fill it; written notes are optional


SECTIONS: tuple[Section, ...] = tuple(
    Section(item.rsplit(".", 1)[1], title, word, written=not item.endswith(".actions"))
    for item, (title, word) in GUIDE_SECTIONS.items())


@dataclass(frozen=True)
class Written:
    slug: str
    text: str
    title: str | None = None
    intro: str = ""
    sections: dict[str, str] = field(default_factory=dict)        # section key -> body
    extra: list[tuple[str, str]] = field(default_factory=list)     # other `## ` sections, in file order

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def guide_path(slug: str, directory: Path | None = None) -> Path:
    return (directory or GUIDES_DIR) / f"{slug}.md"


def _section_for(heading: str, taken: set[str]) -> str | None:
    """The section whose word comes first in the heading ("Troubleshooting connections" is troubleshooting)."""
    lowered = heading.lower()
    found = [(lowered.index(s.word), s.key) for s in SECTIONS if s.key not in taken and s.word in lowered]
    return min(found)[1] if found else None


def parse(slug: str, text: str) -> Written:
    """Split a guide into title, introduction and sections (headings inside code fences are text)."""
    title: str | None = None
    intro: list[str] = []
    sections: dict[str, list[str]] = {}
    extra: list[tuple[str, list[str]]] = []
    current: list[str] = intro
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# ") and title is None and current is intro:
            title = line[2:].strip()
            continue
        elif not in_fence and line.startswith("## "):
            heading = line[3:].strip()
            key = _section_for(heading, set(sections))
            current = []
            if key:
                sections[key] = current
            else:
                extra.append((heading, current))
            continue
        current.append(line)
    return Written(slug, text, title, "\n".join(intro).strip(),
                   {k: "\n".join(v).strip() for k, v in sections.items()},
                   [(h, "\n".join(v).strip()) for h, v in extra])


def read(slug: str, directory: Path | None = None) -> Written | None:
    path = guide_path(slug, directory)
    return parse(slug, path.read_text(encoding="utf-8")) if path.exists() else None


def problems(written: Written | None, slug: str = "<slug>") -> list[str]:
    """Why the written part is not complete yet (empty: complete and publishable)."""
    if written is None:
        return [f"no written guide yet (docs/integrations/{slug}.md)"]
    found = []
    for s in SECTIONS:
        body = written.sections.get(s.key)
        if body is None:
            found.append(f"section “{s.title}” is missing")
        elif s.written and len("".join(body.split())) < MIN_CHARS:
            found.append(f"section “{s.title}” is not written yet (under {MIN_CHARS} characters)")
    marker = PLACEHOLDER.search(written.text)
    if marker:
        found.append(f"the guide still contains the placeholder “{marker.group(0)}”")
    return found
