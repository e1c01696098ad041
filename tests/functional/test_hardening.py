"""Nothing a client sends is trusted beyond what it may do: field rules by role, timing,
capacity, sealed cursors, bounded bodies and headers, data at rest, CSV cells that cannot
run, and requests whose cost is bounded."""

import base64
import csv
import io
import threading
from datetime import date, timedelta

import pytest

from chalicelib import config, jobs
from chalicelib.services import enrollments, sessions
from chalicelib.services.context import Actor
from chalicelib.store import engine
from tests.functional.helpers import build_world
from tests.functional.webhook_helpers import Sender
from tests.support import hours_from_now, table_items


def _of(kind):
    return [i for i in table_items() if i.get("type", {}).get("S") == kind]


@pytest.fixture
def group(world):
    w = world
    schedule = w.staff.post(
        "/schedules",
        {
            "name": "Choir",
            "kind": "group",
            "capacity": 2,
            "teacher_id": w.ids["teacher_id"],
            "policy": {"late_cancel_hours": 24},
        },
    ).body
    enrollment = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 5, "responsible_staff_id": w.ids["staff_id"]},
    ).body
    return w, schedule, enrollment


def _session(w, schedule, hours):
    made = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": hours_from_now(hours)})
    assert made.status == 201, made.body
    return made.body["id"]


def _student(w, name):
    return w.staff.post("/students", {"name": name, "email": f"{name.lower()}@x.example"}).body["id"]


# --- timing and field rules ---------------------------------------------------------------


def test_attendance_waits_for_the_session_to_start_but_a_cancellation_does_not(group):
    w, schedule, _ = group
    mark = f"/sessions/{_session(w, schedule, 3)}/attendance/{w.ids['student_id']}"
    for status in ("attended", "no_show"):
        early = w.teacher.put(mark, {"status": status})
        assert (early.status, early.error_code) == (409, "session_not_started")
    assert w.teacher.put(mark, {"status": "cancelled"}).status == 200  # in advance: fine
    soon = f"/sessions/{_session(w, schedule, 0.2)}/attendance/{w.ids['student_id']}"  # starts in 12 minutes
    assert w.teacher.put(soon, {"status": "attended"}).status == 200  # the register is taken as they come in


def test_only_staff_say_when_a_cancellation_was_made_and_only_between_the_enrollment_and_now(group):
    w, schedule, enrollment = group
    mark = f"/sessions/{_session(w, schedule, 10)}/attendance/{w.ids['student_id']}"  # late: inside 24 h
    backdated = {"status": "cancelled", "cancelled_at": hours_from_now(-24 * 30)}
    refused = w.teacher.put(mark, backdated)
    assert (refused.status, refused.error_code) == (403, "forbidden")
    assert w.staff.put(mark, backdated).status == 400  # a month back: before the enrollment
    assert w.staff.put(mark, {"status": "cancelled", "cancelled_at": hours_from_now(5)}).status == 400  # future
    late = w.teacher.put(mark, {"status": "cancelled"})
    assert (late.status, late.body["late"], late.body["charged"]) == (200, True, True)
    assert w.staff.get(f"/enrollments/{enrollment['id']}").body["balance"] == 4


def test_a_session_already_taken_cannot_move_to_a_time_that_has_not_come(group):
    w, schedule, enrollment = group
    sid = _session(w, schedule, -1)
    assert w.teacher.put(f"/sessions/{sid}/attendance/{w.ids['student_id']}", {"status": "attended"}).status == 200
    ahead = {"starts_at": hours_from_now(24 * 7), "ends_at": hours_from_now(24 * 7 + 1)}
    refused = w.staff.patch(f"/sessions/{sid}", ahead)
    assert (refused.status, refused.error_code) == (409, "session_not_started")
    assert refused.body["error"]["details"][0]["field"] == "starts_at"
    session = w.staff.get(f"/sessions/{sid}").body
    assert session["starts_at"] != ahead["starts_at"]
    assert w.staff.get(f"/enrollments/{enrollment['id']}").body["balance"] == 4  # the charge stands, once
    earlier = w.staff.patch(f"/sessions/{sid}", {"starts_at": hours_from_now(-2), "ends_at": hours_from_now(-1)})
    assert earlier.status == 200, earlier.body  # a correction into the past is fine
    roster = w.staff.get(f"/sessions/{sid}/attendance").body
    assert [m["status"] for m in roster["items"]] == ["attended"]


