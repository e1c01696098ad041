"""Shared set-up for the benchmarks: an in-process app on moto, tokens, and a counter of
DynamoDB calls and items read taken at the botocore level (independent of the app's own
instrumentation)."""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SECRET = "bench-secret-bench-secret-bench-secret"
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "OPTCLASS_STAGE": "local",
        "OPTCLASS_DEV_JWT_SECRET": SECRET,
        "OPTCLASS_TABLE": "optclass-bench",
        "OPTCLASS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
)
os.environ.pop("OPTCLASS_DYNAMODB_ENDPOINT", None)

import logging  # noqa: E402

import jwt  # noqa: E402
import moto  # noqa: E402,F401

from tools.embedded_dynamodb import make_serializable  # noqa: E402

make_serializable()
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def counting():
    """The tests' botocore-level counter: calls and items read, independent of the app's own."""
    from tests.support import count_dynamodb

    return count_dynamodb()


def token(company_id: str, role: str, sub: str) -> str:
    now = int(time.time())
    return jwt.encode(
        {"sub": sub, "company_id": company_id, "role": role, "iat": now, "exp": now + 3600}, SECRET, algorithm="HS256"
    )


class Http:
    """JSON calls through chalice's test client."""

    def __init__(self, client, tok):
        self.client, self.tok = client, tok

    def call(self, method, path, body=None, headers=None):
        h = {"Authorization": f"Bearer {self.tok}", "Content-Type": "application/json", **(headers or {})}
        r = getattr(self.client.http, method.lower())(path, headers=h, body=json.dumps(body) if body else None)
        return r.status_code, (json.loads(r.body) if r.body else None)


def table(rows: list[list], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


def ops(calls: list[str]) -> str:
    """`BatchGetItem x11, TransactWriteItems x10`: each operation with its count, in first-use order."""
    counts: dict[str, int] = {}
    for call in calls:
        counts[call] = counts.get(call, 0) + 1
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.items())
