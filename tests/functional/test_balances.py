"""Enrollments, top-ups, adjustments, corrections and the ledger, over the HTTP API."""

import pytest

from tests.support import ledger_sum_matches, table_items


@pytest.fixture
def enrollment(world):
    w = world
    schedule = w.staff.post("/schedules", {"name": "Piano", "kind": "one_to_one", "teacher_id": w.ids["teacher_id"]})
    assert schedule.status == 201
    made = w.staff.post(
        f"/schedules/{schedule.body['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 10, "responsible_staff_id": w.ids["staff_id"]},
    )
    assert made.status == 201, made.body
    return made.body


def test_enroll_top_up_adjust_gives_13_with_three_ledger_entries(world, enrollment):
    eid = enrollment["id"]
    assert enrollment["balance"] == 10 and enrollment["initial_balance"] == 10
    topped = world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 5, "note": "renewal"})
    assert topped.status == 200 and topped.body["balance"] == 15
    adjusted = world.staff.post(f"/enrollments/{eid}/adjustments", {"delta": -2, "reason": "double entry"})
    assert adjusted.status == 200 and adjusted.body["balance"] == 13
    ledger = world.staff.get(f"/enrollments/{eid}/ledger")
    assert ledger.status == 200
    entries = ledger.body["items"]
    assert [e["kind"] for e in entries] == ["initial", "top_up", "adjustment"]
    assert [e["delta"] for e in entries] == [10, 5, -2]
    assert [e["balance_after"] for e in entries] == [10, 15, 13]
    assert sum(e["delta"] for e in entries) == 13 == world.staff.get(f"/enrollments/{eid}").body["balance"]
    assert entries[2]["note"] == "double entry" and entries[1]["note"] == "renewal"
    assert all(e["actor"].startswith("staff:") for e in entries)
    assert ledger_sum_matches(table_items()) == []


def test_adjustment_below_zero_is_refused_and_changes_nothing(world, enrollment):
    eid = enrollment["id"]
    before = table_items()
    refused = world.staff.post(f"/enrollments/{eid}/adjustments", {"delta": -11, "reason": "too much"})
    assert refused.status == 409
    assert refused.error_code == "insufficient_balance"
    assert "below" in refused.body["error"]["message"]
    assert table_items() == before
    allowed = world.staff.post(f"/enrollments/{eid}/adjustments", {"delta": -10, "reason": "refund"})
    assert allowed.status == 200 and allowed.body["balance"] == 0


def test_same_idempotency_key_and_body_answers_the_first_result_once(world, enrollment):
    eid = enrollment["id"]
    headers = {"Idempotency-Key": "top-up-2026-12-01-a"}
    first = world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 3}, headers=headers)
    second = world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 3}, headers=headers)
    assert first.status == second.status == 200
    assert first.body == second.body and second.body["balance"] == 13
    assert second.headers.get("idempotent-replayed") == "true"
    ledger = world.staff.get(f"/enrollments/{eid}/ledger").body["items"]
    assert len(ledger) == 2 and ledger[-1]["reference"] == "request:top-up-2026-12-01-a"
    assert world.staff.get(f"/enrollments/{eid}").body["balance"] == 13


def test_same_idempotency_key_with_another_body_is_409_and_changes_nothing(world, enrollment):
    eid = enrollment["id"]
    headers = {"Idempotency-Key": "k-1"}
    assert world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 3}, headers=headers).status == 200
    before = table_items()
    reused = world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 4}, headers=headers)
    assert reused.status == 409 and reused.error_code == "idempotency_key_reused"
    assert table_items() == before


def test_idempotency_keys_are_per_user(world, enrollment):
    eid = enrollment["id"]
    headers = {"Idempotency-Key": "shared-key"}
    assert world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 1}, headers=headers).body["balance"] == 11
    assert world.admin.post(f"/enrollments/{eid}/top-ups", {"sessions": 1}, headers=headers).body["balance"] == 12


def test_expired_idempotency_record_no_longer_replays(world, enrollment, monkeypatch):
    eid = enrollment["id"]
    monkeypatch.setenv("OPTCLASS_IDEMPOTENCY_TTL_SECONDS", "-1")
    headers = {"Idempotency-Key": "short-lived"}
    assert world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 1}, headers=headers).body["balance"] == 11
    again = world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 1}, headers=headers)
    assert again.status == 200 and again.body["balance"] == 12


