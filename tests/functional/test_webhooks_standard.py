"""Booking-system deliveries, shown with OptClass's own events (Standard Webhooks):
verification, effects, repeats, failures and replays, ordering, the deliveries log."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.functional.webhook_helpers import Sender
from tests.support import hours_from_now, table_items

# A session ahead, on the hour (relative to now: issue 12's rules judge instants against now).
START = (datetime.now(timezone.utc) + timedelta(days=60)).replace(hour=17, minute=0, second=0, microsecond=0)


def at(hours: float) -> datetime:
    """An instant `hours` from now (negative: in the past)."""
    return datetime.fromisoformat(hours_from_now(hours))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


STARTED = at(-1).replace(second=0, microsecond=0)  # a session that began an hour ago: marks may be recorded


@pytest.fixture
def hook(world):
    w = world
    # Booked per student (issue 12's capacity model: a 1:1 schedule with a capacity above 1 has its
    # sessions booked one student at a time), so the tests that enrol a second student can.
    schedule = w.staff.post(
        "/schedules",
        {
            "name": "Piano 1:1",
            "kind": "one_to_one",
            "teacher_id": w.ids["teacher_id"],
            "capacity": 5,
            "policy": {"cancelled": "credit", "no_show": "deduct", "late_cancel_hours": 24},
        },
    ).body
    enrollment = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 5, "responsible_staff_id": w.ids["staff_id"]},
    ).body
    made = w.admin.post(
        "/integrations",
        {"provider": "standard", "name": "Our booking page", "event_types": {"piano-30": schedule["id"]}},
    )
    assert made.status == 201 and made.body["secret"].startswith("whsec_")
    return {
        "w": w,
        "schedule": schedule,
        "eid": enrollment["id"],
        "send": Sender(w.client, made.body),
        "integration": made.body,
    }


def booking(w, kind="booking.created", booking_id="bk-1", start=START, **data):
    body = {
        "booking_id": booking_id,
        "event_type": "piano-30",
        "student": {"name": "Stella Student", "email": f"stella@{w.company_id}.example"},
        "teacher": {"name": "Tina Teacher", "email": f"teacher@{w.company_id}.example"},
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "status": "booked",
    }
    body.update(data)
    return {"type": kind, "timestamp": datetime.now(timezone.utc).isoformat(), "data": body}


def balance(h):
    return h["w"].staff.get(f"/enrollments/{h['eid']}").body["balance"]


def sessions(h):
    today = datetime.now(timezone.utc).date()
    window = f"from={today - timedelta(days=30)}&to={today + timedelta(days=330)}"  # STARTED .. START + 2 days
    return h["w"].staff.get(f"/schedules/{h['schedule']['id']}/sessions?{window}").body["items"]


def ledger(h):
    return h["w"].staff.get(f"/enrollments/{h['eid']}/ledger").body["items"]


def test_a_booking_makes_a_session_for_the_student_with_the_teacher(hook):
    answer = hook["send"].standard(booking(hook["w"]))
    assert answer.status == 200 and answer.body["status"] == "applied"
    [session] = sessions(hook)
    assert session["starts_at"] == iso(START) and session["ends_at"] == iso(START + timedelta(minutes=30))
    assert session["student_id"] == hook["w"].ids["student_id"] and session["teacher_name"] == "Tina Teacher"
    assert session["origin"] == "booking"


def test_the_same_delivery_three_times_has_one_effect(hook):
    event = booking(hook["w"], start=STARTED)  # started: a no-show can be recorded (issue 12)
    answers = [hook["send"].standard(event, msg_id="msg_same") for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert [a.body["repeat"] for a in answers] == [False, True, True]
    assert len(sessions(hook)) == 1
    no_show = booking(hook["w"], "booking.no_show", start=STARTED)
    no_shows = [hook["send"].standard(no_show, msg_id="msg_noshow") for _ in range(3)]
    assert [(a.body["status"], a.body["repeat"]) for a in no_shows] == [
        ("applied", False),
        ("applied", True),
        ("applied", True),
    ]
    assert balance(hook) == 4 and len(ledger(hook)) == 2
    log = hook["w"].admin.get(f"/integrations/{hook['integration']['id']}/deliveries").body["items"]
    assert sorted(d["repeats"] for d in log) == [2, 2]


@pytest.mark.parametrize("tamper", ["forged", "missing", "stale", "wrong secret", "body changed"])
def test_unsigned_forged_or_stale_deliveries_are_401_and_change_nothing(hook, tamper):
    send, event = hook["send"], booking(hook["w"])
    before = table_items()
    if tamper == "forged":
        body = b'{"type": "booking.created"}'
        answer = send.raw(
            body,
            {
                "webhook-id": "m",
                "webhook-timestamp": str(int(time.time())),
                "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            },
        )
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
        answer = send.raw(
            body.replace(b"bk-1", b"bk-2"),
            {"webhook-id": "m1", "webhook-timestamp": str(ts), "webhook-signature": signature},
        )
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

    response = hook["w"].client.http.post(
        "/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV", body=b"{}", headers={"Content-Type": "application/json"}
    )
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
    assert student["id"]
    still = w.admin.post(f"/integrations/{hook['integration']['id']}/deliveries/{answer.body['delivery_id']}/replay")
    assert still.status == 200 and still.body["status"] == "failed" and "not enrolled" in still.body["reason"]
    enrolled = w.staff.post(
        f"/schedules/{hook['schedule']['id']}/enrollments",
        {"student_id": student["id"], "initial_balance": 2, "responsible_staff_id": w.ids["staff_id"]},
    )
    assert enrolled.status == 201, enrolled.body
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
    # Issue 12: a cancellation's own time lies between the enrollment's creation and now, so the
    # session is booked `hours_before` ahead and cancelled (by its own time) now.
    send = hook["send"]
    start = at(hours_before).replace(microsecond=0)
    assert send.standard(booking(hook["w"], start=start)).body["status"] == "applied"
    cancelled_at = at(0).isoformat()
    answer = send.standard(
        booking(hook["w"], "booking.cancelled", start=start, cancelled_at=cancelled_at, cancelled_by="student")
    )
    assert answer.body["status"] == "applied"
    assert balance(hook) == (4 if charged else 5)
    roster = hook["w"].staff.get(f"/sessions/{sessions(hook)[0]['id']}/attendance").body["items"]
    assert roster[0]["status"] == "cancelled" and roster[0]["charged"] is charged


def test_a_school_cancellation_from_the_booking_system_cancels_the_session(hook):
    send = hook["send"]
    send.standard(booking(hook["w"], start=STARTED))  # started, so the no-show is recorded (issue 12)
    assert send.standard(booking(hook["w"], "booking.no_show", start=STARTED)).body["status"] == "applied"
    assert balance(hook) == 4
    answer = send.standard(booking(hook["w"], "booking.cancelled", start=STARTED, cancelled_by="school"))
    assert answer.body["status"] == "applied"
    assert sessions(hook)[0]["status"] == "cancelled" and balance(hook) == 5


def test_a_cancellation_before_its_booking_gives_the_same_result_as_in_order(hook):
    # Issue 12: the cancellation's time lies between the enrollment's creation and now, so the
    # session starts 2 h from now and the (early-arriving) cancellation was made now.
    send = hook["send"]
    start = at(2).replace(microsecond=0)
    cancel = booking(hook["w"], "booking.cancelled", start=start, cancelled_at=at(0).isoformat())
    first = send.standard(cancel)
    assert first.body["status"] == "applied" and sessions(hook) == []
    second = send.standard(booking(hook["w"], start=start))
    assert second.body["status"] == "applied"
    [session] = sessions(hook)
    roster = hook["w"].staff.get(f"/sessions/{session['id']}/attendance").body["items"]
    assert (roster[0]["status"], roster[0]["charged"]) == ("cancelled", True)  # 2 h before: late
    assert balance(hook) == 4


@pytest.mark.parametrize("order", ["in order", "cancellation first"])
def test_a_cancellation_dated_in_the_future_fails_in_either_order_and_the_booking_stands(hook, order):
    send = hook["send"]
    start = at(30).replace(microsecond=0)

    def made():
        return send.standard(booking(hook["w"], start=start))

    def cancel():
        return send.standard(booking(hook["w"], "booking.cancelled", start=start, cancelled_at=at(1).isoformat()))

    if order == "in order":
        first, second = made(), cancel()
        booked, cancelled = first, second
    else:
        first, second = cancel(), made()
        booked, cancelled = second, first
    assert booked.body["status"] == "applied", booked.body
    assert cancelled.body["status"] == "failed"
    assert "between the enrollment's start and now" in cancelled.body["reason"]
    [session] = sessions(hook)
    [row] = hook["w"].staff.get(f"/sessions/{session['id']}/attendance").body["items"]
    assert (row["status"], row["charged"]) == ("unmarked", False), row  # on the roster, not cancelled
    assert balance(hook) == 5


def test_a_no_show_then_its_reversal_leaves_the_balance_with_both_moves_in_the_ledger(hook):
    send = hook["send"]
    send.standard(booking(hook["w"], start=STARTED))  # started: a no-show can be recorded (issue 12)
    assert send.standard(booking(hook["w"], "booking.no_show", start=STARTED)).body["status"] == "applied"
    assert balance(hook) == 4
    assert send.standard(booking(hook["w"], "booking.no_show_reverted", start=STARTED)).body["status"] == "applied"
    assert balance(hook) == 5
    moves = [(e["kind"], e["delta"], e["actor"].startswith("webhook:delivery:")) for e in ledger(hook)[1:]]
    assert moves == [("attendance", -1, True), ("reversal", 1, True)]
    undone_again = send.standard(booking(hook["w"], "booking.no_show_reverted", start=STARTED))
    assert undone_again.body["status"] == "ignored"


def test_a_reschedule_moves_the_session_and_its_marks(hook):
    send = hook["send"]
    send.standard(booking(hook["w"]))
    moved = send.standard(booking(hook["w"], "booking.rescheduled", start=START + timedelta(days=2)))
    assert moved.body["status"] == "applied"
    [session] = sessions(hook)
    assert session["starts_at"] == iso(START + timedelta(days=2))
    again = send.standard(booking(hook["w"], "booking.rescheduled", start=START + timedelta(days=2)))
    assert again.body["status"] == "duplicate"


def test_non_ascii_names_are_verified_over_their_exact_bytes(hook, world):
    w = world
    student = w.staff.post("/students", {"name": "Zoë Müller-Ødegård", "email": "zoe@ü.example"}).body
    enrolled = w.staff.post(
        f"/schedules/{hook['schedule']['id']}/enrollments",
        {"student_id": student["id"], "initial_balance": 1, "responsible_staff_id": w.ids["staff_id"]},
    )
    assert enrolled.status == 201, enrolled.body
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

    bad = hook["w"].admin.post(
        "/integrations", {"provider": "calcom", "name": "x", "event_types": {"12": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}}
    )
    assert bad.status == 400 and bad.body["error"]["details"][0]["field"] == "event_types.12"
    acuity = hook["w"].admin.post("/integrations", {"provider": "acuity", "name": "x"})
    assert acuity.status == 400 and {d["field"] for d in acuity.body["error"]["details"]} == {"account_id", "secret"}
    other = build_world(client)
    assert other.admin.get(f"/integrations/{hook['integration']['id']}/deliveries").status == 404
    assert other.admin.delete(f"/integrations/{hook['integration']['id']}").status == 404


# --- values the HTTP API would refuse (issue 12): a failed delivery or a 400, never a 5xx ------------


def booked_items(h) -> list[dict]:
    """The company's sessions and bookings in the table (a refused delivery makes neither)."""
    return [
        i
        for i in table_items()
        if i.get("company_id", {}).get("S") == h["w"].company_id
        and i.get("type", {}).get("S") in ("session", "booking")
    ]


