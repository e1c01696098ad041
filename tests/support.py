"""Helpers shared by the test suites: tokens and small builders."""

import uuid


DEV_SECRET = "test-dev-secret-with-enough-length-0123456789"


def token(
    company_id: str, role: str, sub: str | None = None, *, secret: str = DEV_SECRET, expires_in: int = 3600, **extra
) -> str:
    from chalicelib.api.auth import local_token

    return local_token(
        company_id, sub or f"user-{uuid.uuid4().hex[:12]}", role, secret=secret, expires_in=expires_in, **extra
    )


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}


def new_company_id() -> str:
    return f"co{uuid.uuid4().hex[:16]}"


def table_items() -> list[dict]:
    """Every item in the test table, in a stable order (tests only: a Scan is fine here)."""
    from chalicelib import config
    from chalicelib.store import engine

    client = engine.boto_client()
    items, kwargs = [], {"TableName": config.table_name(), "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def ledger_sum_matches(items: list[dict]) -> list[str]:
    """Enrollments whose balance differs from the sum of their ledger deltas (should be none)."""
    balances, sums = {}, {}
    for item in items:
        kind = item.get("type", {}).get("S")
        if kind == "enrollment":
            balances[(item["PK"]["S"], item["student_id"]["S"])] = int(item["balance"]["N"])
        elif kind == "ledger":
            key = (item["PK"]["S"], item["student_id"]["S"])
            sums[key] = sums.get(key, 0) + int(item["delta"]["N"])
    return [f"{k}: balance {b} != ledger {sums.get(k, 0)}" for k, b in balances.items() if sums.get(k, 0) != b]


class DynamoCounter:
    """DynamoDB calls and items read, counted at the botocore level (tests and benchmarks)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.calls, self.items_read = [], 0
        self.transaction_items: list[int] = []  # actions of each TransactWriteItems sent


def count_dynamodb():
    """Count DynamoDB calls and items read at the botocore level: every client's, not only
    those the app instruments, with the app's own rule of what an answer read."""
    import contextlib
    from unittest import mock

    from botocore.client import BaseClient

    from chalicelib.store import engine

    real = BaseClient._make_api_call
    counter = DynamoCounter()

    def patched(client, operation, params):
        response = real(client, operation, params)
        if client.meta.service_model.service_name == "dynamodb":
            counter.calls.append(operation)
            if operation == "TransactWriteItems":
                counter.transaction_items.append(len(params["TransactItems"]))
            counter.items_read += engine.items_read(operation, response)
        return response

    @contextlib.contextmanager
    def ctx():
        with mock.patch.object(BaseClient, "_make_api_call", patched):
            yield counter

    return ctx()


def reading(fn):
    """Call a read use case (or store read) the way a GET route does: in a unit of work."""
    from chalicelib.store import unit_of_work

    return unit_of_work.reading(fn, company_id=None)


def hours_from_now(hours: float) -> str:
    """An ISO instant `hours` from now (negative: in the past). Attendance is recorded once a
    session has started; a cancellation's time lies between the enrollment's start and now."""
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()