def test_patch_balance_is_recorded_as_an_adjustment(world, enrollment):
    eid = enrollment["id"]
    changed = world.staff.patch(f"/enrollments/{eid}", {"balance": 7, "reason": "counted again"})
    assert changed.status == 200 and changed.body["balance"] == 7
    entries = world.staff.get(f"/enrollments/{eid}/ledger").body["items"]
    assert entries[-1]["kind"] == "adjustment" and entries[-1]["delta"] == -3
    assert entries[-1]["note"] == "counted again"


def test_patch_initial_balance_moves_the_balance_by_the_difference(world, enrollment):
    eid = enrollment["id"]
    world.staff.post(f"/enrollments/{eid}/adjustments", {"delta": -4, "reason": "used"})
    changed = world.staff.patch(f"/enrollments/{eid}", {"initial_balance": 12})
    assert changed.status == 200
    assert changed.body["initial_balance"] == 12 and changed.body["balance"] == 8
    last = world.staff.get(f"/enrollments/{eid}/ledger").body["items"][-1]
    assert last["delta"] == 2 and "from 10 to 12" in last["note"]


def test_patch_balance_without_reason_is_400(world, enrollment):
    answer = world.staff.patch(f"/enrollments/{enrollment['id']}", {"balance": 3})
    assert answer.status == 400 and "reason" in answer.body["error"]["message"]


def test_patch_status_and_responsible_staff_and_if_match(world, enrollment):
    eid = enrollment["id"]
    stale = world.staff.patch(f"/enrollments/{eid}", {"status": "ended"}, headers={"If-Match": "99"})
    assert stale.status == 412 and stale.error_code == "version_mismatch"
    ended = world.staff.patch(
        f"/enrollments/{eid}",
        {"status": "ended", "low_balance_threshold": 4},
        headers={"If-Match": str(enrollment["version"])},
    )
    assert ended.status == 200
    assert ended.body["status"] == "ended" and ended.body["low_balance_threshold"] == 4
    assert ended.body["version"] == enrollment["version"] + 1
    cleared = world.staff.patch(
        f"/enrollments/{eid}", {"low_balance_threshold": None, "responsible_staff_id": world.ids["teacher_id"]}
    )
    assert cleared.body["low_balance_threshold"] is None
    assert cleared.body["responsible_staff_id"] == world.ids["teacher_id"]
    assert world.staff.get(f"/enrollments/{eid}").body == cleared.body


def test_enrolling_twice_is_409_already_enrolled(world, enrollment):
    again = world.staff.post(
        f"/schedules/{enrollment['schedule_id']}/enrollments",
        {"student_id": world.ids["student_id"], "initial_balance": 3, "responsible_staff_id": world.ids["staff_id"]},
    )
    assert again.status == 409 and again.error_code == "already_enrolled"
    assert world.staff.get(f"/enrollments/{enrollment['id']}").body["balance"] == 10


def test_student_and_schedule_enrollment_lists(world, enrollment):
    by_student = world.staff.get(f"/students/{world.ids['student_id']}/enrollments")
    by_schedule = world.staff.get(f"/schedules/{enrollment['schedule_id']}/enrollments")
    assert by_student.status == by_schedule.status == 200
    assert [e["id"] for e in by_student.body["items"]] == [enrollment["id"]]
    assert [e["balance"] for e in by_schedule.body["items"]] == [10]


def test_ledger_pages_in_order(world, enrollment):
    eid = enrollment["id"]
    for _ in range(4):
        world.staff.post(f"/enrollments/{eid}/top-ups", {"sessions": 1})
    seen, cursor = [], None
    while True:
        path = f"/enrollments/{eid}/ledger?limit=2" + (f"&next={cursor}" if cursor else "")
        page = world.staff.get(path)
        assert page.status == 200 and len(page.body["items"]) <= 2
        seen += [e["seq"] for e in page.body["items"]]
        cursor = page.body["next"]
        if not cursor:
            break
    assert seen == [1, 2, 3, 4, 5]


def test_a_zero_initial_balance_still_writes_the_initial_entry(world):
    schedule = world.staff.post(
        "/schedules", {"name": "Trial", "kind": "group", "capacity": 4, "teacher_id": world.ids["teacher_id"]}
    ).body
    made = world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": world.ids["student_id"], "initial_balance": 0, "responsible_staff_id": world.ids["staff_id"]},
    )
    assert made.status == 201 and made.body["balance"] == 0
    entries = world.staff.get(f"/enrollments/{made.body['id']}/ledger").body["items"]
    assert [(e["kind"], e["delta"]) for e in entries] == [("initial", 0)]
