"""Attendance marks over the HTTP API: policy, corrections, clears, held no-shows, bulk
marks, the roster, school cancellations, teachers' reach."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.faults import conflict, inject, throttling
from tests.support import hours_from_now, ledger_sum_matches, table_items


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture
def cls(world):
    """A group with policy credit/hold, 24 h late window, no overdraft; Stella enrolled with 3.

    `sessions`: four weekly sessions that have started (the latest an hour ago, the others a
    week apart before it), so they can be marked attended or no-show (issue 12: not before a
    session starts). `ahead`: two sessions still to come, for cancellations: in 10 hours
    (inside the 24 h window) and in three days (outside it)."""
    w = world
    schedule = w.staff.post(
        "/schedules",
        {
            "name": "Strings",
            "kind": "group",
            "capacity": 6,
            "teacher_id": w.ids["teacher_id"],
            "policy": {"cancelled": "credit", "no_show": "hold", "late_cancel_hours": 24, "overdraft": 0},
        },
    ).body
    enrollment = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 3, "responsible_staff_id": w.ids["staff_id"]},
    ).body
    now = datetime.now(timezone.utc)

    def session(starts: datetime) -> dict:
        made = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": iso(starts)})
        assert made.status == 201, made.body
        return made.body

    sessions = [session(now - timedelta(hours=1) - timedelta(days=7 * i)) for i in range(4)]
    ahead = [session(now + timedelta(hours=hours)) for hours in (10, 72)]
    return {
        "w": w,
        "schedule": schedule,
        "eid": enrollment["id"],
        "sid": w.ids["student_id"],
        "sessions": [s["id"] for s in sessions],
        "starts": [s["starts_at"] for s in sessions],
        "ahead": [s["id"] for s in ahead],
    }


def mark(c, i, body, api=None, which="sessions", **kw):
    api = api or c["w"].staff
    return api.put(f"/sessions/{c[which][i]}/attendance/{c['sid']}", body, **kw)


def balance(c):
    return c["w"].staff.get(f"/enrollments/{c['eid']}").body["balance"]


def ledger(c):
    return c["w"].staff.get(f"/enrollments/{c['eid']}/ledger").body["items"]


def test_attended_charges_one_session_and_writes_an_attendance_entry(cls):
    answer = mark(cls, 0, {"status": "attended", "note": "great"})
    assert answer.status == 200
    body = answer.body
    assert (body["status"], body["charged"], body["held"], body["balance"], body["version"]) == (
        "attended",
        True,
        False,
        2,
        1,
    )
    assert body["recorded_by"].startswith("staff:") and body["note"] == "great"
    last = ledger(cls)[-1]
    assert (last["kind"], last["delta"], last["reference"]) == ("attendance", -1, f"session:{cls['sessions'][0]}")
    assert balance(cls) == 2


def test_marking_the_same_status_twice_charges_once(cls):
    first = mark(cls, 0, {"status": "attended"})
    second = mark(cls, 0, {"status": "attended"})
    assert first.status == second.status == 200
    assert second.body["version"] == first.body["version"] == 1
    assert balance(cls) == 2 and len(ledger(cls)) == 2


def test_changing_a_mark_moves_the_balance_by_the_difference_once(cls):
    mark(cls, 0, {"status": "attended"})
    # The uncharged mark it changes to is a held no-show (policy no_show: hold): the session has
    # started, so a cancellation of it now would be late, and an earlier cancelled_at would
    # precede the enrollment (issue 12); the charge moves back by the difference just the same.
    changed = mark(cls, 0, {"status": "no_show"})
    assert changed.body["held"] is True
    assert changed.body["charged"] is False and changed.body["balance"] == 3 and changed.body["version"] == 2
    back = mark(cls, 0, {"status": "attended"})
    assert back.body["balance"] == 2
    kinds = [(e["kind"], e["delta"]) for e in ledger(cls)]
    assert kinds == [("initial", 3), ("attendance", -1), ("reversal", 1), ("attendance", -1)]
    assert ledger_sum_matches(table_items()) == []


def test_late_cancellation_is_charged_under_credit_and_an_early_one_is_not(cls):
    # Staff say the cancellation was made now (a cancelled_at lies between the enrollment's
    # start and now, issue 12): 10 hours before the start is late, three days before is not.
    late = mark(cls, 0, {"status": "cancelled", "cancelled_at": hours_from_now(0)}, which="ahead")
    assert late.body["charged"] is True and late.body["late"] is True and late.body["balance"] == 2
    early = mark(cls, 1, {"status": "cancelled", "cancelled_at": hours_from_now(0)}, which="ahead")
    assert early.body["charged"] is False and early.body["late"] is False and early.body["balance"] == 2
    assert ledger(cls)[-1]["note"] == "late cancellation"


def test_a_cancellation_without_a_time_is_judged_as_of_now(cls):
    answer = mark(cls, 1, {"status": "cancelled"}, which="ahead")  # three days ahead: outside the 24 h window
    assert answer.body["charged"] is False and answer.body["cancelled_at"] is not None


def test_held_no_show_is_listed_then_settled_by_a_staff_charge(cls):
    held = mark(cls, 0, {"status": "no_show"})
    assert (held.body["charged"], held.body["held"], held.body["balance"]) == (False, True, 3)
    listed = cls["w"].staff.get("/attendance/held").body["items"]
    assert [(h["session_id"], h["student_id"]) for h in listed] == [(cls["sessions"][0], cls["sid"])]
    settled = mark(cls, 0, {"status": "no_show", "charge": True, "reason": "no notice given"})
    assert (settled.body["charged"], settled.body["held"], settled.body["balance"]) == (True, False, 2)
    assert settled.body["charge_override"] is True and settled.body["override_reason"] == "no notice given"
    assert cls["w"].staff.get("/attendance/held").body["items"] == []
    assert ledger(cls)[-1]["note"] == "staff charged: no notice given"
    again = mark(cls, 0, {"status": "no_show"})  # the same status again keeps the settlement
    assert again.body["charged"] is True and balance(cls) == 2


def test_a_waived_held_no_show_leaves_the_list_without_a_charge(cls):
    mark(cls, 0, {"status": "no_show"})
    waived = mark(cls, 0, {"status": "no_show", "charge": False, "reason": "ill"})
    assert (waived.body["charged"], waived.body["held"], waived.body["balance"]) == (False, False, 3)
    assert cls["w"].staff.get("/attendance/held").body["items"] == []


def test_teachers_cannot_override_a_charge(cls):
    answer = mark(cls, 0, {"status": "attended", "charge": False, "reason": "friend"}, api=cls["w"].teacher)
    assert answer.status == 403 and balance(cls) == 3


def test_a_charge_beyond_the_overdraft_is_409_and_changes_nothing(cls):
    for i in range(3):
        assert mark(cls, i, {"status": "attended"}).body["balance"] == 2 - i
    before = table_items()
    refused = mark(cls, 3, {"status": "attended"})
    assert refused.status == 409 and refused.error_code == "insufficient_balance"
    assert table_items() == before


def test_clearing_a_mark_reverses_its_charge(cls):
    mark(cls, 0, {"status": "attended"})
    cleared = cls["w"].staff.delete(f"/sessions/{cls['sessions'][0]}/attendance/{cls['sid']}")
    assert cleared.status == 200 and cleared.body["status"] == "unmarked" and cleared.body["balance"] == 3
    assert ledger(cls)[-1]["kind"] == "reversal"
    again = cls["w"].staff.delete(f"/sessions/{cls['sessions'][0]}/attendance/{cls['sid']}")
    assert again.status == 404
    roster = cls["w"].staff.get(f"/sessions/{cls['sessions'][0]}/attendance").body["items"]
    assert roster[0]["status"] == "unmarked"


def test_if_match_guards_a_mark_against_lost_updates(cls):
    first = mark(cls, 0, {"status": "attended"}, headers={"If-Match": "0"})
    assert first.status == 200
    stale = mark(cls, 0, {"status": "no_show"}, headers={"If-Match": "0"})
    assert stale.status == 412 and balance(cls) == 2
    fresh = mark(cls, 0, {"status": "no_show"}, headers={"If-Match": "1"})
    assert fresh.status == 200 and fresh.body["held"] is True and fresh.body["balance"] == 3


def test_a_student_without_an_active_enrollment_gets_409(cls, world):
    other = world.staff.post("/students", {"name": "Otto", "email": "otto@x.example"}).body
    answer = world.staff.put(f"/sessions/{cls['sessions'][0]}/attendance/{other['id']}", {"status": "attended"})
    assert answer.status == 409 and answer.error_code == "not_enrolled"
    world.staff.patch(f"/enrollments/{cls['eid']}", {"status": "ended"})
    ended = mark(cls, 0, {"status": "attended"})
    assert ended.status == 409 and ended.error_code == "not_enrolled"


def test_the_same_mark_request_with_an_idempotency_key_is_replayed(cls):
    headers = {"Idempotency-Key": "mark-1"}
    first = mark(cls, 0, {"status": "attended"}, headers=headers)
    mark(cls, 0, {"status": "no_show"})
    replay = mark(cls, 0, {"status": "attended"}, headers=headers)
    assert replay.body == first.body and replay.headers.get("idempotent-replayed") == "true"
    assert cls["w"].staff.get(f"/sessions/{cls['sessions'][0]}/attendance").body["items"][0]["status"] == "no_show"


def test_bulk_marking_reports_each_students_outcome(cls, world):
    second = world.staff.post("/students", {"name": "Bea", "email": "bea@x.example"}).body
    world.staff.post(
        f"/schedules/{cls['schedule']['id']}/enrollments",
        {"student_id": second["id"], "initial_balance": 0, "responsible_staff_id": world.ids["staff_id"]},
    )
    stranger = world.staff.post("/students", {"name": "Stranger", "email": "s@x.example"}).body
    answer = world.teacher.post(
        f"/sessions/{cls['sessions'][0]}/attendance",
        {
            "records": [
                {"student_id": cls["sid"], "status": "attended"},
                {"student_id": second["id"], "status": "attended"},
                {"student_id": stranger["id"], "status": "attended"},
            ]
        },
    )
    assert answer.status == 200
    items = {i["student_id"]: i for i in answer.body["items"]}
    assert items[cls["sid"]]["ok"] is True and items[cls["sid"]]["mark"]["balance"] == 2
    assert items[second["id"]]["ok"] is False and items[second["id"]]["error"]["code"] == "insufficient_balance"
    assert items[stranger["id"]]["error"]["code"] == "not_enrolled"
    roster = {
        r["student_id"]: r["status"]
        for r in world.staff.get(f"/sessions/{cls['sessions'][0]}/attendance").body["items"]
    }
    assert roster == {cls["sid"]: "attended", second["id"]: "unmarked"}


def test_bulk_with_a_repeated_student_is_400(cls):
    answer = cls["w"].staff.post(
        f"/sessions/{cls['sessions'][0]}/attendance",
        {
            "records": [
                {"student_id": cls["sid"], "status": "attended"},
                {"student_id": cls["sid"], "status": "no_show"},
            ]
        },
    )
    assert answer.status == 400 and balance(cls) == 3


def test_school_cancellation_marks_everyone_cancelled_and_reverses_charges(cls):
    mark(cls, 0, {"status": "attended"})
    cancelled = cls["w"].staff.post(f"/sessions/{cls['sessions'][0]}/cancel", {"reason": "teacher ill"})
    assert cancelled.status == 200
    assert cancelled.body["session"]["status"] == "cancelled"
    marks = cancelled.body["marks"]
    assert [(m["status"], m["cancelled_by"], m["charged"], m["balance"]) for m in marks] == [
        ("cancelled", "school", False, 3)
    ]
    assert ledger(cls)[-1]["note"] == "session cancelled by the school"
    again = cls["w"].staff.post(f"/sessions/{cls['sessions'][0]}/cancel")
    assert again.status == 200 and balance(cls) == 3 and len(ledger(cls)) == 3
    refused = mark(cls, 0, {"status": "attended"})
    assert refused.status == 409 and refused.error_code == "session_cancelled"


def test_teachers_reach_only_the_sessions_they_teach_and_a_substitute_does(cls):
    w, session = cls["w"], cls["sessions"][0]
    assert mark(cls, 0, {"status": "attended"}, api=w.other_teacher).status == 403
    assert w.other_teacher.get(f"/sessions/{session}/attendance").status == 403
    moved = w.staff.patch(f"/sessions/{session}", {"teacher_id": w.ids["teacher2_id"]})
    assert moved.status == 200 and moved.body["teacher_name"] == "Theo Teacher"
    assert mark(cls, 0, {"status": "attended"}, api=w.other_teacher).status == 200
    assert mark(cls, 0, {"status": "no_show"}, api=w.teacher).status == 403
    assert mark(cls, 1, {"status": "attended"}, api=w.teacher).status == 200


def test_rescheduling_moves_the_session_and_its_marks(cls):
    w, session = cls["w"], cls["sessions"][0]
    mark(cls, 0, {"status": "no_show"})
    # Moved to another time in the past (two days ago, 09:30 UTC): the no-show it holds stays
    # valid, a session that has started (issue 12). 09:30 UTC is the same date in Berlin.
    day = (datetime.now(timezone.utc) - timedelta(days=2)).date().isoformat()
    moved = w.staff.patch(f"/sessions/{session}", {"starts_at": f"{day}T09:30:00+00:00"})
    assert moved.status == 200 and moved.body["starts_at"] == f"{day}T09:30:00.000Z"
    assert moved.body["ends_at"] == f"{day}T10:30:00.000Z"
    held = w.staff.get("/attendance/held").body["items"]
    assert held[0]["starts_at"] == f"{day}T09:30:00.000Z"
    board = w.staff.get(f"/schedules/{cls['schedule']['id']}/board?from={day}&to={day}").body
    assert [i["session_id"] for i in board["items"]] == [session]
    assert board["items"][0]["attendance"][0]["status"] == "no_show"


def test_a_session_must_end_after_it_starts(cls):
    answer = cls["w"].staff.post(
        f"/schedules/{cls['schedule']['id']}/sessions",
        {"starts_at": "2027-01-01T10:00:00Z", "ends_at": "2027-01-01T09:00:00Z"},
    )
    assert answer.status == 400 and answer.body["error"]["details"][0]["field"] == "ends_at"
    naive = cls["w"].staff.post(f"/schedules/{cls['schedule']['id']}/sessions", {"starts_at": "2027-01-01T10:00:00"})
    assert naive.status == 400 and naive.body["error"]["details"][0]["field"] == "starts_at"


@pytest.mark.parametrize("make_error", [conflict, throttling], ids=["conflict", "throttling"])
def test_a_conflicted_mark_is_retried_then_answered_503_with_nothing_half_written(cls, make_error):
    with inject(make_error, fail_at=[1], operations=["TransactWriteItems"]):
        ok = mark(cls, 0, {"status": "attended"})
    assert ok.status == 200 and ok.body["balance"] == 2
    before = table_items()
    with inject(make_error, fail_at=range(1, 100), operations=["TransactWriteItems"]):
        refused = mark(cls, 1, {"status": "attended"})
    assert refused.status == 503 and refused.headers["retry-after"] == "1"
    assert table_items() == before
