"""The layers keep to their jobs: services speak the school's language and never touch
PynamoDB or the item types; the domain is pure; only the store talks to DynamoDB."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "chalicelib"


def imported_modules(path: Path, package: tuple[str, ...] | None = None) -> set[str]:
    """Every module a file imports, relative imports resolved against its package."""
    package = package or path.relative_to(ROOT.parent).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.py"))


@pytest.mark.parametrize("path", _files("services"), ids=lambda p: p.name)
def test_a_service_imports_neither_pynamodb_nor_the_item_types(path):
    bad = {
        m
        for m in imported_modules(path)
        if m.split(".")[0] in ("pynamodb", "boto3", "botocore") or m.startswith("chalicelib.store.models")
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("domain"), ids=lambda p: p.name)
def test_the_domain_is_pure(path):
    bad = {
        m
        for m in imported_modules(path)
        if m.split(".")[0] in ("pynamodb", "boto3", "botocore", "chalice")
        or m.startswith(("chalicelib.store", "chalicelib.services", "chalicelib.api"))
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("api"), ids=lambda p: p.name)
def test_routes_reach_the_store_only_through_the_unit_of_work(path):
    bad = {
        m
        for m in imported_modules(path)
        if m.split(".")[0] in ("pynamodb", "boto3", "botocore") or m.startswith("chalicelib.store.models")
    }
    assert bad == set()


def test_the_check_sees_an_import_of_the_item_types(tmp_path):
    """The rule above would catch a service that reached for the items."""
    fake = tmp_path / "probe.py"
    fake.write_text(
        "from ..store.models import Mark\nfrom ..store import models\nfrom pynamodb.attributes import NumberAttribute\n"
    )
    found = imported_modules(fake, package=("chalicelib", "services"))
    assert {"chalicelib.store.models.Mark", "chalicelib.store.models", "pynamodb.attributes"} <= found


def test_only_the_store_builds_keys():
    """No partition or sort key literal (`C#...`, `SESSION#...`) outside chalicelib/store."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        if "store" in path.relative_to(ROOT).parts:
            continue
        text = path.read_text()
        if any(token in text for token in ('f"C#', "'C#", '"C#', "SESSION#", "LEDGER#", "ENR#", "#S#")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


LONG = 400


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_over_400_lines_says_why_in_its_docstring(path):
    lines = path.read_text().count("\n")
    if lines <= LONG:
        return
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "long because" in doc or "on purpose" in doc, f"{path.name}: {lines} lines and no reason given"