# --- capacity -----------------------------------------------------------------------------


def test_a_group_takes_no_more_active_students_than_its_capacity(group):
    w, schedule, _ = group
    second, third = _student(w, "Bo"), _student(w, "Cy")
    body = {"initial_balance": 1, "responsible_staff_id": w.ids["staff_id"]}
    assert w.staff.post(f"/schedules/{schedule['id']}/enrollments", {**body, "student_id": second}).status == 201
    full = w.staff.post(f"/schedules/{schedule['id']}/enrollments", {**body, "student_id": third})
    assert (full.status, full.error_code) == (409, "schedule_full")
    assert w.staff.get(f"/schedules/{schedule['id']}").body["capacity"] == 2
    ended = w.staff.patch(f"/enrollments/{schedule['id']}.{second}", {"status": "ended"})
    assert ended.status == 200
    assert w.staff.post(f"/schedules/{schedule['id']}/enrollments", {**body, "student_id": third}).status == 201
    back = w.staff.patch(f"/enrollments/{schedule['id']}.{second}", {"status": "active"})
    assert (back.status, back.error_code) == (409, "schedule_full")
    lowered = w.staff.patch(f"/schedules/{schedule['id']}", {"capacity": 1})
    assert lowered.status == 409


def test_a_schedule_written_before_seats_were_counted_counts_its_roster_once(group):
    w, schedule, _ = group
    [item] = [s for s in _of("schedule") if s["schedule_id"]["S"] == schedule["id"]]
    engine.boto_client().update_item(
        TableName=config.table_name(),
        Key={"PK": item["PK"], "SK": item["SK"]},
        UpdateExpression="REMOVE active_enrollments",
    )  # as an earlier version left it
    body = {"initial_balance": 1, "responsible_staff_id": w.ids["staff_id"]}
    assert (
        w.staff.post(f"/schedules/{schedule['id']}/enrollments", {**body, "student_id": _student(w, "Gus")}).status
        == 201
    )
    [item] = [s for s in _of("schedule") if s["schedule_id"]["S"] == schedule["id"]]
    assert item["active_enrollments"]["N"] == "2"  # the roster's one, and the newcomer
    full = w.staff.post(f"/schedules/{schedule['id']}/enrollments", {**body, "student_id": _student(w, "Hal")})
    assert (full.status, full.error_code) == (409, "schedule_full")


def test_a_1_to_1_series_holds_one_student_and_a_booked_one_names_the_student_of_each_session(world):
    w = world
    series = w.staff.post(
        "/schedules",
        {
            "name": "Oboe",
            "kind": "one_to_one",
            "teacher_id": w.ids["teacher_id"],
            "recurrence": {
                "weekdays": ["MO"],
                "start_time": "16:00",
                "duration_minutes": 30,
                "start_date": date.today().isoformat(),
            },
        },
    ).body
    body = {"initial_balance": 1, "responsible_staff_id": w.ids["staff_id"]}
    assert (
        w.staff.post(f"/schedules/{series['id']}/enrollments", {**body, "student_id": w.ids["student_id"]}).status
        == 201
    )
    other = _student(w, "Dee")
    assert (
        w.staff.post(f"/schedules/{series['id']}/enrollments", {**body, "student_id": other}).error_code
        == "schedule_full"
    )
    wide = w.staff.post(
        "/schedules",
        {
            "name": "Oboe",
            "kind": "one_to_one",
            "capacity": 5,
            "teacher_id": w.ids["teacher_id"],
            "recurrence": {
                "weekdays": ["MO"],
                "start_time": "16:00",
                "duration_minutes": 30,
                "start_date": date.today().isoformat(),
            },
        },
    )
    assert wide.status == 400
    booked = w.staff.post(
        "/schedules", {"name": "Oboe lessons", "kind": "one_to_one", "capacity": 5, "teacher_id": w.ids["teacher_id"]}
    ).body
    for student in (w.ids["student_id"], other):
        assert w.staff.post(f"/schedules/{booked['id']}/enrollments", {**body, "student_id": student}).status == 201
    open_session = w.staff.post(f"/schedules/{booked['id']}/sessions", {"starts_at": hours_from_now(5)})
    assert open_session.status == 400 and open_session.body["error"]["details"][0]["field"] == "student_id"
    own = w.staff.post(f"/schedules/{booked['id']}/sessions", {"starts_at": hours_from_now(5), "student_id": other})
    assert own.status == 201 and own.body["student_id"] == other


