"""Bad input gets a 4xx that names what is wrong, never a 500, and changes nothing."""

import json

import pytest

from tests.support import table_items


@pytest.fixture
def ctx(world):
    schedule = world.staff.post(
        "/schedules", {"name": "Guitar", "kind": "group", "capacity": 6, "teacher_id": world.ids["teacher_id"]}
    ).body
    enrollment = world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": world.ids["student_id"], "initial_balance": 10, "responsible_staff_id": world.ids["staff_id"]},
    ).body
    return {
        "w": world,
        "sch": schedule["id"],
        "enr": enrollment["id"],
        "stu": world.ids["student_id"],
        "staff": world.ids["staff_id"],
        "teacher": world.ids["teacher_id"],
    }


def _enrollment_body(c, **over):
    return {"student_id": c["stu"], "initial_balance": 3, "responsible_staff_id": c["staff"], **over}


# (name, method, path, body or raw, headers, status, field named in details)
CASES = [
    ("student missing name", "POST", "/students", {"email": "a@b.example"}, {}, 400, "name"),
    ("student email mistyped", "POST", "/students", {"name": "A", "email": 123}, {}, 400, "email"),
    ("student email malformed", "POST", "/students", {"name": "A", "email": "not-an-email"}, {}, 400, "email"),
    ("student unknown field", "POST", "/students", {"name": "A", "email": "a@b.example", "age": 9}, {}, 400, "age"),
    ("student blank name", "POST", "/students", {"name": "   ", "email": "a@b.example"}, {}, 400, "name"),
    ("malformed JSON", "POST", "/students", b'{"name": "A",', {}, 400, "body"),
    ("JSON array body", "POST", "/students", b"[1, 2]", {}, 400, "body"),
    ("empty body", "POST", "/students", b"", {}, 400, "body"),
    ("staff bad role", "POST", "/staff", {"name": "A", "email": "a@b.example", "role": "student"}, {}, 400, "role"),
    (
        "staff user_id with spaces",
        "POST",
        "/staff",
        {"name": "A", "email": "a@b.example", "role": "staff", "user_id": "a b"},
        {},
        400,
        "user_id",
    ),
    ("negative initial balance", "POST", "/schedules/{sch}/enrollments", "neg", {}, 400, "initial_balance"),
    ("initial balance as text", "POST", "/schedules/{sch}/enrollments", "text", {}, 400, "initial_balance"),
    ("initial balance as float", "POST", "/schedules/{sch}/enrollments", "float", {}, 400, "initial_balance"),
    ("initial balance as bool", "POST", "/schedules/{sch}/enrollments", "bool", {}, 400, "initial_balance"),
    ("unknown student", "POST", "/schedules/{sch}/enrollments", "ghost", {}, 400, "student_id"),
    ("malformed student id", "POST", "/schedules/{sch}/enrollments", "badid", {}, 400, "student_id"),
    (
        "unknown responsible staff",
        "POST",
        "/schedules/{sch}/enrollments",
        "ghoststaff",
        {},
        400,
        "responsible_staff_id",
    ),
    (
        "enrollment in unknown schedule",
        "POST",
        "/schedules/01ARZ3NDEKTSV4RRFFQ69G5FAV/enrollments",
        "ok",
        {},
        404,
        None,
    ),
    ("zero top-up", "POST", "/enrollments/{enr}/top-ups", {"sessions": 0}, {}, 400, "sessions"),
    ("top-up without sessions", "POST", "/enrollments/{enr}/top-ups", {"note": "x"}, {}, 400, "sessions"),
    ("top-up of text", "POST", "/enrollments/{enr}/top-ups", {"sessions": "5"}, {}, 400, "sessions"),
    ("adjustment of zero", "POST", "/enrollments/{enr}/adjustments", {"delta": 0, "reason": "x"}, {}, 400, "delta"),
    ("adjustment without reason", "POST", "/enrollments/{enr}/adjustments", {"delta": 2}, {}, 400, "reason"),
    (
        "adjustment with empty reason",
        "POST",
        "/enrollments/{enr}/adjustments",
        {"delta": 2, "reason": ""},
        {},
        400,
        "reason",
    ),
    (
        "top-up of unknown enrollment",
        "POST",
        "/enrollments/01ARZ3NDEKTSV4RRFFQ69G5FAV.01ARZ3NDEKTSV4RRFFQ69G5FAV/top-ups",
        {"sessions": 1},
        {},
        404,
        None,
    ),
    ("top-up of malformed enrollment id", "POST", "/enrollments/nonsense/top-ups", {"sessions": 1}, {}, 404, None),
    ("limit zero", "GET", "/students?limit=0", None, {}, 400, "limit"),
    ("limit not a number", "GET", "/students?limit=ten", None, {}, 400, "limit"),
    ("limit too large", "GET", "/students?limit=201", None, {}, 400, "limit"),
    ("unknown query parameter", "GET", "/students?colour=red", None, {}, 400, "colour"),
    ("query on a route without any", "GET", "/company?x=1", None, {}, 400, "x"),
    ("garbage cursor", "GET", "/students?next=%%%", None, {}, 400, "next"),
    ("bad time zone", "PUT", "/company", {"name": "S", "timezone": "Mars/Olympus"}, {}, 400, "timezone"),
    (
        "negative company threshold",
        "PUT",
        "/company",
        {"name": "S", "low_balance_threshold": -1},
        {},
        400,
        "low_balance_threshold",
    ),
    ("schedule bad kind", "POST", "/schedules", "kind", {}, 400, "kind"),
    ("group without capacity", "POST", "/schedules", "nocap", {}, 400, "body"),
    ("recurrence bad weekday", "POST", "/schedules", "weekday", {}, 400, "recurrence.weekdays.0"),
    ("recurrence bad time", "POST", "/schedules", "time", {}, 400, "recurrence.start_time"),
    ("recurrence ends before it starts", "POST", "/schedules", "ends", {}, 400, "recurrence"),
    ("policy unknown value", "POST", "/schedules", "policy", {}, 400, "policy.cancelled"),
    ("schedule with unknown teacher", "POST", "/schedules", "ghostteacher", {}, 400, "teacher_id"),
    ("patch schedule name to null", "PATCH", "/schedules/{sch}", {"name": None}, {}, 400, "body"),
    ("patch schedule with nothing", "PATCH", "/schedules/{sch}", {}, {}, 400, "body"),
    ("patch enrollment bad status", "PATCH", "/enrollments/{enr}", {"status": "paused"}, {}, 400, "status"),
    ("if-match not a number", "PATCH", "/enrollments/{enr}", {"status": "ended"}, {"If-Match": "abc"}, 400, "If-Match"),
    (
        "idempotency key too long",
        "POST",
        "/enrollments/{enr}/top-ups",
        {"sessions": 1},
        {"Idempotency-Key": "k" * 300},
        400,
        "Idempotency-Key",
    ),
    ("one megabyte body", "POST", "/students", b'{"name": "' + b"x" * (1024 * 1024) + b'"}', {}, 413, None),
    ("wrong content type", "POST", "/students", b"name=A", {"Content-Type": "text/plain"}, 415, None),
]


