"""Put compiled bytecode into the Lambda packages `chalice package` wrote, and keep only the
AWS service models the app uses.

    python tools/compile_package.py build/package

Lambda's code folders (/var/task, /opt) are read-only, so a package without `.pyc` files
compiles every module it imports on every cold start. Each zip is unpacked, compiled with
unchecked-hash invalidation (the runtime trusts the `.pyc` without comparing it to the
source's timestamp, which zips do not keep faithfully) and packed again with the same
entries plus their `__pycache__`. The bytecode is only usable by the same Python minor
version as the function's runtime: the build refuses to compile with another one.

botocore ships the models of some 450 services (28 MB); creating any client lists them all
and a cold start pays for it. The layer keeps only the services the app makes clients for
(`SERVICES`; tests/e2e/test_package.py checks the code names no other). Creating a client
also parses `endpoints.json` (1.2 MB, every service in every partition) and the service's
model with its documentation (0.55 MB for DynamoDB): the layer keeps the endpoints of those
services only, and their models without documentation strings, minified and uncompressed
(botocore looks for `.json` before `.json.gz`). What botocore resolves from them is the
same; a cold start parses about a tenth of the JSON.
"""

import compileall
import gzip
import json
import py_compile
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ZIPS = (("deployment.zip", "/var/task"), ("layer-deployment.zip", "/opt"))  # where Lambda unpacks each
SERVICES = frozenset({"dynamodb", "dynamodbstreams", "kms", "ses"})
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # as chalice writes its zips: the same input, the same bytes


def runtime_of(package: Path) -> str | None:
    template = json.loads((package / "sam.json").read_text())
    for resource in template.get("Resources", {}).values():
        runtime = resource.get("Properties", {}).get("Runtime")
        if runtime:
            return runtime
    return None


def prune_service_models(root: Path) -> list[str]:
    """Remove botocore's models of services the app never calls; returns what was removed."""
    removed = []
    for data in root.glob("python/lib/python3.*/site-packages/botocore/data"):
        for service in data.iterdir():
            if service.is_dir() and service.name not in SERVICES:
                shutil.rmtree(service)
                removed.append(service.name)
    return removed


def endpoint_prefixes(data: Path) -> set[str]:
    """The endpoint names of the kept services (`ses` is `email`, `dynamodbstreams` is
    `streams.dynamodb`), read from their own models."""
    prefixes = set()
    for service in SERVICES:
        for model in (data / service).glob("*/service-2.json*"):
            prefixes.add(_load(model)["metadata"]["endpointPrefix"])
    return prefixes


def _load(path: Path) -> dict:
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)


def _without_documentation(node):
    """Documentation strings dropped; a member that happens to be named `documentation` is a
    shape (a dict) and stays."""
    if isinstance(node, dict):
        return {
            k: _without_documentation(v)
            for k, v in node.items()
            if not (k in ("documentation", "documentationUrl") and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_without_documentation(v) for v in node]
    return node


def _minified(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def trim_service_data(root: Path) -> None:
    """endpoints.json narrowed to the kept services; their models minified, undocumented."""
    for data in root.glob("python/lib/python3.*/site-packages/botocore/data"):
        prefixes = endpoint_prefixes(data)
        endpoints = json.loads((data / "endpoints.json").read_bytes())
        for partition in endpoints["partitions"]:
            partition["services"] = {name: spec for name, spec in partition["services"].items() if name in prefixes}
        (data / "endpoints.json").write_bytes(_minified(endpoints))
        for service in SERVICES:
            for model in list((data / service).glob("*/service-2.json.gz")):
                plain = model.with_suffix("")  # service-2.json
                plain.write_bytes(_minified(_without_documentation(_load(model))))
                model.unlink()


def compile_zip(path: Path, runs_at: str) -> tuple[int, int]:
    """Add bytecode for every module in the zip (named as Lambda will find them, under
    `runs_at`, so the same input gives the same bytes); returns (sources, compiled)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            archive.extractall(root)
        prune_service_models(root)
        trim_service_data(root)
        sources = [p for p in root.rglob("*.py")]
        compileall.compile_dir(
            root,
            quiet=2,
            workers=0,
            legacy=False,
            stripdir=str(root),
            prependdir=runs_at,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        compiled = sorted(p for p in root.rglob("*.pyc") if "__pycache__" in p.parts)
        modes = {info.filename: info.external_attr for info in infos}
        rebuilt = path.with_suffix(".tmp")
        with zipfile.ZipFile(rebuilt, "w", compression=zipfile.ZIP_DEFLATED) as out:
            names = [info.filename for info in infos if (root / info.filename).exists()]
            for model in sorted(root.glob("python/lib/python3.*/site-packages/botocore/data/*/*/service-2.json")):
                names.append(str(model.relative_to(root)))  # written in place of its .json.gz
            names += [name for name in (str(p.relative_to(root)) for p in compiled) if name not in modes]
            for name in names:
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.external_attr = modes.get(name, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                if name.endswith("/"):
                    out.writestr(info, b"")
                else:
                    out.writestr(info, (root / name).read_bytes())
        shutil.move(rebuilt, path)
        return len(sources), len(compiled)


def main(argv: list[str]) -> int:
    package = Path(argv[1] if len(argv) > 1 else "build/package")
    runtime = runtime_of(package)
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != here:
        print(f"refusing to compile: the functions run {runtime}, this build runs {here}", file=sys.stderr)
        return 1
    for name, runs_at in ZIPS:
        sources, compiled = compile_zip(package / name, runs_at)
        print(f"{name}: {compiled} .pyc for {sources} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
