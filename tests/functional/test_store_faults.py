"""Throttling, transaction conflicts and timeouts: retried a bounded number of times, then
answered 503 with Retry-After, with nothing half written.

The bound (docs/architecture.md, "Retries"): a step runs at most 8 times, at most 3 of them
after transient errors, and sends its transaction at most 3 times per run (resends only
while the outcome is unknown)."""

import pytest

from chalicelib import config
from tests.faults import conflict, inject, throttling, timeout
from tests.support import ledger_sum_matches, table_items


@pytest.fixture(autouse=True)
def cold_logins(monkeypatch):
    """Every request reads its caller's login, as in a container that has not seen it yet
    (the counts below include that read; store/logins.py remembers it otherwise)."""
    monkeypatch.setattr(config, "caller_cache_seconds", lambda: 0)


@pytest.fixture
def enrollment(world):
    schedule = world.staff.post(
        "/schedules", {"name": "Piano", "kind": "one_to_one", "teacher_id": world.ids["teacher_id"]}
    ).body
    return world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": world.ids["student_id"], "initial_balance": 10, "responsible_staff_id": world.ids["staff_id"]},
    ).body


@pytest.mark.parametrize("make_error", [throttling, conflict, timeout], ids=["throttling", "conflict", "timeout"])
def test_a_transient_failure_of_the_transaction_is_retried_and_applied_once(world, enrollment, make_error):
    with inject(make_error, fail_at=[1], operations=["TransactWriteItems"]) as injector:
        answer = world.staff.post(f"/enrollments/{enrollment['id']}/top-ups", {"sessions": 2})
    assert injector.failed == 1
    assert answer.status == 200 and answer.body["balance"] == 12
    ledger = world.staff.get(f"/enrollments/{enrollment['id']}/ledger").body["items"]
    assert [e["delta"] for e in ledger] == [10, 2]


# (kind of lasting failure, sends of the transaction, requests in all): the top-up reads its
# enrollment (one GetItem) and sends one transaction per run. Issue 12: before the use case
# runs, the route resolves the caller from their record, one GetItem of the login's user ref
# (the top-up does not fold it into its own read), made once per request and not per run of
# the step: hence the leading 1 + in every count.
LOGIN = 1
BOUNDS = {
    "throttling": (throttling, 3, LOGIN + 3 * (1 + 1)),  # 3 runs after transient errors, one send each
    "conflict": (conflict, 8, LOGIN + 8 * (1 + 1)),  # 8 runs; a conflict is not the store struggling
    "timeout": (timeout, 3, LOGIN + 1 + 3),  # one run: the same transaction resent while its outcome is unknown
}


@pytest.mark.parametrize("kind", BOUNDS)
def test_lasting_failures_answer_503_with_retry_after_within_the_stated_bound_and_write_nothing(
    world, enrollment, kind
):
    make_error, sends, requests = BOUNDS[kind]
    before = table_items()
    with inject(make_error, fail_at=range(1, 100), operations=["TransactWriteItems"]) as injector:
        answer = world.staff.post(f"/enrollments/{enrollment['id']}/top-ups", {"sessions": 2})
    assert answer.status == 503 and answer.error_code == "store_unavailable"
    assert answer.headers["retry-after"] == "1"
    assert injector.failed == sends
    assert len(injector.all_calls) == requests, injector.all_calls
    assert table_items() == before


@pytest.mark.parametrize("nth", [1, 2], ids=["login", "enrollment"])
def test_a_throttled_read_is_retried_too(world, enrollment, nth):
    # Issue 12: the GET reads the caller's user ref (GetItem 1), then the enrollment (GetItem 2);
    # a throttled read of either is retried.
    with inject(throttling, fail_at=[nth], operations=["GetItem"]) as injector:
        answer = world.staff.get(f"/enrollments/{enrollment['id']}")
    assert injector.failed == 1 and injector.all_calls == ["GetItem"] * 3
    assert answer.status == 200 and answer.body["balance"] == 10


def test_every_single_failure_point_of_a_top_up_leaves_balance_equal_to_ledger(world, enrollment):
    # A top-up with an Idempotency-Key makes four requests (issue 12 added the first): the
    # caller's user ref, the idempotency lookup, the enrollment (GetItems), the transaction.
    for k in range(1, 5):
        with inject(throttling, fail_at=[k]):
            answer = world.staff.post(
                f"/enrollments/{enrollment['id']}/top-ups", {"sessions": 1}, headers={"Idempotency-Key": f"fault-{k}"}
            )
        assert answer.status == 200
        assert ledger_sum_matches(table_items()) == []
    assert world.staff.get(f"/enrollments/{enrollment['id']}").body["balance"] == 14


def test_health_reports_503_when_the_store_does_not_answer(client):
    from tests.functional.helpers import Api

    with inject(throttling, fail_at=range(1, 50)):
        answer = Api(client, None).get("/health")
    assert answer.status == 503 and answer.body == {"status": "unavailable"}
