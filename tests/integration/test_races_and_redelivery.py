"""Twins and repeats that the kind engines never produce on their own: a stream batch
handed on twice, two requests with one Idempotency-Key read "no answer yet" at once, a
booking system sending one delivery twice at the same moment, a move retried with its
If-Match after it was interrupted, a request that never left the machine."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import EndpointConnectionError

from chalicelib import clock, config
from chalicelib.domain import records
from chalicelib.errors import NotFound, OutcomeUnknown, StoreUnavailable
from chalicelib.services import attendance, counters, enrollments, people, schedules, sessions, webhooks
from chalicelib.services.context import Actor
from chalicelib.store import engine
from chalicelib.store import integrations as integration_store
from chalicelib.store import stream
from chalicelib.store import unit_of_work as uow
from tests.faults import inject, throttling
from tests.integration import test_fault_injection as cases
from tests.invariants import check_invariants
from tests.support import new_company_id, table_items

# Three hours ago, on the hour: the sessions made at START are marked attended, which is
# recorded only once a session has started (issue 12); one moved an hour later has too.
START = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)


def _together(calls):
    """Run the calls in threads; each one's result or exception, in order."""
    out: list = [None] * len(calls)

    def go(i):
        try:
            out[i] = ("ok", calls[i]())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            out[i] = ("error", exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _both_read_first(monkeypatch, module, name, reads=2):
    """Make the first `reads` calls of module.name wait for each other (both see the old state)."""
    real = getattr(module, name)
    barrier = threading.Barrier(reads, timeout=5)
    seen = {"n": 0}
    lock = threading.Lock()

    def slow(*args, **kwargs):
        found = real(*args, **kwargs)
        with lock:
            seen["n"] += 1
            waiting = seen["n"] <= reads
        if waiting:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return found

    monkeypatch.setattr(module, name, slow)


def _session_at_start(school) -> records.Session:
    """A one-off hour of the school's schedule at START."""
    return sessions.create_one_off(
        school["actor"],
        school["schedule"].schedule_id,
        starts_at=START,
        ends_at=None,
        duration_minutes=60,
        teacher_id=None,
        student_id=None,
    )


def test_a_stream_batch_handed_on_twice_is_counted_once(school):
    actor = school["actor"]
    session = _session_at_start(school)
    attendance.record(
        actor, session.session_id, school["student"].student_id, attendance.MarkRequest(status="attended")
    )
    batches: list[list[dict]] = []
    stream.drain(batches.append)  # what Lambda would hand on, kept aside
    first = [counters.apply_stream_records(b)["applied"] for b in batches]
    again = [counters.apply_stream_records(b)["applied"] for b in batches]  # at least once: again
    assert sum(first) >= 3 and sum(again) == 0
    check_invariants()


def _claim(actor, key, body: bytes):
    return uow.Idempotency(
        actor.company_id,
        actor.subject,
        key,
        uow.fingerprint("POST", "/x", body),
        render=lambda result: (201, '{"first": true}'),
    )


def test_two_requests_with_one_key_get_one_effect_and_the_same_answer(school, monkeypatch):
    actor = school["actor"]
    newcomer = people.create_student(actor, name="Nia", email="nia@x.example", user_id=None)
    # A 1:1 schedule holds one active student (issue 12) and the school's own has its
    # student: the newcomer is enrolled in a second 1:1 schedule.
    second = schedules.create_schedule(
        actor,
        name="Viola",
        kind="one_to_one",
        teacher_id=school["teacher"].staff_id,
        capacity=None,
        timezone="UTC",
        recurrence=None,
        policy=None,
        low_balance_threshold=None,
    )
    _both_read_first(monkeypatch, uow, "_get_record")

    def enroll():
        return enrollments.enroll(
            actor,
            second.schedule_id,
            student_id=newcomer.student_id,
            initial_balance=3,
            responsible_staff_id=school["staff"].staff_id,
            low_balance_threshold=None,
            claim=_claim(actor, "same-key", b"{}"),
        )

    answers = _together([enroll, enroll])
    kinds = sorted((a[0], type(a[1]).__name__) for a in answers)
    # One made it; the other is answered with its answer (raised for the route to send again).
    assert kinds == [("error", "Replayed"), ("ok", "Enrollment")], answers
    made_answer = next(a[1] for a in answers if a[0] == "ok")
    replay = next(a[1] for a in answers if a[0] == "error")
    assert replay.status == 201 and replay.body == {"first": True} and made_answer.balance == 3
    made = [
        i
        for i in table_items()
        if i.get("type", {}).get("S") == "enrollment" and i["student_id"]["S"] == newcomer.student_id
    ]
    assert len(made) == 1


def test_one_delivery_sent_twice_at_once_is_applied_once_and_answered_twice(client, monkeypatch):
    c = cases.prepare_booked(client)  # booked; next comes a no-show delivery
    body, headers = c["delivery"]
    integration_id = c["sender"].integration["id"]
    _both_read_first(monkeypatch, integration_store, "get_delivery")

    def deliver():
        return webhooks.receive(integration_id, {k.lower(): v for k, v in headers.items()}, body, "application/json")

    answers = _together([deliver, deliver])
    assert [a[0] for a in answers] == ["ok", "ok"], answers
    assert sorted((o.delivery.status, o.repeat) for _, o in answers) == [("applied", False), ("applied", True)]
    items = check_invariants()
    assert cases.balance_of(items, c["student"]) == 4  # one no-show charged, once
    assert cases.ledger_of(items, c["student"]) == [("initial", 5), ("attendance", -1)]


def test_a_delivery_meeting_a_busy_store_is_answered_503_not_kept_as_failed(client):
    c = cases.prepare_booked(client)
    with inject(throttling, fail_at=range(1, 50), operations=["TransactWriteItems"]):
        answer = cases.send_delivery(c)
    assert (answer.status, answer.error_code) == (503, "store_unavailable")  # the provider retries
    assert [i for i in table_items() if i.get("type", {}).get("S") == "delivery" and i["status"]["S"] == "failed"] == []
    assert cases.send_delivery(c).body["status"] == "applied"


def test_a_move_interrupted_part_way_resumes_when_retried_with_its_if_match(store, monkeypatch):
    monkeypatch.setattr(sessions, "MARKS_PER_STEP", 2)
    actor = Actor(new_company_id(), "admin-sub", "admin")
    staff = people.create_staff(actor, name="S", email="s@x.example", role="staff", user_id=None)
    teacher = people.create_staff(actor, name="T", email="t@x.example", role="teacher", user_id=None)
    schedule = schedules.create_schedule(
        actor,
        name="G",
        kind="group",
        teacher_id=teacher.staff_id,
        capacity=10,
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
        duration_minutes=60,
        teacher_id=None,
        student_id=None,
    )
    students = []
    for i in range(3):
        student = people.create_student(actor, name=f"P{i}", email=f"p{i}@x.example", user_id=None)
        enrollments.enroll(
            actor,
            schedule.schedule_id,
            student_id=student.student_id,
            initial_balance=4,
            responsible_staff_id=staff.staff_id,
            low_balance_threshold=None,
        )
        students.append(student.student_id)
    attendance.record_many(
        actor, session.session_id, [(s, attendance.MarkRequest(status="attended")) for s in students]
    )
    later = {"starts_at": START + timedelta(hours=1)}
    moved = clock.iso(later["starts_at"])
    with inject(throttling, fail_at=range(2, 100), operations=["TransactWriteItems"]):
        with pytest.raises(StoreUnavailable):
            sessions.update_session(actor, session.session_id, later, if_match=1)  # the session moved, no mark
    retried = sessions.update_session(actor, session.session_id, later, if_match=1)
    assert retried.marks_pending is False and retried.starts_at == moved
    marks = [i for i in check_invariants() if i.get("type", {}).get("S") == "mark"]
    assert {m["starts_at"]["S"] for m in marks} == {moved}


def test_a_request_that_never_left_is_a_plain_503_not_an_unknown_outcome(school):
    actor, eid = school["actor"], school["enrollment_id"]
    with inject(
        lambda op: EndpointConnectionError(endpoint_url="https://dynamodb"),
        fail_at=range(1, 50),
        operations=["TransactWriteItems"],
    ) as injector:
        with pytest.raises(StoreUnavailable) as refused:
            enrollments.top_up(actor, eid, sessions=2, note=None)
    assert not isinstance(refused.value, OutcomeUnknown)  # nothing was sent: nothing may have been saved
    assert injector.failed == 3  # the step ran 3 times (transient), each sending once
    assert [e for e in table_items() if e.get("type", {}).get("S") == "ledger" and e["kind"]["S"] == "top_up"] == []


def test_a_threshold_changed_again_while_the_job_runs_is_kept_for_the_next_run(school, monkeypatch):
    from datetime import date

    from chalicelib import jobs
    from chalicelib.domain import thresholds
    from chalicelib.services import company, notifications

    actor = school["actor"]
    company.put_company(actor, name="S", timezone="UTC", low_balance_threshold=3)
    real = thresholds.effective_threshold

    def decide_then_change(*args):
        monkeypatch.setattr(thresholds, "effective_threshold", real)
        company.put_company(actor, name="S", timezone="UTC", low_balance_threshold=6)  # meanwhile
        return real(*args)

    monkeypatch.setattr(thresholds, "effective_threshold", decide_then_change)
    assert notifications.reconcile_threshold_changes() == 1  # brought in line with 3
    pending = [i for i in table_items() if i.get("type", {}).get("S") == "threshold_change"]
    assert len(pending) == 1  # the change to 6 was not forgotten
    run = jobs.run("low-balance", date(2027, 2, 1))["result"]
    assert run["thresholds_updated"] == 1 and run["notifications"] == 1  # 5 <= 6: low now
    assert [i for i in table_items() if i.get("type", {}).get("S") == "threshold_change"] == []


def test_a_session_removed_while_its_marks_follow_a_move_is_answered_not_found(school, monkeypatch):
    """A move whose marks follow in steps reads the session again for each step; if another
    request removed it meanwhile, the move is answered 404, not a server error."""
    actor = school["actor"]
    session = _session_at_start(school)
    attendance.record(actor, session.session_id, school["student"].student_id, attendance.MarkRequest("attended"))
    monkeypatch.setattr(sessions, "MARKS_PER_STEP", 1)  # one mark to move: it follows in a step
    real = sessions.store.session_with_marks
    reads = {"n": 0}

    def removed_after_the_first_read(cid, schedule_id, key):
        reads["n"] += 1
        if reads["n"] == 2:  # the move is committed; another request removes the session
            [item] = [i for i in table_items() if i.get("type", {}).get("S") == "session"]
            engine.boto_client().delete_item(TableName=config.table_name(), Key={"PK": item["PK"], "SK": item["SK"]})
        return real(cid, schedule_id, key)

    monkeypatch.setattr(sessions.store, "session_with_marks", removed_after_the_first_read)
    with pytest.raises(NotFound):
        sessions.update_session(actor, session.session_id, {"starts_at": START + timedelta(hours=1)}, None)
    assert reads["n"] == 2
