"""Reports over HTTP: JSON and CSV, validated ranges, staff only."""

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest


@pytest.fixture
def activity(world):
    w = world
    schedule = w.staff.post(
        "/schedules", {"name": "Band", "kind": "group", "capacity": 5, "teacher_id": w.ids["teacher_id"]}
    ).body
    w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 10, "responsible_staff_id": w.ids["staff_id"]},
    )
    now = datetime.now(timezone.utc)
    for days, status in (
        (6, "attended"),
        (5, "attended"),
        (4, "attended"),
        (3, "attended"),
        (2, "no_show"),
        (1, "no_show"),
    ):
        session = w.staff.post(
            f"/schedules/{schedule['id']}/sessions", {"starts_at": (now - timedelta(days=days)).isoformat()}
        ).body
        w.teacher.put(f"/sessions/{session['id']}/attendance/{w.ids['student_id']}", {"status": status})
    drained = w.admin.post("/local/jobs/report-counters")
    assert drained.status == 200 and drained.body["result"]["records"] > 0
    return w


@pytest.mark.parametrize("name", ["students", "teachers", "schedules", "overview"])
def test_csv_parses_has_a_header_and_matches_the_json(activity, name):
    w = activity
    as_json = w.staff.get(f"/reports/{name}")
    as_csv = w.staff.get(f"/reports/{name}?format=csv")
    assert as_json.status == as_csv.status == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert set(as_json.body) >= {"from", "to", "as_of", "items"}
    rows = list(csv.DictReader(io.StringIO(as_csv.body)))
    header = next(csv.reader(io.StringIO(as_csv.body)))
    assert header == list(as_json.body["items"][0])
    assert len(rows) == len(as_json.body["items"])

    def spelled(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ";".join(value)
        return "" if value is None else str(value)

    for parsed, item in zip(rows, as_json.body["items"]):
        assert parsed == {k: spelled(v) for k, v in item.items()}


def test_the_students_report_names_the_reason(activity):
    [row] = activity.staff.get("/reports/students").body["items"]
    assert row["at_risk"] is True and row["reasons"] == ["no_show_streak"] and row["no_show_streak"] == 2
    assert (row["attended"], row["no_show"], row["attendance_rate"]) == (4, 2, round(4 / 6, 4))


def test_report_ranges_are_validated(world):
    for query, field in (
        ("from=2027-02-01&to=2027-01-01", "to"),
        ("from=2025-01-01&to=2027-01-01", "to"),
        ("from=soon", "from"),
        ("format=xml", "format"),
        ("colour=red", "colour"),
    ):
        answer = world.staff.get(f"/reports/teachers?{query}")
        assert answer.status == 400 and field in [d["field"] for d in answer.body["error"]["details"]], query


def test_a_report_says_how_fresh_it_is_and_follows_the_stream(world):
    """Counters are kept from the table's stream: a mark counts once the stream is applied."""
    w = world
    schedule = w.staff.post(
        "/schedules", {"name": "Solo", "kind": "one_to_one", "teacher_id": w.ids["teacher_id"]}
    ).body
    w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 3, "responsible_staff_id": w.ids["staff_id"]},
    )
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    marked_from = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    session = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": start.isoformat()}).body
    before = w.staff.get("/reports/overview").body
    assert before["counted_through"] is None and before["items"][0]["attended"] == 0
    assert (
        w.teacher.put(f"/sessions/{session['id']}/attendance/{w.ids['student_id']}", {"status": "attended"}).status
        == 200
    )
    assert w.admin.post("/local/jobs/report-counters").status == 200
    after = w.staff.get("/reports/overview").body
    [row] = after["items"]
    assert (row["attended"], row["sessions_scheduled"], row["sessions_sold"]) == (1, 1, 3)
    assert after["counted_through"] is not None and after["counted_through"] >= marked_from[:19]
    assert w.admin.post("/local/jobs/report-counters").body["result"]["records"] >= 0
    assert w.staff.get("/reports/overview").body["items"] == after["items"]  # applying again adds nothing


def test_the_students_report_costs_the_same_requests_for_one_judged_student_as_for_five(activity):
    from tests.support import count_dynamodb

    w = activity
    w.staff.get("/reports/students")  # a warm container: the login is remembered
    with count_dynamodb() as one:
        [row] = w.staff.get("/reports/students").body["items"]
    assert row["no_show_streak"] == 2
    schedule = next(s for s in w.staff.get("/schedules").body["items"] if s["name"] == "Band")
    now = datetime.now(timezone.utc)
    sessions = [
        w.staff.post(
            f"/schedules/{schedule['id']}/sessions", {"starts_at": (now - timedelta(days=d, hours=2)).isoformat()}
        ).body
        for d in range(4)
    ]
    for n in range(4):
        student = w.staff.post("/students", {"name": f"Judged {n}", "email": f"j{n}@x.example"}).body["id"]
        assert (
            w.staff.post(
                f"/schedules/{schedule['id']}/enrollments",
                {"student_id": student, "initial_balance": 10, "responsible_staff_id": w.ids["staff_id"]},
            ).status
            == 201
        )
        for k, session in enumerate(sessions):  # the newest n marks are no-shows
            status = "no_show" if k < n else "attended"
            assert w.teacher.put(f"/sessions/{session['id']}/attendance/{student}", {"status": status}).status == 200
    assert w.admin.post("/local/jobs/report-counters").status == 200
    with count_dynamodb() as five:
        rows = w.staff.get("/reports/students").body["items"]
    assert sorted((r["student_name"], r["no_show_streak"]) for r in rows if r["student_name"].startswith("Judged")) == [
        ("Judged 0", 0),
        ("Judged 1", 1),
        ("Judged 2", 2),
        ("Judged 3", 3),
    ]
    assert len(five.calls) == len(one.calls), (one.calls, five.calls)  # no query per judged student
