"""A 10,000-row import on the `make run` stack: the upload, the dry run and the commit,
with their times and the DynamoDB requests of the background steps.

    .venv/bin/python bench/imports.py [--rows 10000]

Starts `make run` on free ports (as the e2e tests do), sets up a school with ten groups of
1,000 seats over HTTP, uploads a CSV of `--rows` students (each with an opening package,
most with an expiry), and polls `GET /imports/{id}` until the dry run and then the commit
are done. Requests are counted from the stack's own log: the import routes' request lines
and the stream steps' lines (`stream_batch` with `import_steps`), which carry each one's
DynamoDB calls.
"""

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.e2e.conftest import running_stack  # noqa: E402
from tests.support import token  # noqa: E402


def log_lines(path: str, start: int) -> list[dict]:
    out = []
    with open(path) as f:
        for line in f.read()[start:].splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        cid = f"imp{uuid.uuid4().hex[:10]}"
        admin = {"Authorization": f"Bearer {token(cid, 'admin', 'bench-admin')}"}
        base = stack.base
        assert (
            requests.put(
                f"{base}/company", json={"name": "Import bench", "timezone": "Europe/Berlin"}, headers=admin, timeout=30
            ).status_code
            == 200
        )
        teacher = requests.post(
            f"{base}/staff",
            json={"name": "T", "email": "t@bench.example", "role": "teacher"},
            headers=admin,
            timeout=30,
        ).json()["id"]
        groups = max(1, (args.rows + 999) // 1000)
        for g in range(groups):
            made = requests.post(
                f"{base}/schedules",
                json={"name": f"Group {g}", "kind": "group", "capacity": 1000, "teacher_id": teacher},
                headers=admin,
                timeout=30,
            )
            assert made.status_code == 201, made.text
        lines = ["name,email,schedule,sessions,expires_on"]
        for i in range(args.rows):
            expiry = f"2031-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 4 else ""
            lines.append(f"Student {i},student{i}@bench.example,Group {i % groups},{1 + i % 20},{expiry}")
        body = ("\n".join(lines) + "\n").encode()
        mark = len(stack.output())
        started = time.perf_counter()
        answer = requests.post(
            f"{base}/imports?name=bench.csv", data=body, headers={**admin, "Content-Type": "text/csv"}, timeout=120
        )
        assert answer.status_code == 202, answer.text
        upload_s = time.perf_counter() - started
        import_id = answer.json()["id"]

        def wait(final: str) -> tuple[dict, float]:
            t0 = time.perf_counter()
            while True:
                got = requests.get(f"{base}/imports/{import_id}", headers=admin, timeout=30).json()
                if got["status"] in (final, "failed"):
                    return got, time.perf_counter() - t0
                time.sleep(0.5)

        validated, dry_s = wait("validated")
        dry_log = log_lines(stack.output_path, mark)
        mark = len(stack.output())
        assert requests.post(f"{base}/imports/{import_id}/commit", headers=admin, timeout=30).status_code == 202
        committed, commit_s = wait("committed")
        commit_log = log_lines(stack.output_path, mark)

    def calls(entries: list[dict]) -> tuple[int, int]:
        steps = [e for e in entries if e.get("kind") == "stream_batch" and e.get("import_steps")]
        return len(steps), sum(e.get("dynamodb_calls", 0) for e in steps)

    upload_calls = next(
        (e["dynamodb_calls"] for e in dry_log if e.get("kind") == "request" and e.get("route") == "/imports"), 0
    )
    dry_steps, dry_calls = calls(dry_log)
    commit_steps, commit_calls = calls(commit_log)
    outcome = (
        f"{validated['ready']} ready, {validated['duplicate']} duplicate, "
        f"{validated['needs_information']} need information, {validated['error']} errors"
    )
    print("| stage | rows | outcome | seconds | background steps | DynamoDB requests |")
    print("|---|---|---|---|---|---|")
    print(f"| upload ({len(body):,} bytes) | {validated['rows']} | 202 | {upload_s:.1f} | 0 | {upload_calls} |")
    print(f"| dry run | {validated['rows']} | {outcome} | {dry_s:.1f} | {dry_steps} | {dry_calls} |")
    committed_text = f"{committed['status']}, {committed['failed']} failed"
    print(f"| commit | {committed['applied']} | {committed_text} | {commit_s:.1f} | {commit_steps} | {commit_calls} |")
    return 0 if committed["status"] == "committed" and committed["applied"] == args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
