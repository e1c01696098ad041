"""Sessions made from recurrences, the horizon job, boards and the student portal."""

from datetime import date, datetime, timedelta, timezone

from chalicelib import jobs
from chalicelib.services import sessions as session_service
from tests.invariants import drain_stream

TODAY = datetime.now(timezone.utc).date()


def weekly(world, weekdays=("MO", "TH"), start=None, end=None, tz="Europe/Berlin", teacher="teacher_id"):
    rec = {
        "weekdays": list(weekdays),
        "start_time": "17:00",
        "duration_minutes": 60,
        "start_date": (start or TODAY).isoformat(),
    }
    if end:
        rec["end_date"] = end.isoformat()
    made = world.staff.post(
        "/schedules",
        {
            "name": "Weekly",
            "kind": "group",
            "capacity": 6,
            "timezone": tz,
            "teacher_id": world.ids[teacher],
            "recurrence": rec,
        },
    )
    assert made.status == 201, made.body
    return made.body


def all_sessions(world, schedule_id, start, end):
    got, cursor = [], None
    while True:
        page = world.staff.get(
            f"/schedules/{schedule_id}/sessions?from={start}&to={end}&limit=50" + (f"&next={cursor}" if cursor else "")
        ).body
        got += page["items"]
        cursor = page["next"]
        if not cursor:
            return got


def test_a_recurring_schedule_has_its_sessions_made_at_least_eight_weeks_ahead(world):
    schedule = weekly(world)
    made = all_sessions(world, schedule["id"], TODAY, TODAY + timedelta(days=70))
    days = sorted({s["starts_at"][:10] for s in made})
    assert days[0] >= TODAY.isoformat()
    assert days[-1] >= (TODAY + timedelta(days=52)).isoformat()
    assert all(datetime.fromisoformat(s["starts_at"].replace("Z", "+00:00")).weekday() in (0, 3) for s in made)
    assert 15 <= len(made) <= 18 and all(s["origin"] == "recurrence" for s in made)


def test_the_daily_job_extends_the_horizon_and_running_it_twice_makes_nothing_twice(world):
    schedule = weekly(world, weekdays=("TU",))
    later = TODAY + timedelta(days=21)
    first = world.admin.post(f"/local/jobs/session-horizon?date={later.isoformat()}")
    assert first.status == 200 and first.body["result"]["sessions_made"] == 3
    again = world.admin.post(f"/local/jobs/session-horizon?date={later.isoformat()}")
    result = again.body["result"]
    assert (result["schedules"], result["sessions_made"]) == (0, 0)
    assert result["horizon_until"] == (later + timedelta(days=56)).isoformat()
    assert result["store"]["items_read"] == 0  # nothing due: the job read nothing
    made = all_sessions(world, schedule["id"], TODAY, later + timedelta(days=60))
    assert max(s["starts_at"][:10] for s in made) >= (later + timedelta(days=50)).isoformat()


def test_the_job_reads_only_the_schedules_that_are_due(world):
    weekly(world, weekdays=("WE",))
    today = datetime.now(timezone.utc).date()  # the day the schedule's sessions were made on
    assert jobs.run("session-horizon", today)["result"]["schedules"] == 0
    assert jobs.run("session-horizon", today + timedelta(days=1))["result"]["schedules"] == 1


def test_a_finished_recurrence_leaves_the_job_for_good(world):
    weekly(world, weekdays=("FR",), start=TODAY, end=TODAY + timedelta(days=20))
    assert jobs.run("session-horizon", TODAY + timedelta(days=30))["result"]["schedules"] == 0


def test_changing_the_recurrence_moves_unmarked_sessions_and_keeps_marked_ones(world):
    schedule = weekly(world, weekdays=("MO",), start=TODAY)
    enrollment = world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": world.ids["student_id"], "initial_balance": 5, "responsible_staff_id": world.ids["staff_id"]},
    ).body
    made = all_sessions(world, schedule["id"], TODAY, TODAY + timedelta(days=70))
    keep = made[1]["id"]
    world.staff.put(f"/sessions/{keep}/attendance/{world.ids['student_id']}", {"status": "cancelled"})
    changed = world.staff.patch(
        f"/schedules/{schedule['id']}",
        {
            "recurrence": {
                "weekdays": ["TU"],
                "start_time": "18:00",
                "duration_minutes": 45,
                "start_date": TODAY.isoformat(),
            }
        },
    )
    assert changed.status == 200
    after = all_sessions(world, schedule["id"], TODAY, TODAY + timedelta(days=70))
    weekdays = {s["id"]: datetime.fromisoformat(s["starts_at"].replace("Z", "+00:00")).weekday() for s in after}
    assert weekdays.pop(keep) == 0
    assert set(weekdays.values()) == {1}
    assert world.staff.get(f"/enrollments/{enrollment['id']}").body["balance"] == 5