def _body(c, spec):
    schedule = {"name": "S", "kind": "group", "capacity": 4, "teacher_id": c["teacher"]}
    named = {
        "neg": _enrollment_body(c, initial_balance=-1),
        "text": _enrollment_body(c, initial_balance="10"),
        "float": _enrollment_body(c, initial_balance=10.5),
        "bool": _enrollment_body(c, initial_balance=True),
        "ghost": _enrollment_body(c, student_id="01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        "badid": _enrollment_body(c, student_id="../../x"),
        "ghoststaff": _enrollment_body(c, responsible_staff_id="01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        "ok": _enrollment_body(c),
        "kind": {**schedule, "kind": "big"},
        "nocap": {k: v for k, v in schedule.items() if k != "capacity"},
        "weekday": {
            **schedule,
            "recurrence": {
                "weekdays": ["XX"],
                "start_time": "17:00",
                "duration_minutes": 60,
                "start_date": "2026-12-01",
            },
        },
        "time": {
            **schedule,
            "recurrence": {
                "weekdays": ["MO"],
                "start_time": "25:00",
                "duration_minutes": 60,
                "start_date": "2026-12-01",
            },
        },
        "ends": {
            **schedule,
            "recurrence": {
                "weekdays": ["MO"],
                "start_time": "17:00",
                "duration_minutes": 60,
                "start_date": "2026-12-01",
                "end_date": "2026-11-01",
            },
        },
        "policy": {**schedule, "policy": {"cancelled": "maybe"}},
        "ghostteacher": {**schedule, "teacher_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
    }
    if isinstance(spec, str):
        return json.dumps(named[spec])
    if isinstance(spec, bytes):
        return spec
    return None if spec is None else json.dumps(spec)


@pytest.mark.parametrize("name,method,path,body,headers,status,field", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    ctx, name, method, path, body, headers, status, field
):
    api = ctx["w"].admin
    before = table_items()
    answer = api.call(method, path.format(**ctx), raw=_body(ctx, body), headers=headers)
    assert answer.status == status, answer.body
    error = answer.body["error"]
    assert error["code"] and error["message"]
    if field is not None:
        fields = [d["field"] for d in error["details"]]
        assert field in fields, (fields, error)
    assert table_items() == before
