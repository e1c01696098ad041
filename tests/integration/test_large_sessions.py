"""A group larger than any one transaction can hold: moving, substituting and
school-cancelling a session with its 200 marks works in bounded steps (no transaction over
DynamoDB's 100 actions: three steps of marks, seven of students), and a repeat, or the daily
job, finishes what an interrupted request left."""

from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from botocore.client import BaseClient

from chalicelib import clock, jobs
from chalicelib.errors import StoreUnavailable
from chalicelib.services import attendance, enrollments, people, schedules, sessions
from chalicelib.services.context import Actor
from tests.faults import inject, throttling
from tests.invariants import check_invariants
from tests.support import new_company_id, table_items

# More marks than two steps of a move hold (90 each) and than six of a school cancellation
# (30 students each): every path takes several steps and ends with a part-filled one.
STUDENTS = 2 * sessions.MARKS_PER_STEP + 20
pytestmark = pytest.mark.xdist_group("large-sessions")  # the class is built once, in one process
# The class has met (attendance is taken once a session has started; the app's clock is the
# real one): it started three days ago.
START = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)


_built: dict = {}


@pytest.fixture
def big_class(store):
    """Made through the services once; later tests start from a copy of the same items."""
    if _built:
        restore(_built["items"])
        return _built["ids"]
    ids = _build()
    _built.update(ids=ids, items=check_invariants())  # what the stream derives included
    return ids


def restore(items: list[dict]) -> None:
    from tests.integration.test_fault_injection import restore as restore_table

    restore_table(items, recount=False)


def _build() -> dict:
    actor = Actor(new_company_id(), "admin-sub", "admin")
    staff = people.create_staff(actor, name="Sam", email="sam@x.example", role="staff", user_id=None)
    teacher = people.create_staff(actor, name="Tia", email="tia@x.example", role="teacher", user_id=None)
    other = people.create_staff(actor, name="Omar", email="omar@x.example", role="teacher", user_id=None)
    schedule = schedules.create_schedule(
        actor,
        name="Orchestra",
        kind="group",
        teacher_id=teacher.staff_id,
        capacity=STUDENTS,
        timezone="UTC",
        recurrence=None,
        policy=None,
        low_balance_threshold=None,
    )
    session = sessions.create_one_off(
        actor,
        schedule.schedule_id,
        starts_at=START,
        ends_at=None,
        duration_minutes=90,
        teacher_id=None,
        student_id=None,
    )
    students = []
    for i in range(STUDENTS):
        student = people.create_student(actor, name=f"Player {i}", email=f"p{i}@x.example", user_id=None)
        enrollments.enroll(
            actor,
            schedule.schedule_id,
            student_id=student.student_id,
            initial_balance=4,
            responsible_staff_id=staff.staff_id,
            low_balance_threshold=None,
        )
        students.append(student.student_id)
    marked = attendance.record_many(
        actor, session.session_id, [(s, attendance.MarkRequest(status="attended")) for s in students]
    )
    assert all(o.error is None for o in marked.outcomes)
    return {"actor": actor, "session": session, "students": students, "other": other}


class TransactionSizes:
    """The number of actions of every TransactWriteItems sent."""

    def __init__(self):
        self.sizes: list[int] = []
        self._real = BaseClient._make_api_call

    def __enter__(self):
        def spy(client, operation, params):
            if operation == "TransactWriteItems":
                self.sizes.append(len(params["TransactItems"]))
            return self._real(client, operation, params)

        self._patch = mock.patch.object(BaseClient, "_make_api_call", spy)
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()


def _of(items, kind):
    return [i for i in items if i.get("type", {}).get("S") == kind]