def test_removing_the_recurrence_removes_future_unmarked_sessions(world):
    schedule = weekly(world)
    assert world.staff.patch(f"/schedules/{schedule['id']}", {"recurrence": None}).status == 200
    assert all_sessions(world, schedule["id"], TODAY, TODAY + timedelta(days=70)) == []


def _class_with_past(world, past=4, upcoming=3):
    schedule = world.staff.post(
        "/schedules", {"name": "Flute", "kind": "one_to_one", "teacher_id": world.ids["teacher_id"]}
    ).body
    enrollment = world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": world.ids["student_id"], "initial_balance": 10, "responsible_staff_id": world.ids["staff_id"]},
    ).body
    now = datetime.now(timezone.utc)
    made = [
        world.staff.post(
            f"/schedules/{schedule['id']}/sessions", {"starts_at": (now + timedelta(days=d)).isoformat()}
        ).body
        for d in list(range(-past * 7, 0, 7)) + [7 * (i + 1) for i in range(upcoming)]
    ]
    return schedule, enrollment, made


def test_the_product_example_ten_sessions_four_attended_leaves_six(world):
    schedule, enrollment, made = _class_with_past(world)
    for s in made[:4]:
        assert (
            world.teacher.put(
                f"/sessions/{s['id']}/attendance/{world.ids['student_id']}", {"status": "attended"}
            ).status
            == 200
        )
    assert world.staff.get(f"/enrollments/{enrollment['id']}").body["balance"] == 6
    mine = world.student.get("/me/enrollments").body["items"]
    assert [(e["schedule_name"], e["remaining_sessions"]) for e in mine] == [("Flute", 6)]
    drain_stream()  # each session's seat for its student is kept from the stream (services/seats.py)
    past = world.student.get("/me/sessions?when=past").body["items"]
    assert [p["status"] for p in past] == ["attended"] * 4
    assert [p["starts_at"] for p in past] == sorted((p["starts_at"] for p in past), reverse=True)
    upcoming = world.student.get("/me/sessions?when=upcoming").body["items"]
    assert len(upcoming) == 3 and all(
        u["teacher_name"] == "Tina Teacher" and u["status"] == "unmarked" for u in upcoming
    )
    assert world.student.get("/me").body["name"] == "Stella Student"