def test_two_enrollments_racing_for_the_last_seat_get_one_seat(group):
    w, schedule, _ = group
    racers = [_student(w, "Eve"), _student(w, "Fay")]
    actor = Actor(w.company_id, "staff-sub", "staff")
    outcomes = []

    def enroll(student):
        try:
            enrollments.enroll(
                actor,
                schedule["id"],
                student_id=student,
                initial_balance=1,
                responsible_staff_id=w.ids["staff_id"],
                low_balance_threshold=None,
            )
            outcomes.append("enrolled")
        except Exception as exc:  # noqa: BLE001 - the loser's answer is the point
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=enroll, args=(s,)) for s in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ScheduleFull", "enrolled"]
    [stored] = [s for s in _of("schedule") if s["schedule_id"]["S"] == schedule["id"]]
    assert stored["active_enrollments"]["N"] == "2"


# --- what clients send ---------------------------------------------------------------------


def test_a_cursor_edited_or_taken_to_another_list_or_company_is_refused(client, world):
    w = world
    for i in range(3):
        _student(w, f"Pager{i}")
    page = w.staff.get("/students?limit=2").body
    assert page["next"] and w.staff.get(f"/students?limit=2&next={page['next']}").status == 200
    payload, mac = page["next"].split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().replace('"SK"', '"XK"')
    edited = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=") + "." + mac
    for cursor in (edited, payload, page["next"] + "x", "a" * 3000):
        answer = w.staff.get(f"/students?limit=2&next={cursor}")
        assert (answer.status, answer.body["error"]["details"][0]["field"]) == (400, "next"), cursor[:20]
    assert w.staff.get(f"/staff?limit=2&next={page['next']}").status == 400  # another list
    other = build_world(client)
    assert other.staff.get(f"/students?limit=2&next={page['next']}").status == 400  # another company


def test_bodies_nested_too_deep_and_odd_if_match_headers_are_400_not_500(world):
    w = world
    deep = "[" * 1000 + "]" * 1000
    answer = w.staff.call("POST", "/students", raw='{"name": "N", "email": "n@x.example", "x": ' + deep + "}")
    assert answer.status == 400 and "deeper" in answer.body["error"]["message"]
    student = _student(w, "Gus")
    for value in ("²", "1" * 5000, "v1", "-1", "１"):
        answer = w.staff.call("PUT", "/company", {"name": "S"}, headers={"If-Match": value})
        assert answer.status in (400, 403), value
        answer = w.admin.put("/company", {"name": "S"}, headers={"If-Match": value})
        assert answer.status == 400, value
    assert student


def test_an_unknown_route_is_404_in_the_contracts_shape_and_never_echoes_the_token(world):
    answer = world.staff.get("/no/such/route")
    assert answer.status == 404 and answer.body["error"]["code"] == "not_found"
    assert world.staff.tok not in str(answer.body)