def assert_kept_as_failed(h, answer, reason_has: str):
    assert 200 <= answer.status < 300, answer.body
    assert answer.body["status"] == "failed" and reason_has in answer.body["reason"], answer.body
    failed = h["w"].admin.get(f"/integrations/{h['integration']['id']}/deliveries?status=failed").body["items"]
    assert [d["id"] for d in failed] == [answer.body["delivery_id"]]
    assert booked_items(h) == [] and sessions(h) == []


@pytest.mark.parametrize("start", ["0001-01-01T17:00:00+00:00", "9999-06-01T17:00:00+00:00"])
def test_a_signed_booking_in_year_0001_or_9999_is_kept_as_failed(hook, start):
    event = booking(hook["w"])
    event["data"]["start"], event["data"]["end"] = start, start.replace("17:00", "17:30")
    assert_kept_as_failed(hook, hook["send"].standard(event), "data.start is not an instant between 1970 and 2200")


def test_a_signed_booking_that_ends_before_it_starts_is_kept_as_failed(hook):
    event = booking(hook["w"])
    event["data"]["end"] = (START - timedelta(minutes=30)).isoformat()
    assert_kept_as_failed(hook, hook["send"].standard(event), "ends before it starts")


def test_a_signed_booking_with_a_2000_character_id_is_kept_as_failed(hook):
    answer = hook["send"].standard(booking(hook["w"], booking_id="b" * 2000))
    assert_kept_as_failed(hook, answer, "booking_id is longer than 200 characters")


def test_a_signed_body_nested_1000_deep_is_400_and_stores_nothing(hook):
    before = table_items()
    event = booking(hook["w"])
    prefix = json.dumps(event, ensure_ascii=False)[:-2]  # `...}}`: the nesting goes inside data
    nested = (prefix + ', "extra": ' + "[" * 1000 + "]" * 1000 + "}}").encode()
    answer = hook["send"].standard_body(nested)
    assert answer.status == 400 and answer.body["error"]["code"] == "invalid_input", answer.body
    assert "nests deeper than 32" in answer.body["error"]["message"]
    assert table_items() == before
