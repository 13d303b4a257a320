"""One guide as Markdown: the written file with the generated parts merged in, in the seed's order."""

from __future__ import annotations

from pathlib import Path

from services.catalog import IntegrationSpec, load_catalog
from services.guides import generated
from services.guides.written import SECTIONS, Written, read

NOT_WRITTEN = "_Not written yet._"
FOOTER = ("_The tables in this guide are generated from the Layers integration catalog each time the guide "
          "is shown, so they match what the integration does today._")


def _generated(key: str, spec: IntegrationSpec) -> str | None:
    part = {"connect": generated.connect_part, "actions": generated.actions_part,
            "troubleshooting": generated.troubleshooting_part}.get(key)
    return part(spec) if part else None


def render_written(slug: str, written: Written | None) -> str:
    """Merge a (possibly missing) written part with the generated parts of the catalog entry `slug`."""
    catalog = load_catalog()
    spec = catalog.get(slug)
    parts = [f"# {spec.name}"]
    if written is not None and written.intro:
        parts.append(written.intro)
    parts.append(generated.at_a_glance(spec, catalog.categories.get(spec.category, spec.category)))
    for section in SECTIONS:
        body = (written.sections.get(section.key) if written else None) or ""
        extra = _generated(section.key, spec)
        parts.append(f"## {section.title}")
        parts.append(body or (NOT_WRITTEN if section.written or extra is None else ""))
        if extra:
            parts.append(extra)
    for heading, body in written.extra if written else []:
        parts += [f"## {heading}", body]
    parts += ["---", FOOTER]
    return "\n\n".join(p for p in parts if p) + "\n"


def render(slug: str, directory: Path | None = None) -> str:
    """The guide of `slug` as Markdown (docs/integrations/<slug>.md + the catalog, merged now)."""
    return render_written(slug, read(slug, directory))


def demote(markdown: str, levels: int = 1) -> str:
    """Headings `levels` deeper (outside code fences), to show a guide inside a page that has its own title."""
    out, fence = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        out.append("#" * levels + line if not fence and line.startswith("#") else line)
    return "\n".join(out) + "\n"