def test_the_portal_pages_and_shows_only_the_students_own_sessions(world):
    schedule, enrollment, made = _class_with_past(world, past=0, upcoming=5)
    other = world.staff.post("/students", {"name": "Other", "email": "o@x.example"}).body
    world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": other["id"], "initial_balance": 2, "responsible_staff_id": world.ids["staff_id"]},
    )
    booked_for_other = world.staff.post(
        f"/schedules/{schedule['id']}/sessions",
        {"starts_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat(), "student_id": other["id"]},
    ).body
    drain_stream()
    seen, cursor = [], None
    while True:
        page = world.student.get("/me/sessions?when=upcoming&limit=2" + (f"&next={cursor}" if cursor else "")).body
        assert len(page["items"]) <= 2
        seen += [i["session_id"] for i in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == [s["id"] for s in made] and booked_for_other["id"] not in seen
    refused = world.student.put(
        f"/sessions/{made[0]['id']}/attendance/{world.ids['student_id']}", {"status": "cancelled"}
    )
    assert refused.status == 403


def test_a_booked_session_belongs_to_its_student_alone(world):
    schedule, enrollment, _ = _class_with_past(world, past=0, upcoming=0)
    other = world.staff.post("/students", {"name": "Other", "email": "o@x.example"}).body
    world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": other["id"], "initial_balance": 2, "responsible_staff_id": world.ids["staff_id"]},
    )
    mine = world.staff.post(
        f"/schedules/{schedule['id']}/sessions",
        {"starts_at": "2027-04-01T10:00:00Z", "student_id": world.ids["student_id"]},
    ).body
    roster = world.staff.get(f"/sessions/{mine['id']}/attendance").body["items"]
    assert [r["student_id"] for r in roster] == [world.ids["student_id"]]
    refused = world.staff.put(f"/sessions/{mine['id']}/attendance/{other['id']}", {"status": "attended"})
    assert refused.status == 409 and refused.error_code == "not_enrolled"


def test_the_schedule_board_pages_sessions_with_every_students_status(world):
    schedule = weekly(world, weekdays=("MO", "WE", "FR"), start=TODAY - timedelta(days=14))
    second = world.staff.post("/students", {"name": "Bo", "email": "bo@x.example"}).body
    for student in (world.ids["student_id"], second["id"]):
        world.staff.post(
            f"/schedules/{schedule['id']}/enrollments",
            {"student_id": student, "initial_balance": 8, "responsible_staff_id": world.ids["staff_id"]},
        )
    start, end = TODAY - timedelta(days=14), TODAY
    sessions = all_sessions(world, schedule["id"], start, end)
    world.teacher.put(f"/sessions/{sessions[0]['id']}/attendance/{second['id']}", {"status": "no_show"})
    rows, cursor = [], None
    while True:
        page = world.teacher.get(
            f"/schedules/{schedule['id']}/board?from={start}&to={end}&limit=2" + (f"&next={cursor}" if cursor else "")
        )
        assert page.status == 200 and len(page.body["items"]) <= 2
        assert {s["student_name"] for s in page.body["students"]} == {"Stella Student", "Bo"}
        rows += page.body["items"]
        cursor = page.body["next"]
        if not cursor:
            break
    assert [r["session_id"] for r in rows] == [s["id"] for s in sessions]
    first = {c["student_id"]: c["status"] for c in rows[0]["attendance"]}
    assert first == {world.ids["student_id"]: "unmarked", second["id"]: "no_show"}
    assert all(r["kind"] == "group" and r["teacher_name"] == "Tina Teacher" for r in rows)
    assert world.other_teacher.get(f"/schedules/{schedule['id']}/board").status == 403


def test_the_student_board_spans_schedules_in_time_order(world):
    a, _, made_a = _class_with_past(world, past=2, upcoming=1)
    b = weekly(world, weekdays=("SA",), start=TODAY - timedelta(days=20))
    world.staff.post(
        f"/schedules/{b['id']}/enrollments",
        {"student_id": world.ids["student_id"], "initial_balance": 3, "responsible_staff_id": world.ids["staff_id"]},
    )
    start, end = TODAY - timedelta(days=20), TODAY + timedelta(days=10)
    drain_stream()
    board = world.staff.get(f"/students/{world.ids['student_id']}/board?from={start}&to={end}&limit=100")
    assert board.status == 200
    items = board.body["items"]
    assert {i["schedule_name"] for i in items} == {"Flute", "Weekly"}
    assert [i["starts_at"] for i in items] == sorted(i["starts_at"] for i in items)


def test_range_and_query_mistakes_are_400(world):
    schedule = weekly(world)
    for query, field in (
        ("from=2027-02-01&to=2027-01-01", "to"),
        ("from=2020-01-01&to=2027-01-01", "to"),
        ("from=yesterday", "from"),
        ("next=abc", "next"),
    ):
        answer = world.staff.get(f"/schedules/{schedule['id']}/board?{query}")
        assert answer.status == 400 and field in [d["field"] for d in answer.body["error"]["details"]], query
    assert world.student.get("/me/sessions?when=someday").status == 400


def test_day_ranges_are_local_calendar_days():
    low, high = session_service.day_range("America/New_York", date(2027, 1, 5), date(2027, 1, 5))
    assert (low, high) == ("2027-01-05T05:00:00.000Z", "2027-01-06T05:00:00.000Z")


def test_a_teachers_agenda_spans_schedules_and_follows_substitutions(world):
    own = world.staff.post(
        "/schedules", {"name": "Own", "kind": "group", "capacity": 4, "teacher_id": world.ids["teacher_id"]}
    ).body
    other = world.staff.post(
        "/schedules", {"name": "Other", "kind": "group", "capacity": 4, "teacher_id": world.ids["teacher2_id"]}
    ).body
    soon = datetime.now(timezone.utc) + timedelta(days=2)
    mine = world.staff.post(f"/schedules/{own['id']}/sessions", {"starts_at": soon.isoformat()}).body
    covered = world.staff.post(
        f"/schedules/{other['id']}/sessions", {"starts_at": (soon + timedelta(hours=3)).isoformat()}
    ).body
    world.staff.post(f"/schedules/{other['id']}/sessions", {"starts_at": (soon + timedelta(hours=5)).isoformat()})
    world.staff.patch(f"/sessions/{covered['id']}", {"teacher_id": world.ids["teacher_id"]})
    agenda = world.teacher.get(f"/staff/{world.ids['teacher_id']}/sessions")
    assert agenda.status == 200
    assert [s["id"] for s in agenda.body["items"]] == [mine["id"], covered["id"]]
    assert world.staff.get(f"/staff/{world.ids['teacher2_id']}/sessions").body["items"][0]["schedule_id"] == other["id"]
    assert world.teacher.get(f"/staff/{world.ids['teacher2_id']}/sessions").status == 403
    assert world.staff.get("/staff/01ARZ3NDEKTSV4RRFFQ69G5FAV/sessions").status == 404


def test_a_board_reads_only_the_active_roster_and_shows_who_left_only_where_they_have_marks(world):
    from tests.support import count_dynamodb

    schedule = weekly(world, weekdays=("MO", "WE", "FR"), start=TODAY - timedelta(days=14))
    stay = world.ids["student_id"]
    left = world.staff.post("/students", {"name": "Lena Left", "email": "lena@x.example"}).body["id"]
    for student in (stay, left):
        assert (
            world.staff.post(
                f"/schedules/{schedule['id']}/enrollments",
                {"student_id": student, "initial_balance": 8, "responsible_staff_id": world.ids["staff_id"]},
            ).status
            == 201
        )
    start, end = TODAY - timedelta(days=14), TODAY
    sessions = all_sessions(world, schedule["id"], start, end)
    assert world.teacher.put(f"/sessions/{sessions[0]['id']}/attendance/{left}", {"status": "attended"}).status == 200
    ended = world.staff.patch(f"/enrollments/{schedule['id']}.{left}", {"status": "ended"})
    assert ended.status == 200 and ended.body["status"] == "ended", ended.body

    def board(limit, cursor=None):
        with count_dynamodb() as counted:
            page = world.teacher.get(
                f"/schedules/{schedule['id']}/board?from={start}&to={end}&limit={limit}"
                + (f"&next={cursor}" if cursor else "")
            )
        assert page.status == 200, page.body
        return page.body, counted

    first, counted = board(2)
    assert [(s["student_id"], s["status"], s["balance"]) for s in first["students"]] == [
        (stay, "active", 8),
        (left, "ended", None),
    ]
    assert {c["student_id"]: c["status"] for c in first["items"][0]["attendance"]} == {
        stay: "unmarked",
        left: "attended",
    }
    later, _ = board(2, first["next"])
    assert [s["student_id"] for s in later["students"]] == [stay]  # no marks of theirs on this page
    assert [c["student_id"] for c in later["items"][0]["attendance"]] == [stay]

    # Ended enrollments are never read: twenty more who came and went cost the board nothing.
    assert counted.calls == ["Query", "Query"]
    reads = counted.items_read
    for n in range(20):
        other = world.staff.post("/students", {"name": f"Gone {n}", "email": f"gone{n}@x.example"}).body["id"]
        world.staff.post(
            f"/schedules/{schedule['id']}/enrollments",
            {"student_id": other, "initial_balance": 1, "responsible_staff_id": world.ids["staff_id"]},
        )
        assert world.staff.patch(f"/enrollments/{schedule['id']}.{other}", {"status": "ended"}).status == 200
    again, counted = board(2)
    assert again == first and counted.calls == ["Query", "Query"] and counted.items_read == reads

    # The session's roster likewise: the active roster, and who left only for their mark.
    with count_dynamodb() as counted:
        roster = world.teacher.get(f"/sessions/{sessions[0]['id']}/attendance")
    assert roster.status == 200 and counted.calls == ["Query", "Query"]
    assert [(r["student_id"], r["enrollment_status"], r["balance"], r["status"]) for r in roster.body["items"]] == [
        (stay, "active", 8, "unmarked"),
        (left, "ended", None, "attended"),
    ]
    assert counted.items_read == 1 + 1 + 1 + 1  # the session, its one mark; the header, one active enrollment


def test_a_students_sessions_across_schedules_are_two_requests_and_follow_enrollments_and_moves(world):
    from chalicelib.store import stream
    from tests.support import count_dynamodb, table_items

    student = world.ids["student_id"]
    now = datetime.now(timezone.utc)
    schedules = []
    for n in range(3):
        sch = world.staff.post(
            "/schedules", {"name": f"Class {n}", "kind": "group", "capacity": 5, "teacher_id": world.ids["teacher_id"]}
        ).body
        assert (
            world.staff.post(
                f"/schedules/{sch['id']}/enrollments",
                {"student_id": student, "initial_balance": 5, "responsible_staff_id": world.ids["staff_id"]},
            ).status
            == 201
        )
        for d in (-3 - n, 2 + n):
            made = world.staff.post(
                f"/schedules/{sch['id']}/sessions", {"starts_at": (now + timedelta(days=d)).isoformat()}
            ).body
            if d < 0:  # a class that met before the student was enrolled is theirs where they have a mark
                assert (
                    world.teacher.put(f"/sessions/{made['id']}/attendance/{student}", {"status": "attended"}).status
                    == 200
                )
        schedules.append(sch)
    drain_stream()
    world.student.get("/me")  # a warm container: the login is remembered
    with count_dynamodb() as counted:
        upcoming = world.student.get("/me/sessions?when=upcoming").body["items"]
    assert [i["schedule_name"] for i in upcoming] == ["Class 0", "Class 1", "Class 2"]
    assert counted.calls == ["Query", "BatchGetItem"]
    with count_dynamodb() as counted:
        past = world.student.get("/me/sessions?when=past").body["items"]
    assert [i["schedule_name"] for i in past] == ["Class 0", "Class 1", "Class 2"]  # newest first
    assert counted.calls == ["Query", "BatchGetItem"]
    world.staff.get(f"/students/{student}/board")  # the company's zone is remembered too
    with count_dynamodb() as counted:
        board = world.staff.get(
            f"/students/{student}/board?from={TODAY - timedelta(days=7)}&to={TODAY + timedelta(days=7)}"
        ).body["items"]
    assert len(board) == 6 and counted.calls == ["Query", "BatchGetItem"]
    assert world.staff.get("/students/01ARZ3NDEKTSV4RRFFQ69G5FAV/board").status == 404

    # Leaving a class takes its coming sessions away and keeps its past; a move reorders.
    assert world.staff.patch(f"/enrollments/{schedules[0]['id']}.{student}", {"status": "ended"}).status == 200
    later = upcoming[2]
    assert (
        world.staff.patch(
            f"/sessions/{later['session_id']}", {"starts_at": (now + timedelta(hours=20)).isoformat()}
        ).status
        == 200
    )
    drain_stream()
    upcoming = world.student.get("/me/sessions?when=upcoming").body["items"]
    assert [i["schedule_name"] for i in upcoming] == ["Class 2", "Class 1"]
    past = world.student.get("/me/sessions?when=past").body["items"]
    assert [i["schedule_name"] for i in past] == ["Class 0", "Class 1", "Class 2"]

    # Handed the same stream records again (Lambda retries a batch): the same seats.
    seats = sorted((i["PK"]["S"], i["SK"]["S"]) for i in table_items() if i.get("type", {}).get("S") == "seat")
    batches: list = []
    stream.forget_positions()
    stream.drain(batches.append)
    from chalicelib.services import seats as seat_service

    for batch in batches:
        seat_service.apply_stream_records(batch)
    assert sorted((i["PK"]["S"], i["SK"]["S"]) for i in table_items() if i.get("type", {}).get("S") == "seat") == seats
    assert [i["schedule_name"] for i in world.student.get("/me/sessions?when=upcoming").body["items"]] == [
        "Class 2",
        "Class 1",
    ]


def test_a_student_enrolled_after_sessions_were_made_has_the_coming_ones_only(world):
    schedule = weekly(world, weekdays=("MO", "WE", "FR"), start=TODAY - timedelta(days=14))
    assert (
        world.staff.post(
            f"/schedules/{schedule['id']}/enrollments",
            {
                "student_id": world.ids["student_id"],
                "initial_balance": 8,
                "responsible_staff_id": world.ids["staff_id"],
            },
        ).status
        == 201
    )
    drain_stream()
    upcoming = world.student.get("/me/sessions?when=upcoming&limit=100").body["items"]
    past = world.student.get("/me/sessions?when=past").body["items"]
    assert upcoming and all(i["starts_at"] >= datetime.now(timezone.utc).isoformat()[:19] for i in upcoming)
    assert past == []  # the class met before they joined: not their sessions
