"""Store failures at every request of every write use case.

Each use case is run once normally while its DynamoDB requests are counted (N). Then, for
every k in 1..N and each kind of transient failure (throttling, transaction conflict,
timeout), on a fresh table holding the same records:

- the k-th request and every later one fail: the caller is answered 503 with Retry-After
  (the job raises StoreUnavailable), the stored state keeps its invariants, and the very
  same request repeated without faults completes, with its effect exactly once;
- only the k-th request fails, once: the retry layer absorbs it, and the request succeeds
  with its effect exactly once;
- the k-th request is made and then its answer is lost (a read timeout after DynamoDB did
  the work): the request ends in exactly the state and answer it would have had.

The invariants (tests/invariants.py) are checked from the raw table after every step.
"""

import copy
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import config, jobs
from chalicelib.errors import StoreUnavailable
from chalicelib.services.webhooks import secrets_context
from chalicelib.store import engine, secrets, stream
from chalicelib.webhooks import standard
from tests.faults import conflict, inject, lost_answer, throttling, timeout
from tests.functional.helpers import Answer, World, build_world
from tests.functional.webhook_helpers import Sender
from tests.invariants import check_invariants, violations
from tests.support import hours_from_now, table_items

KINDS = {"throttling": throttling, "conflict": conflict, "timeout": timeout, "lost_answer": lost_answer}
EVER_AFTER = 1000  # fail_at=range(k, k + EVER_AFTER): the k-th request and every later one fail
JOB_DAY = date(2027, 2, 1)
SENDER = "notifications@optclass.example"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def stored(moment: datetime) -> str:
    """An instant as the table keeps it (milliseconds, Z)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hours_ago(hours: int) -> datetime:
    """A whole minute `hours` before now: a session that has started, so it can be marked."""
    return datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=hours)


# --- reading the raw items --------------------------------------------------------------


def of_type(items: list[dict], kind: str) -> list[dict]:
    return [i for i in items if i.get("type", {}).get("S") == kind]


def text(item: dict, name: str) -> str | None:
    return item[name]["S"] if name in item and "S" in item[name] else None


def number(item: dict, name: str) -> int:
    return int(item[name]["N"])


def enrollments_of(items: list[dict], student_id: str) -> list[dict]:
    return [e for e in of_type(items, "enrollment") if text(e, "student_id") == student_id]


def ledger_of(items: list[dict], student_id: str) -> list[tuple[str, int]]:
    entries = sorted(
        (e for e in of_type(items, "ledger") if text(e, "student_id") == student_id), key=lambda e: number(e, "seq")
    )
    return [(text(e, "kind"), number(e, "delta")) for e in entries]


def balance_of(items: list[dict], student_id: str) -> int:
    [enrollment] = enrollments_of(items, student_id)
    return number(enrollment, "balance")


def marks_of(items: list[dict]) -> dict[str, tuple[str, bool, str | None]]:
    """student id -> (status, charged, cancelled_by) of every stored mark."""
    return {
        text(m, "student_id"): (text(m, "status"), m["charged"]["BOOL"], text(m, "cancelled_by"))
        for m in of_type(items, "mark")
    }


# --- the use cases ------------------------------------------------------------------------


@dataclass
class Case:
    """One write use case: `prepare` makes its records (on an empty table) and returns the
    context `send` and `done` need; `send` makes the request (the same every time it is
    called with that context); `done` asserts, from the answer and the stored items, that
    it completed with its effect exactly once. `atomic`: one transaction, so a failed
    attempt leaves the table exactly as it was."""

    prepare: Callable[[Any], dict]
    send: Callable[[dict], Any]
    done: Callable[[dict, Any, list[dict]], None]
    atomic: bool
    begin: Callable[[dict], None] = lambda context: None  # at the start of every scenario
    fresh: bool = False  # the normal run too starts from restored items (their changes still to count)


def world_with_schedule(client, kind="one_to_one") -> tuple[World, dict]:
    w = build_world(client)
    body = {"name": "Cello", "kind": kind, "teacher_id": w.ids["teacher_id"]}
    if kind == "group":
        body["capacity"] = 4
    made = w.staff.post("/schedules", body)
    assert made.status == 201, made.body
    return w, made.body


def add_student(w: World, name: str) -> str:
    made = w.staff.post("/students", {"name": name, "email": f"{name.lower()}@{w.company_id}.example"})
    assert made.status == 201, made.body
    return made.body["id"]


def enroll(w: World, schedule: dict, student_id: str, balance: int = 5) -> str:
    made = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": student_id, "initial_balance": balance, "responsible_staff_id": w.ids["staff_id"]},
    )
    assert made.status == 201, made.body
    return made.body["id"]


def add_session(w: World, schedule: dict) -> str:
    # Started an hour ago: every session made here is marked, and attended / no_show are
    # recorded only once a session has started (issue 12).
    made = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": hours_from_now(-1)})
    assert made.status == 201, made.body
    return made.body["id"]


def expect_ok(answer: Answer, status: int = 200) -> None:
    assert answer.status == status, (answer.status, answer.body)


# enroll: POST /schedules/{id}/enrollments


def prepare_enroll(client) -> dict:
    w, schedule = world_with_schedule(client)
    return {"w": w, "schedule": schedule, "student": w.ids["student_id"]}


def send_enroll(c: dict) -> Answer:
    return c["w"].staff.post(
        f"/schedules/{c['schedule']['id']}/enrollments",
        {"student_id": c["student"], "initial_balance": 5, "responsible_staff_id": c["w"].ids["staff_id"]},
    )


def done_enroll(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer, 201)
    assert (answer.body["student_id"], answer.body["balance"]) == (c["student"], 5)
    assert len(enrollments_of(items, c["student"])) == 1 and balance_of(items, c["student"]) == 5
    assert ledger_of(items, c["student"]) == [("initial", 5)]


# top-up and adjustment: POST /enrollments/{id}/top-ups, /adjustments


def prepare_enrolled(client) -> dict:
    w, schedule = world_with_schedule(client)
    return {
        "w": w,
        "schedule": schedule,
        "student": w.ids["student_id"],
        "eid": enroll(w, schedule, w.ids["student_id"]),
    }


def send_top_up(c: dict) -> Answer:
    return c["w"].staff.post(
        f"/enrollments/{c['eid']}/top-ups", {"sessions": 3, "note": "paid"}, headers=c.get("headers")
    )


def done_top_up(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert answer.body["balance"] == 8 and balance_of(items, c["student"]) == 8
    assert ledger_of(items, c["student"]) == [("initial", 5), ("top_up", 3)]


def send_adjust(c: dict) -> Answer:
    return c["w"].staff.post(f"/enrollments/{c['eid']}/adjustments", {"delta": -2, "reason": "miscounted"})


def done_adjust(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert answer.body["balance"] == 3 and balance_of(items, c["student"]) == 3
    assert ledger_of(items, c["student"]) == [("initial", 5), ("adjustment", -2)]


# mark and clear: PUT and DELETE /sessions/{id}/attendance/{student_id}


def prepare_session(client) -> dict:
    c = prepare_enrolled(client)
    c["session"] = add_session(c["w"], c["schedule"])
    return c


def send_mark(c: dict) -> Answer:
    return c["w"].teacher.put(
        f"/sessions/{c['session']}/attendance/{c['student']}", {"status": "attended"}, headers=c.get("headers")
    )


def done_mark(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["status"], answer.body["charged"], answer.body["balance"]) == ("attended", True, 4)
    assert marks_of(items) == {c["student"]: ("attended", True, None)}
    assert balance_of(items, c["student"]) == 4
    assert ledger_of(items, c["student"]) == [("initial", 5), ("attendance", -1)]


def prepare_marked(client) -> dict:
    c = prepare_session(client)
    expect_ok(send_mark(c))
    return c


def send_clear(c: dict) -> Answer:
    return c["w"].staff.delete(f"/sessions/{c['session']}/attendance/{c['student']}")


def done_clear(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["status"], answer.body["balance"]) == ("unmarked", 5)
    assert marks_of(items) == {} and balance_of(items, c["student"]) == 5
    assert ledger_of(items, c["student"]) == [("initial", 5), ("attendance", -1), ("reversal", 1)]


# bulk mark and school cancellation: a group of two


def prepare_group(client) -> dict:
    w, schedule = world_with_schedule(client, kind="group")
    first, second = w.ids["student_id"], add_student(w, "Bea")
    for student in (first, second):
        enroll(w, schedule, student)
    return {"w": w, "schedule": schedule, "first": first, "second": second, "session": add_session(w, schedule)}


def send_bulk(c: dict) -> Answer:
    return c["w"].teacher.post(
        f"/sessions/{c['session']}/attendance",
        {
            "records": [
                {"student_id": c["first"], "status": "attended"},
                {"student_id": c["second"], "status": "no_show"},
            ]
        },
        headers=c.get("headers"),
    )


def done_bulk(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    outcomes = {i["student_id"]: i for i in answer.body["items"]}
    assert [outcomes[s]["ok"] for s in (c["first"], c["second"])] == [True, True], outcomes
    assert (outcomes[c["first"]]["mark"]["status"], outcomes[c["second"]]["mark"]["status"]) == ("attended", "no_show")
    assert marks_of(items) == {c["first"]: ("attended", True, None), c["second"]: ("no_show", True, None)}
    for student in (c["first"], c["second"]):  # attended, and a no-show under the default policy (deduct)
        assert balance_of(items, student) == 4
        assert ledger_of(items, student) == [("initial", 5), ("attendance", -1)]


def prepare_group_marked(client) -> dict:
    c = prepare_group(client)
    expect_ok(c["w"].teacher.put(f"/sessions/{c['session']}/attendance/{c['first']}", {"status": "attended"}))
    return c


def send_cancel(c: dict) -> Answer:
    return c["w"].staff.post(f"/sessions/{c['session']}/cancel", {"reason": "teacher ill"})


def done_cancel(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert answer.body["session"]["status"] == "cancelled"
    assert sorted(
        (m["student_id"], m["status"], m["cancelled_by"], m["charged"], m["balance"]) for m in answer.body["marks"]
    ) == sorted([(c["first"], "cancelled", "school", False, 5), (c["second"], "cancelled", "school", False, 5)])
    [session] = of_type(items, "session")
    assert text(session, "status") == "cancelled"
    assert marks_of(items) == {c["first"]: ("cancelled", False, "school"), c["second"]: ("cancelled", False, "school")}
    assert ledger_of(items, c["first"]) == [("initial", 5), ("attendance", -1), ("reversal", 1)]
    assert ledger_of(items, c["second"]) == [("initial", 5)]
    assert balance_of(items, c["first"]) == balance_of(items, c["second"]) == 5


# webhook apply: POST /webhooks/{integration_id} (Standard Webhooks)

START = datetime(2027, 3, 1, 17, 0, tzinfo=timezone.utc)  # sessions only made, moved or cancelled ahead


def signed(c: dict, kind: str) -> tuple[bytes, dict]:
    """A signed delivery, made once: repeating it sends the very same bytes and headers. The
    booking starts at c["start"]."""
    w, start = c["w"], c["start"]
    event = {
        "type": kind,
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "data": {
            "booking_id": "bk-1",
            "event_type": "piano-30",
            "student": {"name": "Stella Student", "email": f"stella@{w.company_id}.example"},
            "teacher": {"name": "Tina Teacher", "email": f"teacher@{w.company_id}.example"},
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=30)).isoformat(),
            "status": "booked",
        },
    }
    body, msg_id, at = json.dumps(event).encode(), f"msg_{uuid.uuid4().hex}", int(time.time())
    return body, {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(at),
        "webhook-signature": standard.sign(c["sender"].secret, msg_id, at, body),
    }


def prepare_hook(client, start: datetime = START) -> dict:
    c = prepare_enrolled(client)
    c["start"] = start
    made = c["w"].admin.post(
        "/integrations",
        {"provider": "standard", "name": "Booking page", "event_types": {"piano-30": c["schedule"]["id"]}},
    )
    assert made.status == 201, made.body
    c["sender"] = Sender(client, made.body)
    c["delivery"] = signed(c, "booking.created")
    return c


def send_delivery(c: dict) -> Answer:
    return c["sender"].raw(*c["delivery"])


def done_booking(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["status"], answer.body["repeat"]) == ("applied", False)
    [session] = of_type(items, "session")
    assert (text(session, "origin"), text(session, "student_id"), text(session, "starts_at")) == (
        "booking",
        c["student"],
        stored(c["start"]),
    )
    assert [(text(b, "booking_id"), text(b, "state")) for b in of_type(items, "booking")] == [("bk-1", "booked")]
    assert [text(d, "status") for d in of_type(items, "delivery")] == ["applied"]
    assert ledger_of(items, c["student"]) == [("initial", 5)]


def prepare_booked(client) -> dict:
    # The booked session started an hour ago: a no-show is applied only once it has started
    # (before that the delivery is kept as failed, issue 12).
    c = prepare_hook(client, start=hours_ago(1))
    expect_ok(send_delivery(c))
    c["delivery"] = signed(c, "booking.no_show")
    return c


def done_no_show(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["status"], answer.body["repeat"]) == ("applied", False)
    assert marks_of(items) == {c["student"]: ("no_show", True, None)}
    assert balance_of(items, c["student"]) == 4
    assert ledger_of(items, c["student"]) == [("initial", 5), ("attendance", -1)]
    assert sorted(text(d, "status") for d in of_type(items, "delivery")) == ["applied", "applied"]


# creating people, schedules and sessions: the answer names what was made, once


def prepare_world(client) -> dict:
    return {"w": build_world(client)}


def send_student(c: dict) -> Answer:
    return c["w"].staff.post("/students", {"name": "Nora New", "email": "nora@x.example", "user_id": "nora-login"})


def done_student(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer, 201)
    made = [s for s in of_type(items, "student") if text(s, "name") == "Nora New"]
    assert [text(s, "student_id") for s in made] == [answer.body["id"]]
    refs = [r for r in of_type(items, "user_ref") if text(r, "user_id") == "nora-login"]
    assert [text(r, "person_id") for r in refs] == [answer.body["id"]]


def send_recurring_schedule(c: dict) -> Answer:
    today = datetime.now(timezone.utc).date()
    return c["w"].staff.post(
        "/schedules",
        {
            "name": "Choir",
            "kind": "group",
            "capacity": 8,
            "teacher_id": c["w"].ids["teacher_id"],
            "timezone": "Europe/Berlin",
            "recurrence": {
                "weekdays": ["MO", "TH"],
                "start_time": "18:00",
                "duration_minutes": 60,
                "start_date": today.isoformat(),
            },
        },
    )


def done_recurring_schedule(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer, 201)
    assert [text(s, "schedule_id") for s in of_type(items, "schedule")] == [answer.body["id"]]
    made = of_type(items, "session")
    assert 15 <= len(made) <= 18  # twice a week for the 8 weeks ahead
    assert len({text(s, "session_key") for s in made}) == len(made)
    assert [text(p, "schedule_id") for p in of_type(items, "plan")] == [answer.body["id"]]


def prepare_schedule(client) -> dict:
    w, schedule = world_with_schedule(client)
    return {"w": w, "schedule": schedule}


def send_session(c: dict) -> Answer:
    return c["w"].staff.post(f"/schedules/{c['schedule']['id']}/sessions", {"starts_at": START.isoformat()})


def done_session(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer, 201)
    [session] = of_type(items, "session")
    assert (text(session, "session_key"), text(session, "starts_at")) == (
        answer.body["id"].split(".")[1],
        "2027-03-01T17:00:00.000Z",
    )


def prepare_to_move(client) -> dict:
    """A session that started an hour ago, marked attended, to be moved an hour earlier: an
    attended mark belongs to a session that has started (issue 12), so it moves within the past."""
    c = prepare_marked(client)
    c["to"] = hours_ago(2)
    return c


def send_move(c: dict) -> Answer:
    return c["w"].staff.patch(f"/sessions/{c['session']}", {"starts_at": c["to"].isoformat()})


def done_move(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert answer.body["starts_at"] == stored(c["to"])
    [session] = of_type(items, "session")
    assert text(session, "starts_at") == stored(c["to"])
    assert [text(m, "starts_at") for m in of_type(items, "mark")] == [stored(c["to"])]
    assert ledger_of(items, c["student"]) == [("initial", 5), ("attendance", -1)]


# changing settings: an enrollment, the company, an integration's secret, a notification


def send_end_enrollment(c: dict) -> Answer:
    return c["w"].staff.patch(f"/enrollments/{c['eid']}", {"status": "ended"})


def done_end_enrollment(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["status"], answer.body["version"]) == ("ended", 2)
    [enrollment] = enrollments_of(items, c["student"])
    assert (text(enrollment, "status"), number(enrollment, "version")) == ("ended", 2)
    assert ledger_of(items, c["student"]) == [("initial", 5)]


def send_company(c: dict) -> Answer:
    return c["w"].admin.put("/company", {"name": "Renamed", "timezone": "Europe/Paris", "low_balance_threshold": 3})


def done_company(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["name"], answer.body["version"]) == ("Renamed", 2)
    [company] = of_type(items, "company")
    assert (text(company, "name"), number(company, "version"), number(company, "low_balance_threshold")) == (
        "Renamed",
        2,
        3,
    )
    assert [text(t, "scope") for t in of_type(items, "threshold_change")] == ["COMPANY"]


def prepare_integration(client) -> dict:
    c = prepare_hook(client)
    return c


def send_rotation(c: dict) -> Answer:
    return c["w"].admin.post(
        f"/integrations/{c['sender'].integration['id']}/secret", {"secret": "whsec_" + "A" * 43 + "="}
    )


def done_rotation(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert answer.body["secret"] == "whsec_" + "A" * 43 + "=" and answer.body["secret_rotating"]
    [integration] = of_type(items, "integration")
    # Issue 12: the table keeps the secrets encrypted (envelope encryption under KMS), so the
    # new secret and the previous one are read back through the store's own decryption.
    context = secrets_context(text(integration, "company_id"), text(integration, "integration_id"))
    kept = (text(integration, "secret"), text(integration, "previous_secret"))
    assert answer.body["secret"] not in kept and c["sender"].secret not in kept
    assert tuple(secrets.open_sealed(k, context) for k in kept) == (answer.body["secret"], c["sender"].secret)
    assert number(integration, "version") == 2


def prepare_notified(client) -> dict:
    c = prepare_low(client)
    assert jobs.run("low-balance", JOB_DAY)["result"]["notifications"] == 1
    [note] = reading_items(c, "notification")
    c["note"] = note
    return c


def reading_items(c: dict, kind: str) -> list[str]:
    return [text(n, "notification_id") for n in of_type(table_items(), kind)]


def send_read(c: dict) -> Answer:
    return c["w"].staff.post(f"/notifications/{c['note']}/read")


def done_read(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert answer.body["read_at"] is not None
    [note] = of_type(items, "notification")
    assert text(note, "read_at") == answer.body["read_at"]


def done_cancellation(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["status"], answer.body["repeat"]) == ("applied", False)
    assert marks_of(items) == {c["student"]: ("cancelled", False, "student")}
    assert [(text(b, "booking_id"), text(b, "state")) for b in of_type(items, "booking")] == [("bk-1", "cancelled")]
    assert ledger_of(items, c["student"]) == [("initial", 5)]


def prepare_booked_to_cancel(client) -> dict:
    c = prepare_hook(client)
    expect_ok(send_delivery(c))
    c["delivery"] = signed(c, "booking.cancelled")
    return c


# more settings and connections: a schedule's change, a new integration, a replayed delivery


def send_schedule_change(c: dict) -> Answer:
    return c["w"].staff.patch(f"/schedules/{c['schedule']['id']}", {"name": "Cello II", "low_balance_threshold": 4})


def done_schedule_change(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["name"], answer.body["version"]) == ("Cello II", 2)
    [schedule] = of_type(items, "schedule")
    assert (text(schedule, "name"), number(schedule, "version")) == ("Cello II", 2)
    assert [text(t, "scope") for t in of_type(items, "threshold_change")] == [c["schedule"]["id"]]


def send_integration(c: dict) -> Answer:
    return c["w"].admin.post("/integrations", {"provider": "calcom", "name": "Cal", "secret": "cal-secret-123"})


def done_integration(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer, 201)
    assert [text(i, "integration_id") for i in of_type(items, "integration")] == [answer.body["id"]]
    assert answer.body["secret"] == "cal-secret-123"


def prepare_failed_delivery(client) -> dict:
    """A booking for a student not enrolled yet: kept as failed; then the data is fixed."""
    c = prepare_hook(client)
    first = send_delivery(c)
    assert first.body["status"] == "failed", first.body
    c["delivery_id"] = first.body["delivery_id"]
    return c


def prepare_replayable(client) -> dict:
    w, schedule = world_with_schedule(client)
    c = {"w": w, "schedule": schedule, "student": w.ids["student_id"], "start": START}
    made = w.admin.post(
        "/integrations", {"provider": "standard", "name": "Booking page", "event_types": {"piano-30": schedule["id"]}}
    )
    c["sender"] = Sender(client, made.body)
    c["delivery"] = signed(c, "booking.created")
    failed = send_delivery(c)
    assert failed.body["status"] == "failed", failed.body
    c["delivery_id"] = failed.body["delivery_id"]
    c["eid"] = enroll(w, schedule, c["student"])
    return c


def send_replay(c: dict) -> Answer:
    return c["w"].admin.post(f"/integrations/{c['sender'].integration['id']}/deliveries/{c['delivery_id']}/replay")


def done_replay(c: dict, answer: Answer, items: list[dict]) -> None:
    expect_ok(answer)
    assert (answer.body["status"], answer.body["replays"]) == ("applied", 1)
    [session] = of_type(items, "session")
    assert text(session, "student_id") == c["student"]
    [delivery] = of_type(items, "delivery")
    assert (text(delivery, "status"), number(delivery, "replays")) == ("applied", 1)
    assert "GSI4PK" not in delivery


# the jobs that are not about emails: sessions made ahead, and the stream's counters


def prepare_recurring(client) -> dict:
    c = prepare_world(client)
    made = send_recurring_schedule(c)
    assert made.status == 201
    c["schedule"] = made.body
    c["made_before"] = len(of_type(table_items(), "session"))
    return c


def run_horizon(c: dict) -> Any:
    try:
        return jobs.run("session-horizon", datetime.now(timezone.utc).date() + timedelta(days=21))
    except StoreUnavailable as exc:
        return exc


def done_horizon(c: dict, result: Any, items: list[dict]) -> None:
    assert isinstance(result, dict), result
    made = of_type(items, "session")
    assert len(made) - c["made_before"] == 6  # three more weeks, twice a week
    assert len({text(s, "session_key") for s in made}) == len(made)
    [plan] = of_type(items, "plan")
    assert text(plan, "horizon_until") == result["result"]["horizon_until"]


def prepare_undrained(client) -> dict:
    """Marks made, the stream not applied yet."""
    c = prepare_marked(client)
    c["records"] = None
    return c


def drain(c: dict) -> Any:
    from chalicelib.services import counters

    try:
        return counters.drain_local()
    except StoreUnavailable as exc:
        return exc


def done_drain(c: dict, result: Any, items: list[dict]) -> None:
    assert isinstance(result, int), result
    counted = [s for s in of_type(items, "stats") if text(s, "dimension") == "company"]
    assert sum(number(s, "attended") for s in counted if "attended" in s) == 1
    assert sum(number(s, "sold") for s in counted if "sold" in s) == 5


# the low-balance job: jobs.run("low-balance", day)


@pytest.fixture(autouse=True)
def cold_logins(monkeypatch):
    """Every request reads its caller's login, as a container new to it does: one more
    request to fail at (store/logins.py remembers logins otherwise)."""
    monkeypatch.setattr(config, "caller_cache_seconds", lambda: 0)


@pytest.fixture
def ses(monkeypatch, store):
    """Emails go through SES (moto), as in deployed stages."""
    monkeypatch.setenv("OPTCLASS_MAILER", "ses")
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def prepare_low(client) -> dict:
    """Stella's balance is 1, under the threshold of 2: one crossing to announce to Sam Staff."""
    c = prepare_enrolled(client)
    expect_ok(c["w"].staff.post(f"/enrollments/{c['eid']}/adjustments", {"delta": -4, "reason": "used elsewhere"}))
    return c


