"""The balance/ledger transaction against the store itself."""

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataclasses import replace

from chalicelib import clock
from chalicelib.domain import lots
from chalicelib.errors import InsufficientBalance
from chalicelib.services import enrollments
from chalicelib.store.unit_of_work import ConditionFailed, UnitOfWork
from tests.support import ledger_sum_matches, reading, table_items


def _ledger(actor, eid):
    return reading(lambda: enrollments.ledger_of(actor, eid, 200, None)).items


def _enrollment(actor, eid):
    return reading(lambda: enrollments.get_enrollment(actor, eid))


def test_a_stale_version_cannot_commit(school):
    actor, eid = school["actor"], school["enrollment_id"]
    stale = _enrollment(actor, eid)
    enrollments.top_up(actor, eid, sessions=1, note=None)
    uow = UnitOfWork(actor.company_id)
    now = clock.now_iso()
    uow.move_balance(stale, enrollments.plan_correction(stale, 3, now, "test"), floor=0, actor="test", at=now)
    with pytest.raises(ConditionFailed) as failed:
        uow.commit()
    assert failed.value.failed_at(0)  # the enrollment's version
    assert _enrollment(actor, eid).balance == 6
    assert ledger_sum_matches(table_items()) == []


def test_the_store_refuses_to_cross_the_floor_even_if_the_rule_in_python_is_skipped(school):
    actor, eid = school["actor"], school["enrollment_id"]
    current = _enrollment(actor, eid)
    uow = UnitOfWork(actor.company_id)
    # Pretend the balance were 10, so the rules in Python let a change of -6 pass.
    plan = lots.Plan(current.packages, 0, (lots.Move(-6, "adjustment", "L1"),))
    uow.move_balance(replace(current, balance=10), plan, floor=0, actor="test", at=clock.now_iso())
    with pytest.raises(ConditionFailed) as failed:
        uow.commit()
    assert failed.value.failed_at(0)
    assert _enrollment(actor, eid).balance == 5
    assert len(_ledger(actor, eid)) == 1


def test_concurrent_top_ups_in_threads_all_land(school):
    actor, eid = school["actor"], school["enrollment_id"]
    errors = []

    def one():
        try:
            enrollments.top_up(actor, eid, sessions=1, note=None)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entries = _ledger(actor, eid)
    assert _enrollment(actor, eid).balance == 17 == sum(e.delta for e in entries)
    assert [e.seq for e in entries] == list(range(1, 14))


changes = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(1, 5)),
        st.tuples(st.just("adjust"), st.integers(-6, 6).filter(lambda d: d != 0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=changes)
def test_any_sequence_of_changes_keeps_balance_equal_to_ledger_and_never_below_zero(school, steps):
    actor = school["actor"]
    # Each example enrolls a student of its own in a 1:1 schedule of its own: a 1:1 schedule
    # holds one active student (issue 12), and the school's own is taken by its student.
    made = enrollments.enroll(
        actor,
        _fresh_schedule(actor, school["teacher"].staff_id),
        student_id=_fresh_student(actor),
        initial_balance=2,
        responsible_staff_id=school["staff"].staff_id,
        low_balance_threshold=None,
    )
    eid = made.enrollment_id
    expected = 2
    for kind, amount in steps:
        try:
            if kind == "top_up":
                enrollments.top_up(actor, eid, sessions=amount, note=None)
            else:
                enrollments.adjust(actor, eid, delta=amount, reason="r")
            expected += amount
        except InsufficientBalance:
            assert expected + amount < 0
        balance = _enrollment(actor, eid).balance
        entries = _ledger(actor, eid)
        assert balance == expected == sum(e.delta for e in entries) >= 0
        assert entries[-1].balance_after == balance


def _fresh_schedule(actor, teacher_id):
    from chalicelib.services import schedules

    return schedules.create_schedule(
        actor,
        name="Harp",
        kind="one_to_one",
        teacher_id=teacher_id,
        capacity=None,
        timezone="UTC",
        recurrence=None,
        policy=None,
        low_balance_threshold=None,
    ).schedule_id


def _fresh_student(actor):
    from chalicelib.services import people

    return people.create_student(actor, name="H", email="h@x.example", user_id=None).student_id
