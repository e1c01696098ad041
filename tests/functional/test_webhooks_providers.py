"""Cal.com, Calendly and Acuity deliveries, built from each provider's documented format
(tests/fixtures/webhooks), signed by each provider's scheme."""

import base64
import json
import threading
import time
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from chalicelib.webhooks import calendly as calendly_scheme
from tests.functional.webhook_helpers import Sender
from tests.support import hours_from_now, table_items

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks"
CAL_TYPE = "1187"
CALENDLY_TYPE = "https://api.calendly.com/event_types/3b9f1d2e-6c4a-4e8b-a7d5-1f0c2e3d4b5a"
ACUITY_TYPE = "12976640"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def school(world):
    """Zoë Müller, enrolled with 5 in German B1 1:1 taught by Anna Schmidt (the fixtures' people)."""
    w = world
    anna = w.admin.post(
        "/staff", {"name": "Anna Schmidt", "email": "anna.schmidt@optclass.example", "role": "teacher"}
    ).body
    zoe = w.staff.post("/students", {"name": "Zoë Müller", "email": "zoe.mueller@example.com"}).body
    schedule = w.staff.post(
        "/schedules",
        {
            "name": "German B1",
            "kind": "one_to_one",
            "teacher_id": anna["id"],
            "policy": {"late_cancel_hours": 24, "no_show": "deduct"},
        },
    ).body
    enrollment = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": zoe["id"], "initial_balance": 5, "responsible_staff_id": w.ids["staff_id"]},
    ).body
    return {"w": w, "schedule": schedule, "eid": enrollment["id"], "zoe": zoe, "anna": anna}


def connect(school, provider, event_type, **extra):
    made = school["w"].admin.post(
        "/integrations",
        {"provider": provider, "name": provider, "event_types": {event_type: school["schedule"]["id"]}, **extra},
    )
    assert made.status == 201, made.body
    return Sender(school["w"].client, made.body), made.body


def sessions(school, around: date | None = None):
    """The schedule's sessions in March 2026 (the fixtures' fixed, past dates), or within a week of `around`."""
    w = school["w"]
    window = (
        "from=2026-03-01&to=2026-03-31"
        if around is None
        else f"from={around - timedelta(days=7)}&to={around + timedelta(days=7)}"
    )
    return w.staff.get(f"/schedules/{school['schedule']['id']}/sessions?{window}").body["items"]


def ahead(hours: float) -> datetime:
    """An instant `hours` from now, to the minute (a cancellation's own time must lie between the
    enrollment's creation and now since issue 12, so sessions to cancel are booked relative to now)."""
    return datetime.fromisoformat(hours_from_now(hours)).replace(second=0, microsecond=0)


def z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def balance(school):
    return school["w"].staff.get(f"/enrollments/{school['eid']}").body["balance"]


def roster_status(school, session_id):
    item = school["w"].staff.get(f"/sessions/{session_id}/attendance").body["items"][0]
    return item["status"], item["charged"]


# --- Cal.com ------------------------------------------------------------------------------


def test_calcom_booking_reschedule_no_show_and_cancel(school):
    send, _ = connect(school, "calcom", CAL_TYPE)
    created = send.calcom(fixture("calcom_booking_created.json"))
    assert created.status == 200 and created.body["status"] == "applied"
    [session] = sessions(school)
    assert session["starts_at"] == "2026-03-10T15:00:00.000Z" and session["teacher_id"] == school["anna"]["id"]
    moved = send.calcom(fixture("calcom_booking_rescheduled.json"))  # a new uid; the old one is rescheduleUid
    assert moved.body["status"] == "applied"
    [session] = sessions(school)
    assert session["starts_at"] == "2026-03-12T16:00:00.000Z"
    no_show = fixture("calcom_no_show_updated.json")  # names the new uid
    assert send.calcom(no_show).body["status"] == "applied" and balance(school) == 4
    no_show["payload"]["attendees"][0]["noShow"] = False
    assert send.calcom(no_show).body["status"] == "applied" and balance(school) == 5
    # Issue 12: a no-show needs a session that has started (the fixtures' March 2026), and a
    # cancellation's own time (Cal.com's `createdAt`) lies between the enrollment's creation and
    # now; so, for a cancellation that is not late, the booking is first moved to 32 h from now.
    start = ahead(32)
    moved_ahead = fixture("calcom_booking_rescheduled.json")
    moved_ahead["createdAt"] = hours_from_now(0)
    moved_ahead["payload"].update(
        startTime=start.isoformat(),
        endTime=(start + timedelta(minutes=50)).isoformat(),
        rescheduleStartTime="2026-03-12T16:00:00Z",
        rescheduleEndTime="2026-03-12T16:50:00Z",
    )
    assert send.calcom(moved_ahead).body["status"] == "applied"
    [session] = sessions(school, around=start.date())
    assert session["starts_at"] == z(start)
    cancelled = fixture("calcom_booking_cancelled.json")
    cancelled["createdAt"] = hours_from_now(0)
    cancelled["payload"].update(startTime=start.isoformat(), endTime=(start + timedelta(minutes=50)).isoformat())
    cancelled = send.calcom(cancelled)  # made now, 32 h before: not late
    assert cancelled.body["status"] == "applied"
    assert roster_status(school, session["id"]) == ("cancelled", False) and balance(school) == 5