def run_job(c: dict) -> Any:
    try:
        return jobs.run("low-balance", JOB_DAY)
    except StoreUnavailable as exc:
        return exc


def done_job(c: dict, result: Any, items: list[dict], emails: list[tuple[str, str]]) -> None:
    """`emails`: (recipient, body) of every email the scenario sent."""
    assert isinstance(result, dict), result
    notes = of_type(items, "notification")
    assert [(text(n, "staff_id"), text(n, "kind"), number(n, "balance"), text(n, "email")) for n in notes] == [
        (c["w"].ids["staff_id"], "low_balance", 1, "sent")
    ]
    assert len(emails) == 1, emails
    [(to, body)] = emails
    assert to == f"staff@{c['w'].company_id}.example" and "Stella Student (Cello): 1 session(s) left" in body
    [enrollment] = enrollments_of(items, c["student"])
    assert number(enrollment, "alert_level") == 1 and "GSI4PK" not in enrollment


def job_through_ses(backend) -> "Case":
    def begin(c: dict) -> None:
        c["sent_before"] = len(backend.sent_messages)

    def done(c: dict, result: Any, items: list[dict]) -> None:
        sent = backend.sent_messages[c["sent_before"] :]
        done_job(c, result, items, [(m.destinations["ToAddresses"][0], m.body) for m in sent])

    return Case(prepare_low, run_job, done, atomic=False, begin=begin)