def test_moving_a_session_of_200_marks_moves_every_mark_in_bounded_steps(big_class):
    actor, session = big_class["actor"], big_class["session"]
    later = START + timedelta(days=2, hours=1)
    with TransactionSizes() as sent:
        moved = sessions.update_session(actor, session.session_id, {"starts_at": later}, None)
    assert moved.starts_at == clock.iso(later) and moved.marks_pending is False
    assert max(sent.sizes) <= 100 and len(sent.sizes) >= 4  # the session, then the marks in steps
    items = check_invariants()
    marks = _of(items, "mark")
    assert len(marks) == STUDENTS and {m["starts_at"]["S"] for m in marks} == {clock.iso(later)}
    [stored] = _of(items, "session")
    assert stored["starts_at"]["S"] == clock.iso(later) and "GSI4PK" not in stored


def test_a_substitute_for_200_marks_reaches_every_mark(big_class):
    actor, session, other = big_class["actor"], big_class["session"], big_class["other"]
    with TransactionSizes() as sent:
        sessions.update_session(actor, session.session_id, {"teacher_id": other.staff_id}, None)
    assert max(sent.sizes) <= 100
    marks = _of(check_invariants(), "mark")
    assert {(m["teacher_id"]["S"], m["teacher_name"]["S"]) for m in marks} == {(other.staff_id, "Omar")}


def test_an_interrupted_move_is_finished_by_a_repeat_and_by_the_daily_job(big_class):
    actor, session = big_class["actor"], big_class["session"]
    later = START + timedelta(days=1)
    # The session moves and two steps of marks follow; then the store stays down.
    with inject(throttling, fail_at=range(4, 400), operations=["TransactWriteItems"]):
        with pytest.raises(StoreUnavailable):
            sessions.update_session(actor, session.session_id, {"starts_at": later}, None)
    items = table_items()
    [stored] = _of(items, "session")
    assert stored["starts_at"]["S"] == clock.iso(later) and stored["marks_pending"]["BOOL"] is True
    stale = [m for m in _of(items, "mark") if m["starts_at"]["S"] != clock.iso(later)]
    assert 0 < len(stale) < STUDENTS  # part of the marks moved, part not yet
    again = sessions.update_session(actor, session.session_id, {"starts_at": later}, None)
    assert again.marks_pending is False
    assert {m["starts_at"]["S"] for m in _of(check_invariants(), "mark")} == {clock.iso(later)}

    # Interrupted again, and this time nobody repeats it: the daily job finishes it.
    even_later = later + timedelta(hours=3)
    with inject(throttling, fail_at=range(3, 400), operations=["TransactWriteItems"]):
        with pytest.raises(StoreUnavailable):
            sessions.update_session(actor, session.session_id, {"starts_at": even_later}, None)
    result = jobs.run("session-horizon", datetime.now(timezone.utc).date())["result"]
    assert result["moves_settled"] == 1
    items = check_invariants()
    assert {m["starts_at"]["S"] for m in _of(items, "mark")} == {clock.iso(even_later)}
    assert "GSI4PK" not in _of(items, "session")[0]


def test_the_school_cancelling_a_session_of_200_reverses_every_charge_in_bounded_steps(big_class):
    actor, session, students = big_class["actor"], big_class["session"], big_class["students"]
    with TransactionSizes() as sent:
        result = attendance.cancel_session(actor, session.session_id, "hall flooded")
    assert max(sent.sizes) <= 100 and len(sent.sizes) == 1 + -(-STUDENTS // attendance.STUDENTS_PER_STEP)
    assert len(result.outcomes) == STUDENTS and {o.balance for o in result.outcomes} == {4}
    items = check_invariants()
    assert {(m["status"]["S"], m["cancelled_by"]["S"], m["charged"]["BOOL"]) for m in _of(items, "mark")} == {
        ("cancelled", "school", False)
    }
    assert {int(e["balance"]["N"]) for e in _of(items, "enrollment")} == {4}
    # Repeating it changes nothing and writes nothing.
    with TransactionSizes() as again:
        attendance.cancel_session(actor, session.session_id, "hall flooded")
    assert again.sizes == []
    assert len(students) == STUDENTS