def test_calcom_meeting_ended_is_recorded_and_charges_nothing(school):
    send, integration = connect(school, "calcom", CAL_TYPE)
    send.calcom(fixture("calcom_booking_created.json"))
    ended = send.calcom(fixture("calcom_meeting_ended.json"))
    assert ended.status == 200 and ended.body["status"] == "ignored" and "does not prove" in ended.body["reason"]
    assert balance(school) == 5
    log = school["w"].admin.get(f"/integrations/{integration['id']}/deliveries").body["items"]
    assert [d["event"] for d in log] == ["MEETING_ENDED", "BOOKING_CREATED"]


@pytest.mark.parametrize("signature", [None, "no-secret-provided", "0" * 64, "forged"])
def test_calcom_refuses_missing_literal_no_secret_and_forged_signatures(school, signature):
    send, _ = connect(school, "calcom", CAL_TYPE)
    body = json.dumps(fixture("calcom_booking_created.json")).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Cal-Signature-256"] = signature
    before = table_items()
    answer = send.raw(body, headers)
    assert answer.status == 401 and table_items() == before


def test_calcom_same_delivery_three_times_has_one_effect(school):
    send, _ = connect(school, "calcom", CAL_TYPE)
    send.calcom(fixture("calcom_booking_created.json"))
    send.calcom(fixture("calcom_booking_rescheduled.json"))
    answers = [send.calcom(fixture("calcom_no_show_updated.json")) for _ in range(3)]
    assert [a.body["repeat"] for a in answers] == [False, True, True]
    assert balance(school) == 4


# --- Calendly -----------------------------------------------------------------------------


def test_calendly_booking_and_cancellation(school):
    # Issue 12: a cancellation's own time (`cancellation.created_at`) lies between the enrollment's
    # creation and now, so the fixtures' times are made relative: the lesson starts 31 h from now,
    # booked and then cancelled now.
    send, _ = connect(school, "calendly", CALENDLY_TYPE)
    start, now = ahead(31), hours_from_now(0)
    end = start + timedelta(minutes=50)
    created, canceled = fixture("calendly_invitee_created.json"), fixture("calendly_invitee_canceled.json")
    for event in (created, canceled):
        event["created_at"] = event["payload"]["created_at"] = now
        event["payload"]["scheduled_event"].update(
            start_time=start.isoformat(), end_time=end.isoformat(), created_at=now
        )
    for cancellation in (canceled["payload"]["cancellation"], canceled["payload"]["scheduled_event"]["cancellation"]):
        cancellation["created_at"] = now
    assert send.calendly(created).body["status"] == "applied"
    [session] = sessions(school, around=start.date())
    assert session["starts_at"] == z(start)
    cancelled = send.calendly(canceled)  # by the invitee, 31 h before
    assert cancelled.body["status"] == "applied"
    assert roster_status(school, session["id"]) == ("cancelled", False)


@pytest.mark.parametrize("order", ["cancel-half-first", "create-half-first"])
def test_calendly_reschedule_halves_in_either_order_move_the_session(school, order):
    send, _ = connect(school, "calendly", CALENDLY_TYPE)
    send.calendly(fixture("calendly_invitee_created.json"))
    halves = [
        fixture("calendly_invitee_canceled_rescheduled.json"),
        fixture("calendly_invitee_created_rescheduled.json"),
    ]
    if order == "create-half-first":
        halves.reverse()
    answers = [send.calendly(h) for h in halves]
    assert all(a.status == 200 for a in answers)
    [session] = sessions(school)
    assert session["starts_at"] == "2026-03-12T16:00:00.000Z" and session["status"] == "scheduled"
    assert roster_status(school, session["id"]) == ("unmarked", False) and balance(school) == 5
    no_show = send.calendly(fixture("calendly_invitee_no_show_created.json"))  # names the new invitee
    assert no_show.body["status"] == "applied" and balance(school) == 4
    undone = send.calendly(fixture("calendly_invitee_no_show_deleted.json"))
    assert undone.body["status"] == "applied" and balance(school) == 5


def test_calendly_refuses_stale_forged_and_missing_signatures(school):
    send, _ = connect(school, "calendly", CALENDLY_TYPE)
    body = json.dumps(fixture("calendly_invitee_created.json")).encode()
    before = table_items()
    stale = send.calendly(fixture("calendly_invitee_created.json"), timestamp=int(time.time()) - 400)
    forged = send.raw(body, {"Calendly-Webhook-Signature": f"t={int(time.time())},v1={'ab' * 32}"})
    missing = send.raw(body, {"Content-Type": "application/json"})
    other_key = send.raw(
        body, {"Calendly-Webhook-Signature": calendly_scheme.sign("not-the-key", int(time.time()), body)}
    )
    assert [a.status for a in (stale, forged, missing, other_key)] == [401, 401, 401, 401]
    assert table_items() == before