def test_csv_cells_a_spreadsheet_would_run_are_text(world):
    w = world
    for name in ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "Plain Name"):
        w.staff.post("/students", {"name": name, "email": "f@x.example"})
    rows = list(csv.DictReader(io.StringIO(w.staff.get("/reports/students?format=csv").body)))
    names = {r["student_name"] for r in rows}
    assert {'\'=HYPERLINK("http://x")', "'+cmd|' /C calc'!A0", "'@SUM(A1)", "'-2+3", "Plain Name"} <= names
    assert all(not n.startswith(("=", "+", "-", "@")) for n in names)


# --- data at rest --------------------------------------------------------------------------


def test_booking_system_secrets_are_encrypted_at_rest_and_still_verify(client, world):
    w = world
    made = w.admin.post("/integrations", {"provider": "standard", "name": "Page"}).body
    secret = made["secret"]
    stored = [i for i in table_items() if i.get("type", {}).get("S") == "integration"]
    assert stored and all(secret not in str(i) for i in stored)
    assert stored[0]["secret"]["S"].startswith("kms1:")
    event = {
        "type": "booking.created",
        "timestamp": hours_from_now(0),
        "data": {"booking_id": "b1", "start": hours_from_now(5), "end": hours_from_now(6)},
    }
    assert Sender(client, made).standard(event).status == 200  # verified with the decrypted secret
    rotated = w.admin.post(f"/integrations/{made['id']}/secret").body
    stored = [i for i in table_items() if i.get("type", {}).get("S") == "integration"]
    assert rotated["secret"] not in str(stored) and secret not in str(stored)


def test_a_deliverys_raw_body_expires_and_its_outcome_stays(client, world, monkeypatch):
    w = world
    made = w.admin.post("/integrations", {"provider": "standard", "name": "Page"}).body
    event = {
        "type": "booking.created",
        "timestamp": hours_from_now(0),
        "data": {
            "booking_id": "b2",
            "event_type": "none",
            "start": hours_from_now(5),
            "end": hours_from_now(6),
            "student": {"name": "Hal", "email": "hal@x.example"},
        },
    }
    answer = Sender(client, made).standard(event)
    assert answer.body["status"] == "failed"
    [delivery] = _of("delivery")
    [body] = _of("delivery_body")
    assert "body" not in delivery and "hal@x.example" in body["body"]["S"]
    days = (int(body["expires_at"]["N"]) - int(__import__("time").time())) / 86400
    assert 29.9 < days <= config.delivery_body_days()
    engine.boto_client().delete_item(TableName=config.table_name(), Key={"PK": body["PK"], "SK": body["SK"]})  # TTL
    replay = w.admin.post(f"/integrations/{made['id']}/deliveries/{answer.body['delivery_id']}/replay")
    assert replay.status == 409 and "30 days" in replay.body["error"]["message"]
    assert w.admin.get(f"/integrations/{made['id']}/deliveries").body["items"][0]["status"] == "failed"


# --- bounded cost ------------------------------------------------------------------------------


def test_a_schedule_a_year_back_makes_a_bounded_number_of_sessions_and_the_job_the_rest(world):
    w = world
    start = (date.today() - timedelta(days=360)).isoformat()
    made = w.staff.post(
        "/schedules",
        {
            "name": "Daily",
            "kind": "group",
            "capacity": 3,
            "teacher_id": w.ids["teacher_id"],
            "recurrence": {
                "weekdays": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
                "start_time": "07:00",
                "duration_minutes": 30,
                "start_date": start,
            },
        },
    )
    assert made.status == 201
    assert len(_of("session")) == sessions.SYNC_SESSIONS
    days = sorted(s["starts_at"]["S"][:10] for s in _of("session"))
    assert days[-1] >= (date.today() + timedelta(days=50)).isoformat()  # the coming weeks first
    jobs.run("session-horizon", date.today())
    assert len(_of("session")) > 360  # the rest, made by the job
