"""A provider is one folder: its slug appears only in the catalog and in services/providers/<slug>/.

Generic code asks the provider registry (services/catalog/providers.py) for a provider's hooks; a provider
slug written as a string literal, or compared against, anywhere else in the application means a branch
that belongs in that provider's folder.
"""

from __future__ import annotations

import ast
from pathlib import Path

from services.catalog import load_catalog
from services.catalog.providers import folder_name, folders

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = (ROOT / "services" / "catalog", ROOT / "services" / "providers")


def _application_files() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py")), *sorted((ROOT / "db").rglob("*.py")),
             *sorted((ROOT / "services").rglob("*.py"))]
    return [f for f in files if not any(f.is_relative_to(a) for a in ALLOWED)]


def slug_literals(source: str, slugs: frozenset[str]) -> list[tuple[int, str]]:
    """(line, slug) of every string constant that is exactly a provider slug (docstrings excluded)."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in slugs
            and id(node) not in docstrings]


def test_the_scanner_finds_a_slug_literal_and_a_branch_on_one() -> None:
    slugs = frozenset({"acme-crm"})
    source = 'X = ("acme-crm",)\ndef f(s):\n    """acme-crm"""\n    if s == "acme-crm":\n        return 1\n'
    assert slug_literals(source, slugs) == [(1, "acme-crm"), (4, "acme-crm")]


def test_no_provider_slug_outside_the_catalog_and_the_provider_folders() -> None:
    slugs = frozenset(load_catalog().integrations)
    found = [f"{path.relative_to(ROOT)}:{line}: {slug!r}" for path in _application_files()
             for line, slug in slug_literals(path.read_text(), slugs)]
    assert found == [], "provider slugs belong in services/providers/<slug>/:\n" + "\n".join(found)


def test_every_provider_folder_is_a_catalog_integration_named_after_its_slug() -> None:
    catalog = load_catalog().integrations
    assert folders(), "no provider folders were found"
    for slug, package in folders().items():
        assert slug in catalog, f"{package.__name__} claims {slug!r}, which the catalog lacks"
        assert package.__name__.rsplit(".", 1)[1] == folder_name(slug)