def test_calendly_same_delivery_three_times_has_one_effect(school):
    send, _ = connect(school, "calendly", CALENDLY_TYPE)
    body = json.dumps(fixture("calendly_invitee_created.json")).encode()
    header = calendly_scheme.sign(send.secret, int(time.time()), body)
    answers = [send.raw(body, {"Calendly-Webhook-Signature": header}) for _ in range(3)]
    assert [a.body["repeat"] for a in answers] == [False, True, True] and len(sessions(school)) == 1


# --- Acuity -------------------------------------------------------------------------------


class FakeAcuity:
    """Acuity's appointments API on localhost: answers GET /appointments/{id} with basic auth."""

    def __init__(self, user: str, key: str):
        self.user, self.key = user, key
        self.appointments: dict[str, dict] = {}
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                fake.requests += 1
                expected = "Basic " + base64.b64encode(f"{fake.user}:{fake.key}".encode()).decode()
                appointment = fake.appointments.get(self.path.rsplit("/", 1)[-1])
                status = 401 if self.headers.get("Authorization") != expected else 200 if appointment else 404
                body = json.dumps(appointment if status == 200 else {"status_code": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/api/v1"


@pytest.fixture
def acuity(school, monkeypatch):
    fake = FakeAcuity("18141694", "acuity-api-key-123")
    monkeypatch.setenv("OPTCLASS_ACUITY_API_BASE", fake.base)
    fake.appointments["1108423517"] = fixture("acuity_appointment.json")
    send, integration = connect(school, "acuity", ACUITY_TYPE, account_id=fake.user, secret=fake.key)
    yield fake, send, integration
    fake.server.shutdown()


def form(action: str) -> str:
    return (FIXTURES / f"acuity_webhook_{action}.txt").read_text()


def test_acuity_scheduled_is_fetched_from_its_api_and_changed_does_not_apply_twice(school, acuity):
    fake, send, _ = acuity
    assert send.acuity(form("scheduled")).body["status"] == "applied"
    [session] = sessions(school)
    assert session["starts_at"] == "2026-03-10T15:00:00.000Z" and session["ends_at"] == "2026-03-10T15:50:00.000Z"
    changed = send.acuity(form("changed"))
    assert changed.status == 200 and changed.body["status"] == "duplicate" and len(sessions(school)) == 1
    fake.appointments["1108423517"]["datetime"] = "2026-03-11T09:30:00+0100"
    assert send.acuity(form("rescheduled")).body["status"] == "applied"
    assert sessions(school)[0]["starts_at"] == "2026-03-11T08:30:00.000Z"
    assert send.acuity(form("changed")).body["status"] == "duplicate"
    fake.appointments["1108423517"]["canceled"] = True
    assert send.acuity(form("canceled")).body["status"] == "applied"
    assert roster_status(school, sessions(school)[0]["id"])[0] == "cancelled"
    assert send.acuity(form("changed")).body["status"] == "duplicate"
    assert fake.requests == 6  # every Acuity delivery is read from its API: the body alone says too little


def test_acuity_no_show_is_a_cancelled_appointment_flagged_no_show(school, acuity):
    fake, send, _ = acuity
    send.acuity(form("scheduled"))
    fake.appointments["1108423517"] = fixture("acuity_appointment_canceled_no_show.json")
    assert send.acuity(form("changed")).body["status"] == "applied"
    assert roster_status(school, sessions(school)[0]["id"]) == ("no_show", True) and balance(school) == 4


def test_acuity_refuses_forged_and_missing_signatures(school, acuity):
    _, send, _ = acuity
    body = form("scheduled").encode()
    before = table_items()
    forged = send.raw(body, {"Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": "AAAA"})
    missing = send.raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert (forged.status, missing.status) == (401, 401) and table_items() == before


def test_acuity_api_failure_keeps_the_delivery_as_failed_and_replay_applies_it(school, acuity, monkeypatch):
    fake, send, integration = acuity
    monkeypatch.setenv("OPTCLASS_ACUITY_API_BASE", "http://127.0.0.1:9/api/v1")
    failed = send.acuity(form("scheduled"))
    assert failed.status == 200 and failed.body["status"] == "failed" and "did not answer" in failed.body["reason"]
    monkeypatch.setenv("OPTCLASS_ACUITY_API_BASE", fake.base)
    replayed = school["w"].admin.post(
        f"/integrations/{integration['id']}/deliveries/{failed.body['delivery_id']}/replay"
    )
    assert replayed.body["status"] == "applied" and len(sessions(school)) == 1


def test_acuity_same_delivery_three_times_has_one_effect(school, acuity):
    fake, send, _ = acuity
    answers = [send.acuity(form("scheduled")) for _ in range(3)]
    assert [a.body["repeat"] for a in answers] == [False, True, True]
    assert len(sessions(school)) == 1
