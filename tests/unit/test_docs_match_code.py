"""The documents name what the code has: every kind of item with its key, every file and
function they point at, every index by its number and name, each access pattern once."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

from chalicelib.store import models, schema

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
DOCUMENTS = {p.name: p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}


def _kinds():
    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    kind = models.Item._get_discriminator_attribute()
    return [cls for cls in below(models.Item) if kind.get_discriminator(cls) is not None]


def _placeholders(text: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", text)


def _built_key(cls) -> tuple[str, str]:
    """The class's key with each argument a placeholder (numbers: a placeholder too)."""
    args = []
    for parameter in inspect.signature(cls.key).parameters.values():
        args.append(0 if parameter.annotation in (int, "int") else "{" + parameter.name + "}")
    pk, sk = cls.key(*args)
    return _placeholders(pk), _placeholders(re.sub(r"0{4,}", "{}", sk))


def _documented_keys() -> dict[str, tuple[str, str]]:
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| `([^`]+)` \|$", ARCHITECTURE, re.MULTILINE)
    return {name: (_placeholders(pk), _placeholders(sk)) for name, pk, sk in rows}


def test_every_kind_of_item_is_in_the_key_table_with_the_key_its_class_builds():
    documented = _documented_keys()
    built = {cls.__name__: _built_key(cls) for cls in _kinds()}
    assert set(documented) == set(built)
    assert {name: documented[name] for name in built} == built


def _paths() -> set[tuple[str, str]]:
    found = set()
    for name, text in DOCUMENTS.items():
        for path in re.findall(r"`((?:[\w.-]+/)*[\w.-]+\.(?:py|json|sh|txt|md))`", text):
            found.add((name, path))
    return found


@pytest.mark.parametrize("document,path", sorted(_paths()))
def test_every_file_a_document_names_exists(document, path):
    if path.startswith(("botocore/", "build/")):  # made by `make package`
        return
    candidates = [ROOT / path, ROOT / "chalicelib" / path]
    assert any(c.exists() for c in candidates) or "/" not in path and list(ROOT.rglob(path)), path


def _chalicelib_modules() -> dict[str, object]:
    modules = {}
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[dotted] = importlib.import_module(dotted)
    return modules


MODULES = _chalicelib_modules()
BY_BASENAME: dict[str, list] = {}
for _dotted, _module in MODULES.items():
    BY_BASENAME.setdefault(_dotted.rsplit(".", 1)[-1], []).append(_module)
CLASSES = {name: obj for module in MODULES.values() for name, obj in vars(module).items() if inspect.isclass(obj)}


def _module_of(prefix: str):
    """`domain/access`, `store.engine`, `config` or `engine`: the chalicelib module (or class)
    it names, if any."""
    dotted = prefix.replace("/", ".")
    if f"chalicelib.{dotted}" in MODULES:
        return MODULES[f"chalicelib.{dotted}"]
    if len(BY_BASENAME.get(dotted, [])) == 1:
        return BY_BASENAME[dotted][0]
    return CLASSES.get(prefix)


def _references() -> set[tuple[str, str, str]]:
    found = set()
    for name, text in DOCUMENTS.items():
        pattern = r"`((?:[a-z_]+/)*[A-Za-z_]+)\.([A-Za-z_][A-Za-z0-9_]*)(?:\([^`]*\))?`"
        for prefix, attribute in re.findall(pattern, text):
            if prefix in ("app",) or attribute in ("py", "json", "md", "txt", "sh", "pyc"):
                continue
            if _module_of(prefix) is not None:
                found.add((name, prefix, attribute))
    return found


def test_the_documents_name_functions_and_constants_at_all():
    assert ("architecture.md", "domain/balances", "EARLY_MARK") in _references()


@pytest.mark.parametrize("document,module,attribute", sorted(_references()))
def test_every_function_or_constant_a_document_names_exists(document, module, attribute):
    assert hasattr(_module_of(module), attribute), f"{module}.{attribute}"


def test_every_index_is_named_by_its_number_and_its_name():
    definition = schema.table_definition("t")
    names = {f"GSI{n}": i["IndexName"] for n, i in enumerate(definition["GlobalSecondaryIndexes"], 1)}
    names |= {f"LSI{n}": i["IndexName"] for n, i in enumerate(definition["LocalSecondaryIndexes"], 1)}
    pairs = re.findall(r"\b((?:GSI|LSI)\d) `(\w+)`", ARCHITECTURE)
    assert pairs
    for number, name in pairs:
        assert names.get(number) == name, f"{number} `{name}`: the schema's {number} is {names.get(number)}"


def test_each_access_pattern_has_its_own_number_and_its_own_key():
    rows = []
    for line in ARCHITECTURE.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if re.fullmatch(r"\d+", cells[0]) and len(cells) >= 4:
            rows.append((cells[0], cells[1], cells[2], " | ".join(cells[3:])))
    numbers = [int(r[0]) for r in rows]
    assert numbers == list(range(1, len(numbers) + 1))
    live = [r for r in rows if not r[1].startswith("(gone")]
    keys = [(r[2], r[3]) for r in live if r[3] not in ("", "as above")]
    repeated = {k for k in keys if keys.count(k) > 1}
    assert not repeated, repeated
