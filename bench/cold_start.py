"""Cold-start import time of app.py against a bare `import chalice, boto3`, each in fresh
processes, interleaved, as the prod stage would import it; and the Lambda package sizes
when `make package` has been run.

    .venv/bin/python bench/cold_start.py [--runs 15]
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import table

from infra.generate import stage_environment

ROOT = Path(__file__).resolve().parents[1]
PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def one(stmt: str) -> float:
    # The prod stage's environment, as Lambda sets it from .chalice/config.json.
    env = {**os.environ, **stage_environment("prod")}
    out = subprocess.run([sys.executable, "-c", PROBE.format(stmt=stmt)], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    one("import app")  # warm the bytecode caches, as a deployed package has them
    base, app = [], []
    for _ in range(args.runs):
        base.append(one("import chalice, boto3"))
        app.append(one("import app"))
    b, a = statistics.median(base) * 1000, statistics.median(app) * 1000
    rows = [["runs (interleaved, fresh processes)", args.runs],
            ["median import chalice, boto3 (ms)", f"{b:.0f}"],
            ["median import app (ms)", f"{a:.0f}"],
            ["ratio app / bare (goal <= 1.5)", f"{a / b:.2f}"]]
    package = ROOT / "build" / "package"
    for name in ("deployment.zip", "layer-deployment.zip"):
        if (package / name).exists():
            rows.append([f"{name} (MB)", f"{(package / name).stat().st_size / 1e6:.2f}"])
    print(table(rows, ["cold start", "value"]))


if __name__ == "__main__":
    main()
