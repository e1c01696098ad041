"""Marks under contention, with the embedded engine behaving like DynamoDB: a transaction
touching an item another in-flight transaction holds is cancelled (TransactionConflict).

Teachers marking their own sessions at the same moment never conflict (a mark's
transaction shares no item with another session's marks); students of one session do
(its check), and are retried until they land, never charged twice, never lost."""

import random
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.errors import OutcomeUnknown, StoreUnavailable
from chalicelib.services import attendance, enrollments, people, schedules, sessions
from chalicelib.services.context import Actor
from tests.invariants import check_invariants
from tests.support import new_company_id
from tools import embedded_dynamodb

# Attendance is taken once a session has started: every session here started an hour ago or
# earlier (the app's clock is the real one).
START = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=1)


@pytest.fixture
def contention(store):
    embedded_dynamodb.enable_contention(0.005)
    embedded_dynamodb.reset_contention_stats()
    try:
        yield embedded_dynamodb
    finally:
        embedded_dynamodb.disable_contention()


def _school(groups: int, per_group: int):
    actor = Actor(new_company_id(), "admin-sub", "admin")
    staff = people.create_staff(actor, name="Sam", email="sam@x.example", role="staff", user_id=None)
    classes = []
    for g in range(groups):
        teacher = people.create_staff(
            actor, name=f"T{g}", email=f"t{g}@x.example", role="teacher", user_id=f"teacher-{g}"
        )
        schedule = schedules.create_schedule(
            actor,
            name=f"G{g}",
            kind="group",
            teacher_id=teacher.staff_id,
            capacity=per_group,
            timezone="UTC",
            recurrence=None,
            policy=None,
            low_balance_threshold=None,
        )
        session = sessions.create_one_off(
            actor,
            schedule.schedule_id,
            starts_at=START - timedelta(hours=g),
            ends_at=None,
            duration_minutes=60,
            teacher_id=None,
            student_id=None,
        )
        students = []
        for i in range(per_group):
            student = people.create_student(actor, name=f"S{g}-{i}", email=f"s{g}{i}@x.example", user_id=None)
            enrollments.enroll(
                actor,
                schedule.schedule_id,
                student_id=student.student_id,
                initial_balance=20,
                responsible_staff_id=staff.staff_id,
                low_balance_threshold=None,
            )
            students.append(student.student_id)
        classes.append((Actor(actor.company_id, f"teacher-{g}", "teacher"), session.session_id, students))
    return actor, classes


def _all_at_once(jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        barrier.wait()
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_teachers_marking_their_own_sessions_at_once_never_conflict(contention):
    _, classes = _school(groups=10, per_group=4)

    def teacher_marks(actor, session_id, students):
        def job():
            for student in students:
                attendance.record(actor, session_id, student, attendance.MarkRequest(status="attended"))

        return job

    errors = _all_at_once([teacher_marks(*c) for c in classes])
    assert errors == []
    items = check_invariants()
    marks = [i for i in items if i.get("type", {}).get("S") == "mark"]
    assert len(marks) == 40 and {m["charged"]["BOOL"] for m in marks} == {True}
    assert contention.contention_stats()["conflicts"] == 0


def test_twenty_students_of_one_session_marked_at_once_all_land_once(contention):
    staff, [(_, session_id, students)] = _school(groups=1, per_group=20)
    statuses = ["attended", "cancelled", "attended", "no_show", "attended"]

    busy: list[StoreUnavailable] = []

    def student_marks(student):
        def job():
            for status in statuses:
                # Twenty writers on one item may outlast a step's retry budget on a slow
                # machine: the caller then gets 503 with Retry-After, nothing was written, and
                # a client sends the mark again after the pause, as the API asks.
                for _ in range(5):
                    try:
                        attendance.record(staff, session_id, student, attendance.MarkRequest(status=status))
                        break
                    except StoreUnavailable as exc:
                        busy.append(exc)
                        time.sleep(exc.retry_after * random.uniform(0.1, 0.5))
                else:
                    raise AssertionError(f"{student}'s {status} never landed")

        return job

    errors = _all_at_once([student_marks(s) for s in students])
    assert errors == []
    # The retry policy absorbs nearly all of the contention itself.
    assert len(busy) <= 20, f"{len(busy)} of 100 marks answered busy"
    assert not any(isinstance(exc, OutcomeUnknown) for exc in busy)  # no answer was lost here
    stats = contention.contention_stats()
    assert stats["conflicts"] > 0  # the model did make them conflict on the session's check
    items = check_invariants()  # each balance equals its ledger; every charge taken once
    marks = {m["student_id"]["S"]: m for m in items if m.get("type", {}).get("S") == "mark"}
    assert set(marks) == set(students) and {m["status"]["S"] for m in marks.values()} == {"attended"}
    balances = {
        i["student_id"]["S"]: int(i["balance"]["N"]) for i in items if i.get("type", {}).get("S") == "enrollment"
    }
    assert set(balances.values()) == {19}  # attended, credited, attended, no-show, attended: one charge
