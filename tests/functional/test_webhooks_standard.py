"""Booking-system deliveries, shown with OptClass's own events (Standard Webhooks):
verification, effects, repeats, failures and replays, ordering, the deliveries log."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.functional.webhook_helpers import Sender
from tests.support import table_items

START = datetime(2027, 3, 1, 17, 0, tzinfo=timezone.utc)


@pytest.fixture
def hook(world):
    w = world
    schedule = w.staff.post("/schedules", {"name": "Piano 1:1", "kind": "one_to_one", "teacher_id": w.ids["teacher_id"],
                                           "policy": {"cancelled": "credit", "no_show": "deduct",
                                                      "late_cancel_hours": 24}}).body
    enrollment = w.staff.post(f"/schedules/{schedule['id']}/enrollments", {
        "student_id": w.ids["student_id"], "initial_balance": 5, "responsible_staff_id": w.ids["staff_id"]}).body
    made = w.admin.post("/integrations", {"provider": "standard", "name": "Our booking page",
                                          "event_types": {"piano-30": schedule["id"]}})
    assert made.status == 201 and made.body["secret"].startswith("whsec_")
    return {"w": w, "schedule": schedule, "eid": enrollment["id"], "send": Sender(w.client, made.body),
            "integration": made.body}


def booking(w, kind="booking.created", booking_id="bk-1", start=START, **data):
    body = {"booking_id": booking_id, "event_type": "piano-30",
            "student": {"name": "Stella Student", "email": f"stella@{w.company_id}.example"},
            "teacher": {"name": "Tina Teacher", "email": f"teacher@{w.company_id}.example"},
            "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat(), "status": "booked"}
    body.update(data)
    return {"type": kind, "timestamp": datetime.now(timezone.utc).isoformat(), "data": body}


def balance(h):
    return h["w"].staff.get(f"/enrollments/{h['eid']}").body["balance"]


def sessions(h):
    return h["w"].staff.get(f"/schedules/{h['schedule']['id']}/sessions?from=2027-01-01&to=2027-12-31").body["items"]


def ledger(h):
    return h["w"].staff.get(f"/enrollments/{h['eid']}/ledger").body["items"]


def test_a_booking_makes_a_session_for_the_student_with_the_teacher(hook):
    answer = hook["send"].standard(booking(hook["w"]))
    assert answer.status == 200 and answer.body["status"] == "applied"
    [session] = sessions(hook)
    assert session["starts_at"] == "2027-03-01T17:00:00.000Z" and session["ends_at"] == "2027-03-01T17:30:00.000Z"
    assert session["student_id"] == hook["w"].ids["student_id"] and session["teacher_name"] == "Tina Teacher"
    assert session["origin"] == "booking"


def test_the_same_delivery_three_times_has_one_effect(hook):
    event = booking(hook["w"])
    answers = [hook["send"].standard(event, msg_id="msg_same") for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert [a.body["repeat"] for a in answers] == [False, True, True]
    assert len(sessions(hook)) == 1
    no_show = booking(hook["w"], "booking.no_show")
    for _ in range(3):
        hook["send"].standard(no_show, msg_id="msg_noshow")
    assert balance(hook) == 4 and len(ledger(hook)) == 2
    log = hook["w"].admin.get(f"/integrations/{hook['integration']['id']}/deliveries").body["items"]
    assert sorted(d["repeats"] for d in log) == [2, 2]


@pytest.mark.parametrize("tamper", ["forged", "missing", "stale", "wrong secret", "body changed"])
def test_unsigned_forged_or_stale_deliveries_are_401_and_change_nothing(hook, tamper):
    send, event = hook["send"], booking(hook["w"])
    before = table_items()
    if tamper == "forged":
        body = b'{"type": "booking.created"}'
        answer = send.raw(body, {"webhook-id": "m", "webhook-timestamp": str(int(time.time())),
                                 "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
    elif tamper == "missing":
        answer = send.raw(b'{"type": "booking.created"}', {"Content-Type": "application/json"})
    elif tamper == "stale":
        answer = send.standard(event, timestamp=int(time.time()) - 6 * 60)
    elif tamper == "wrong secret":
        answer = send.standard(event, secret="whsec_" + "QUJD" * 11)
    else:
        import json

        from chalicelib.webhooks import standard

        body = json.dumps(event).encode()
        ts = int(time.time())
        signature = standard.sign(send.secret, "m1", ts, body)
        answer = send.raw(body.replace(b"bk-1", b"bk-2"), {"webhook-id": "m1", "webhook-timestamp": str(ts),
                                                          "webhook-signature": signature})
    assert answer.status == 401 and answer.body["error"]["code"] == "unauthenticated"
    assert table_items() == before


def test_any_of_several_signatures_may_match_for_key_rotation(hook):
    import json

    from chalicelib.webhooks import standard

    body = json.dumps(booking(hook["w"])).encode()
    ts = int(time.time())
    good = standard.sign(hook["send"].secret, "m-rot", ts, body)
    header = "v1,bm90LXRoZS1yaWdodC1vbmU= " + good
    answer = hook["send"].raw(body, {"webhook-id": "m-rot", "webhook-timestamp": str(ts), "webhook-signature": header})
    assert answer.status == 200 and answer.body["status"] == "applied"


def test_a_rotated_secret_keeps_the_old_one_valid_for_a_while(hook):
    w, send = hook["w"], hook["send"]
    old = send.secret
    rotated = w.admin.post(f"/integrations/{hook['integration']['id']}/secret")
    assert rotated.status == 200 and rotated.body["secret"] != old and rotated.body["secret_rotating"] is True
    assert send.standard(booking(w), secret=old).status == 200
    assert send.standard(booking(w, booking_id="bk-2"), secret=rotated.body["secret"]).status == 200
    listed = w.admin.get("/integrations").body["items"][0]
    assert "secret" not in listed


def test_an_unreadable_body_is_400_and_an_unknown_integration_404(hook):
    send = hook["send"]
    bad = send.standard({"type": "booking.exploded", "data": {}})
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_input"
    from tests.functional.helpers import Answer  # noqa: F401

    response = hook["w"].client.http.post("/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV", body=b"{}",
                                          headers={"Content-Type": "application/json"})
    assert response.status_code == 404


def test_a_booking_for_an_unknown_student_fails_is_listed_and_applies_on_replay(hook):
    w, send = hook["w"], hook["send"]
    stranger = booking(w, booking_id="bk-new")
    stranger["data"]["student"] = {"name": "Zoë Müller", "email": "zoe@new.example"}
    answer = send.standard(stranger)
    assert answer.status == 200 and answer.body["status"] == "failed"
    assert "no student with email zoe@new.example" in answer.body["reason"]
    failed = w.admin.get(f"/integrations/{hook['integration']['id']}/deliveries?status=failed").body["items"]
    assert [d["id"] for d in failed] == [answer.body["delivery_id"]]
    student = w.staff.post("/students", {"name": "Zoë Müller", "email": "zoe@new.example"}).body
    still = w.admin.post(f"/integrations/{hook['integration']['id']}/deliveries/{answer.body['delivery_id']}/replay")
    assert still.status == 200 and still.body["status"] == "failed" and "not enrolled" in still.body["reason"]
    w.staff.post(f"/schedules/{hook['schedule']['id']}/enrollments", {
        "student_id": student["id"], "initial_balance": 2, "responsible_staff_id": w.ids["staff_id"]})
    replayed = w.admin.post(f"/integrations/{hook['integration']['id']}/deliveries/{answer.body['delivery_id']}/replay")
    assert replayed.status == 200 and replayed.body["status"] == "applied" and replayed.body["replays"] == 2
    assert [s["student_id"] for s in sessions(hook)] == [student["id"]]
    assert w.admin.get(f"/integrations/{hook['integration']['id']}/deliveries?status=failed").body["items"] == []
    again = w.admin.post(f"/integrations/{hook['integration']['id']}/deliveries/{answer.body['delivery_id']}/replay")
    assert again.status == 409


def test_an_unmapped_event_type_is_kept_as_failed(hook):
    answer = hook["send"].standard(booking(hook["w"], event_type="guitar-60"))
    assert answer.body["status"] == "failed" and "not mapped" in answer.body["reason"]
    assert sessions(hook) == []


@pytest.mark.parametrize("hours_before,charged", [(19, True), (30, False)])
def test_a_cancellation_is_late_by_its_own_time(hook, hours_before, charged):
    send = hook["send"]
    send.standard(booking(hook["w"]))
    cancelled_at = (START - timedelta(hours=hours_before)).isoformat()
    answer = send.standard(booking(hook["w"], "booking.cancelled", cancelled_at=cancelled_at, cancelled_by="student"))
    assert answer.body["status"] == "applied"
    assert balance(hook) == (4 if charged else 5)
    roster = hook["w"].staff.get(f"/sessions/{sessions(hook)[0]['id']}/attendance").body["items"]
    assert roster[0]["status"] == "cancelled" and roster[0]["charged"] is charged


def test_a_school_cancellation_from_the_booking_system_cancels_the_session(hook):
    send = hook["send"]
    send.standard(booking(hook["w"]))
    send.standard(booking(hook["w"], "booking.no_show"))
    answer = send.standard(booking(hook["w"], "booking.cancelled", cancelled_by="school"))
    assert answer.body["status"] == "applied"
    assert sessions(hook)[0]["status"] == "cancelled" and balance(hook) == 5


def test_a_cancellation_before_its_booking_gives_the_same_result_as_in_order(hook):
    send = hook["send"]
    cancel = booking(hook["w"], "booking.cancelled", cancelled_at=(START - timedelta(hours=2)).isoformat())
    first = send.standard(cancel)
    assert first.body["status"] == "applied" and sessions(hook) == []
    second = send.standard(booking(hook["w"]))
    assert second.body["status"] == "applied"
    [session] = sessions(hook)
    roster = hook["w"].staff.get(f"/sessions/{session['id']}/attendance").body["items"]
    assert (roster[0]["status"], roster[0]["charged"]) == ("cancelled", True)  # 2 h before: late
    assert balance(hook) == 4


def test_a_no_show_then_its_reversal_leaves_the_balance_with_both_moves_in_the_ledger(hook):
    send = hook["send"]
    send.standard(booking(hook["w"]))
    assert send.standard(booking(hook["w"], "booking.no_show")).body["status"] == "applied"
    assert balance(hook) == 4
    assert send.standard(booking(hook["w"], "booking.no_show_reverted")).body["status"] == "applied"
    assert balance(hook) == 5
    moves = [(e["kind"], e["delta"], e["actor"].startswith("webhook:delivery:")) for e in ledger(hook)[1:]]
    assert moves == [("attendance", -1, True), ("reversal", 1, True)]
    undone_again = send.standard(booking(hook["w"], "booking.no_show_reverted"))
    assert undone_again.body["status"] == "ignored"


def test_a_reschedule_moves_the_session_and_its_marks(hook):
    send = hook["send"]
    send.standard(booking(hook["w"]))
    moved = send.standard(booking(hook["w"], "booking.rescheduled", start=START + timedelta(days=2)))
    assert moved.body["status"] == "applied"
    [session] = sessions(hook)
    assert session["starts_at"] == "2027-03-03T17:00:00.000Z"
    again = send.standard(booking(hook["w"], "booking.rescheduled", start=START + timedelta(days=2)))
    assert again.body["status"] == "duplicate"


def test_non_ascii_names_are_verified_over_their_exact_bytes(hook, world):
    w = world
    student = w.staff.post("/students", {"name": "Zoë Müller-Ødegård", "email": "zoe@ü.example"}).body
    w.staff.post(f"/schedules/{hook['schedule']['id']}/enrollments", {
        "student_id": student["id"], "initial_balance": 1, "responsible_staff_id": w.ids["staff_id"]})
    event = booking(w, booking_id="bk-ü")
    event["data"]["student"] = {"name": "Zoë Müller-Ødegård", "email": "zoe@ü.example"}
    answer = hook["send"].standard(event)
    assert answer.status == 200 and answer.body["status"] == "applied"


def test_a_retired_integration_refuses_deliveries(hook):
    w = hook["w"]
    assert w.admin.delete(f"/integrations/{hook['integration']['id']}").body["active"] is False
    assert hook["send"].standard(booking(w)).status == 404
    assert w.admin.get(f"/integrations/{hook['integration']['id']}/deliveries").status == 200


def test_integrations_refuse_unknown_schedules_and_other_companies(hook, client):
    from tests.functional.helpers import build_world

    bad = hook["w"].admin.post("/integrations", {"provider": "calcom", "name": "x",
                                                 "event_types": {"12": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}})
    assert bad.status == 400 and bad.body["error"]["details"][0]["field"] == "event_types.12"
    acuity = hook["w"].admin.post("/integrations", {"provider": "acuity", "name": "x"})
    assert acuity.status == 400 and {d["field"] for d in acuity.body["error"]["details"]} == {"account_id", "secret"}
    other = build_world(client)
    assert other.admin.get(f"/integrations/{hook['integration']['id']}/deliveries").status == 404
    assert other.admin.delete(f"/integrations/{hook['integration']['id']}").status == 404