def done_job_in_outbox(c: dict, result: Any, items: list[dict]) -> None:
    done_job(c, result, items, [(text(m, "to"), text(m, "body")) for m in of_type(items, "outbox")])


def with_key(case: Case) -> Case:
    """The same use case, sent with an Idempotency-Key: its answer is recorded once."""

    def prepare(client) -> dict:
        return {**case.prepare(client), "headers": {"Idempotency-Key": "retry-me"}}

    def done(c: dict, answer: Answer, items: list[dict]) -> None:
        case.done(c, answer, items)
        assert len(of_type(items, "idempotency")) == 1

    return Case(prepare, case.send, done, case.atomic, case.begin)


# --- the driver ------------------------------------------------------------------------------

DERIVED = ("stats", "applied_change", "counted_through")  # what the stream handler keeps


def comparable(items: list[dict]) -> list[dict]:
    """The items a use case writes, without those the stream handler derives from them."""
    return [i for i in items if i.get("type", {}).get("S") not in DERIVED]


def restore(items: list[dict], recount: bool = True) -> None:
    """A fresh table holding exactly these items. With `recount`, the stream rebuilds the
    counters from them (what the stream derives is left out, to be derived again); else the
    items are taken as they are, derived ones included (they were checked when they were
    read), and the stream's records of the restore itself are passed over."""
    engine.delete_table()
    engine.create_table()
    client = engine.boto_client()
    kept = comparable(items) if recount else items
    for start in range(0, len(kept), 25):
        pending = {config.table_name(): [{"PutRequest": {"Item": i}} for i in kept[start : start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
    if not recount:
        stream.drain(lambda batch: None)


def refused(outcome: Any) -> None:
    """The caller is told the store is unavailable and may retry."""
    if isinstance(outcome, Answer):
        assert (outcome.status, outcome.error_code) == (503, "store_unavailable"), (outcome.status, outcome.body)
        assert outcome.headers.get("retry-after") == "1"
    else:
        assert isinstance(outcome, StoreUnavailable), outcome


class Step:
    """Names the scenario in the report of any failure inside it."""

    def __init__(self, label: str):
        self.label = label

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, Exception):
            exc.add_note(self.label)
        return False


def exercise(client, case: Case, make_error, *, lasting: bool = True) -> int:
    """Run the use case normally, then fail it at every request; returns N, the requests of
    the normal run. `lasting=False` leaves out the failures that last. With `lost_answer`,
    every request is made and then its answer is lost (nothing lasts: the engine did the
    work), and the use case must end in exactly the state and answer of the normal run."""
    engine.delete_table()
    engine.create_table()
    context = case.prepare(client)
    records = check_invariants()
    with Step("the normal run"):
        if case.fresh:
            restore(records)  # the changes of the restored items are what the case counts
        case.begin(context)
        with inject(make_error, fail_at=()) as counted:
            outcome = case.send(context)
        calls = counted.seen
        assert calls >= 1
        case.done(context, outcome, check_invariants())
    for k in range(1, calls + 1):
        if make_error is lost_answer:
            with Step(f"request {k} of {calls} is made and its answer lost"):
                restore(records, recount=case.fresh)
                case.begin(context)
                with inject(lost_answer, fail_at=[k]) as injector:
                    outcome = case.send(context)
                assert injector.failed == 1
                case.done(context, outcome, check_invariants())
            continue
        if lasting:
            with Step(f"request {k} of {calls} and every later one fail"):
                restore(records, recount=case.fresh)
                case.begin(context)
                with inject(make_error, fail_at=range(k, k + EVER_AFTER)) as injector:
                    outcome = case.send(context)
                assert injector.failed >= 1
                refused(outcome)
                after = check_invariants()
                if case.atomic:
                    assert comparable(after) == comparable(records)
            with Step(f"the same request repeated after request {k} of {calls} failed for good"):
                outcome = case.send(context)
                case.done(context, outcome, check_invariants())
        with Step(f"request {k} of {calls} fails once"):
            restore(records, recount=case.fresh)
            case.begin(context)
            with inject(make_error, fail_at=[k]) as injector:
                outcome = case.send(context)
            assert injector.failed == 1
            case.done(context, outcome, check_invariants())
    return calls


# --- the use cases under failure ---------------------------------------------------------------

every_kind = pytest.mark.parametrize("make_error", KINDS.values(), ids=KINDS.keys())


@every_kind
def test_enrolling_survives_a_store_failure_at_every_request_and_enrolls_once(client, make_error):
    exercise(client, Case(prepare_enroll, send_enroll, done_enroll, atomic=True), make_error)


@every_kind
def test_a_top_up_survives_a_store_failure_at_every_request_and_adds_its_sessions_once(client, make_error):
    exercise(client, Case(prepare_enrolled, send_top_up, done_top_up, atomic=True), make_error)


@every_kind
def test_a_top_up_with_an_idempotency_key_survives_a_store_failure_at_every_request_and_adds_once(client, make_error):
    exercise(client, with_key(Case(prepare_enrolled, send_top_up, done_top_up, atomic=True)), make_error)


@every_kind
def test_an_adjustment_survives_a_store_failure_at_every_request_and_corrects_the_balance_once(client, make_error):
    exercise(client, Case(prepare_enrolled, send_adjust, done_adjust, atomic=True), make_error)


@every_kind
def test_a_mark_survives_a_store_failure_at_every_request_and_charges_once(client, make_error):
    exercise(client, Case(prepare_session, send_mark, done_mark, atomic=True), make_error)


@every_kind
def test_a_mark_with_an_idempotency_key_survives_a_store_failure_at_every_request_and_charges_once(client, make_error):
    exercise(client, with_key(Case(prepare_session, send_mark, done_mark, atomic=True)), make_error)


@every_kind
def test_clearing_a_mark_survives_a_store_failure_at_every_request_and_reverses_its_charge_once(client, make_error):
    exercise(client, Case(prepare_marked, send_clear, done_clear, atomic=True), make_error)


@every_kind
def test_a_bulk_mark_survives_a_store_failure_at_every_request_and_marks_each_student_once(client, make_error):
    exercise(client, Case(prepare_group, send_bulk, done_bulk, atomic=False), make_error)


@every_kind
def test_a_bulk_mark_with_an_idempotency_key_survives_a_store_failure_at_every_request_and_marks_once(
    client, make_error
):
    exercise(client, with_key(Case(prepare_group, send_bulk, done_bulk, atomic=False)), make_error)


@every_kind
def test_a_school_cancellation_survives_a_store_failure_at_every_request_and_reverses_each_charge_once(
    client, make_error
):
    exercise(client, Case(prepare_group_marked, send_cancel, done_cancel, atomic=False), make_error)


@every_kind
def test_a_booking_delivery_survives_a_store_failure_at_every_request_and_makes_its_session_once(client, make_error):
    exercise(client, Case(prepare_hook, send_delivery, done_booking, atomic=True), make_error)


@every_kind
def test_a_no_show_delivery_survives_a_store_failure_at_every_request_and_charges_once(client, make_error):
    exercise(client, Case(prepare_booked, send_delivery, done_no_show, atomic=True), make_error)


@every_kind
def test_the_low_balance_job_survives_a_store_failure_at_every_request_and_notifies_and_emails_once(
    client, ses, make_error
):
    exercise(client, job_through_ses(ses), make_error)


@every_kind
def test_with_the_local_outbox_a_single_store_failure_in_the_job_still_emails_once(client, make_error):
    # Only single failures: in the local stage the outbox write is the send itself, so a
    # store that stays down from there on also fails the release of the email's record, and
    # the rerun then settles the email without sending it (the documented "lose, never
    # double" window of a crash between recording and sending).
    exercise(client, Case(prepare_low, run_job, done_job_in_outbox, atomic=False), make_error, lasting=False)


@every_kind
def test_creating_a_student_survives_a_store_failure_at_every_request_and_makes_one(client, make_error):
    exercise(client, Case(prepare_world, send_student, done_student, atomic=True), make_error)


@every_kind
def test_a_recurring_schedule_survives_a_store_failure_at_every_request_and_makes_its_sessions_once(client, make_error):
    exercise(
        client,
        Case(prepare_world, send_recurring_schedule, done_recurring_schedule, atomic=False),
        make_error,
        lasting=False,
    )


@every_kind
def test_a_one_off_session_survives_a_store_failure_at_every_request_and_is_made_once(client, make_error):
    exercise(client, Case(prepare_schedule, send_session, done_session, atomic=True), make_error)


@every_kind
def test_moving_a_marked_session_survives_a_store_failure_at_every_request_and_moves_its_marks(client, make_error):
    exercise(client, Case(prepare_to_move, send_move, done_move, atomic=True), make_error)


@every_kind
def test_ending_an_enrollment_survives_a_store_failure_at_every_request_and_changes_it_once(client, make_error):
    exercise(client, Case(prepare_enrolled, send_end_enrollment, done_end_enrollment, atomic=True), make_error)


@every_kind
def test_company_settings_survive_a_store_failure_at_every_request_and_are_saved_once(client, make_error):
    exercise(client, Case(prepare_world, send_company, done_company, atomic=True), make_error)


@every_kind
def test_rotating_a_secret_survives_a_store_failure_at_every_request_and_rotates_once(client, make_error):
    exercise(client, Case(prepare_integration, send_rotation, done_rotation, atomic=True), make_error)


@every_kind
def test_reading_a_notification_survives_a_store_failure_at_every_request(client, make_error):
    exercise(client, Case(prepare_notified, send_read, done_read, atomic=True), make_error)


@every_kind
def test_a_cancellation_delivery_survives_a_store_failure_at_every_request_and_credits_once(client, make_error):
    exercise(client, Case(prepare_booked_to_cancel, send_delivery, done_cancellation, atomic=True), make_error)


@every_kind
def test_changing_a_schedule_survives_a_store_failure_at_every_request_and_changes_it_once(client, make_error):
    exercise(client, Case(prepare_schedule, send_schedule_change, done_schedule_change, atomic=True), make_error)


@every_kind
def test_connecting_a_booking_system_survives_a_store_failure_at_every_request_and_connects_once(client, make_error):
    exercise(client, Case(prepare_world, send_integration, done_integration, atomic=True), make_error, lasting=False)


@every_kind
def test_replaying_a_failed_delivery_survives_a_store_failure_at_every_request_and_applies_once(client, make_error):
    exercise(client, Case(prepare_replayable, send_replay, done_replay, atomic=True), make_error)


@every_kind
def test_the_session_horizon_job_survives_a_store_failure_at_every_request_and_makes_each_session_once(
    client, make_error
):
    exercise(client, Case(prepare_recurring, run_horizon, done_horizon, atomic=False), make_error)


@every_kind
def test_the_stream_handler_survives_a_store_failure_at_every_request_and_counts_each_change_once(client, make_error):
    exercise(client, Case(prepare_undrained, drain, done_drain, atomic=False, fresh=True), make_error)


# --- the invariant check itself -------------------------------------------------------------


def test_the_invariant_check_reports_a_balance_off_its_ledger_a_double_charge_and_a_miscounted_counter(client):
    c = prepare_group_marked(client)  # the first student attended: charged once, balance 4
    items = check_invariants()  # the stream applied: the counters are there
    assert violations(items) == []

    off = copy.deepcopy(items)
    [enrollment] = enrollments_of(off, c["first"])
    enrollment["balance"]["N"] = "5"
    problems = violations(off)
    assert len(problems) == 2
    assert "balance 5 != sum of ledger deltas 4" in problems[0]
    assert "balance 5 != lots 4 - owed 0" in problems[1]

    lot_off = copy.deepcopy(items)
    [enrollment] = enrollments_of(lot_off, c["first"])
    enrollment["lots"]["L"][0]["M"]["remaining"]["N"] = "5"  # a lot holding more than its entries gave it
    problems = violations(lot_off)
    assert any("lot L1 entries sum to 4, not 5" in p for p in problems), problems

    twice = copy.deepcopy(items)
    [enrollment] = enrollments_of(twice, c["first"])
    [charge] = [e for e in of_type(twice, "ledger") if text(e, "student_id") == c["first"] and number(e, "seq") == 2]
    again = copy.deepcopy(charge)  # the same session charged a second time, the ledger itself kept consistent
    again["SK"]["S"] = again["SK"]["S"][:-10] + f"{3:010d}"
    again["seq"]["N"], again["balance_after"]["N"] = "3", "3"
    enrollment["balance"]["N"], enrollment["seq"]["N"] = "3", "3"
    enrollment["lots"]["L"][0]["M"]["remaining"]["N"] = "3"  # the lots kept consistent too
    [problem] = violations(twice + [again])
    assert "the ledger moved -2 for this session, the mark says -1" in problem

    miscounted = copy.deepcopy(items)
    [counter] = [s for s in of_type(miscounted, "stats") if text(s, "dimension") == "company" and "attended" in s]
    counter["attended"]["N"] = "2"
    [problem] = violations(miscounted)
    assert problem.startswith("counters (") and "'attended': 2" in problem and "'attended': 1" in problem
