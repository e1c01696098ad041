"""Company settings, staff, students and schedules over the HTTP API."""

from urllib.parse import urlencode

from tests.functional.helpers import Api
from tests.support import count_dynamodb, new_company_id, token


def test_company_settings_default_then_replace_with_version_check(client):
    admin = Api(client, token(new_company_id(), "admin"))
    # Issue 12: a company nobody set up has no settings to show (404, no longer defaults);
    # the first PUT sets it up (the caller becomes its admin). The defaults show in a
    # replacement that leaves them out.
    fresh = admin.get("/company")
    assert fresh.status == 404 and fresh.error_code == "not_found"
    saved = admin.put("/company", {"name": "Harmony School", "timezone": "Europe/Berlin", "low_balance_threshold": 3})
    assert saved.status == 200 and saved.body["version"] == 1
    assert admin.get("/company").body == saved.body
    stale = admin.put("/company", {"name": "X"}, headers={"If-Match": "0"})
    assert stale.status == 412
    again = admin.put("/company", {"name": "Harmony"}, headers={"If-Match": "1"})
    assert again.status == 200 and again.body["name"] == "Harmony" and again.body["timezone"] == "UTC"
    assert (again.body["low_balance_threshold"], again.body["version"]) == (2, 2)
    assert admin.get("/company").body == again.body


def test_staff_and_students_are_created_listed_and_fetched(world):
    listed = world.staff.get("/staff").body["items"]
    # Issue 12: the admin who set the company up (PUT /company) is its first staff member, an
    # admin named "Administrator" by default, with their login as user_id.
    assert {s["name"] for s in listed} == {"Administrator", "Sam Staff", "Tina Teacher", "Theo Teacher"}
    first = next(s for s in listed if s["name"] == "Administrator")
    assert (first["role"], first["user_id"]) == ("admin", f"admin-{world.company_id}")
    one = world.staff.get(f"/staff/{world.ids['teacher_id']}")
    assert one.status == 200 and one.body["role"] == "teacher"
    student = world.staff.get(f"/students/{world.ids['student_id']}")
    assert student.status == 200 and student.body["email"].startswith("stella@")


def test_a_user_id_belongs_to_one_person_only(world):
    taken = world.admin.post(
        "/staff", {"name": "Dup", "email": "d@x.example", "role": "staff", "user_id": f"staff-{world.company_id}"}
    )
    assert taken.status == 409 and taken.body["error"]["details"][0]["field"] == "user_id"
    also = world.staff.post(
        "/students", {"name": "Dup", "email": "d@x.example", "user_id": f"staff-{world.company_id}"}
    )
    assert also.status == 409
    assert len(world.staff.get("/students").body["items"]) == 1


def test_students_list_pages_through_everyone(world):
    for i in range(5):
        assert world.staff.post("/students", {"name": f"S{i}", "email": f"s{i}@x.example"}).status == 201
    names, cursor = [], None
    while True:
        page = world.staff.get("/students?limit=2" + (f"&next={cursor}" if cursor else "")).body
        names += [s["name"] for s in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert sorted(names) == sorted(["Stella Student"] + [f"S{i}" for i in range(5)])


def test_students_are_found_by_the_start_of_their_name_or_surname_or_by_email(world):
    made = {}
    for name, email in (
        ("Mia Meyer", "mia@x.example"),
        ("Zoë O'Neil", "zoe@x.example"),
        ("Max Müller-Lüdenscheidt", "max@x.example"),
        ("Cher", "cher@x.example"),
        ("山田 太郎", "taro@x.example"),
    ):
        answer = world.staff.post("/students", {"name": name, "email": email})
        assert answer.status == 201
        made[name] = answer.body["id"]

    def found(q: str) -> list[str]:
        answer = world.staff.get("/students?" + urlencode({"q": q}))
        assert answer.status == 200 and answer.body["next"] is None, (q, answer.body)
        return [s["name"] for s in answer.body["items"]]

    assert found("mia") == ["Mia Meyer"] and found("MEYER") == ["Mia Meyer"] and found("mia mey") == ["Mia Meyer"]
    assert found("zoe") == ["Zoë O'Neil"] and found("oneil") == ["Zoë O'Neil"] and found("O'Neil") == ["Zoë O'Neil"]
    assert found("max mull") == ["Max Müller-Lüdenscheidt"] == found("ludensch")  # first or last word
    assert found("m") == ["Max Müller-Lüdenscheidt", "Mia Meyer"]  # in name order, each once (Meyer, Müller)
    assert found("che") == ["Cher"] and found("太郎") == ["山田 太郎"] and found("stella") == ["Stella Student"]
    assert found("eyer") == [] and found("nobody") == []
    assert found(" Zoe@X.example ") == ["Zoë O'Neil"] and found("no@x.example") == []
    assert found("m") == [s["name"] for s in world.staff.get("/students?q=m&limit=5").body["items"]]
    assert [s["name"] for s in world.staff.get("/students?q=m&limit=1").body["items"]] == ["Max Müller-Lüdenscheidt"]
    # Another company's students are never found; a teacher may not search.
    other = Api(world.client, token(new_company_id(), "admin"))
    assert other.put("/company", {"name": "Other"}).status == 200
    assert other.post("/students", {"name": "Mia Other", "email": "mo@x.example"}).status == 201
    assert found("mia") == ["Mia Meyer"]
    assert world.teacher.get("/students?q=mia").status == 403
    # What cannot be searched for is named.
    for bad, field in (("!!!", "q"), ("", "q"), ("x" * 101, "q")):
        answer = world.staff.get("/students?" + urlencode({"q": bad}))
        assert answer.status == 400 and field in str(answer.body["error"]["details"]), bad
    mixed = world.staff.get("/students?q=mia&next=abc")
    assert mixed.status == 400 and mixed.body["error"]["details"][0]["field"] == "next"
    # Two Queries, each reading at most the page it answers.
    with count_dynamodb() as counter:
        assert len(world.staff.get("/students?q=m&limit=1").body["items"]) == 1
    assert counter.calls.count("Query") == 2 and "Scan" not in counter.calls and counter.items_read <= 2 + 1


def test_unknown_and_malformed_ids_are_404(world):
    for path in (
        "/staff/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "/students/nope",
        "/schedules/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "/enrollments/a.b",
        "/students/01ARZ3NDEKTSV4RRFFQ69G5FAV/enrollments",
    ):
        answer = world.staff.get(path)
        assert answer.status == 404 and answer.error_code == "not_found", path


def test_schedule_with_recurrence_and_policy_round_trips(world):
    body = {
        "name": "Jazz Band",
        "kind": "group",
        "capacity": 8,
        "teacher_id": world.ids["teacher_id"],
        "timezone": "America/New_York",
        "recurrence": {
            "weekdays": ["MO", "TH"],
            "start_time": "18:30",
            "duration_minutes": 90,
            "start_date": "2026-12-01",
            "end_date": "2027-06-30",
        },
        "policy": {"cancelled": "deduct", "no_show": "hold", "late_cancel_hours": 12, "overdraft": 2},
        "low_balance_threshold": 3,
    }
    made = world.staff.post("/schedules", body)
    assert made.status == 201
    got = world.staff.get(f"/schedules/{made.body['id']}").body
    assert got["recurrence"] == body["recurrence"] and got["policy"] == body["policy"]
    assert got["teacher_name"] == "Tina Teacher" and got["timezone"] == "America/New_York"


def test_schedule_defaults_come_from_the_company_and_the_default_policy(world):
    made = world.staff.post("/schedules", {"name": "Solo", "kind": "one_to_one", "teacher_id": world.ids["teacher_id"]})
    assert made.body["timezone"] == "Europe/Berlin" and made.body["capacity"] == 1
    assert made.body["policy"] == {
        "cancelled": "credit",
        "no_show": "deduct",
        "late_cancel_hours": None,
        "overdraft": 0,
    }


def test_patch_schedule_changes_only_what_is_given(world):
    made = world.staff.post(
        "/schedules",
        {
            "name": "Theory",
            "kind": "group",
            "capacity": 10,
            "teacher_id": world.ids["teacher_id"],
            "policy": {"no_show": "hold", "late_cancel_hours": 24},
        },
    ).body
    changed = world.staff.patch(
        f"/schedules/{made['id']}",
        {"policy": {"overdraft": 1}, "capacity": 12, "teacher_id": world.ids["teacher2_id"]},
        headers={"If-Match": str(made["version"])},
    )
    assert changed.status == 200
    assert changed.body["policy"] == {"cancelled": "credit", "no_show": "hold", "late_cancel_hours": 24, "overdraft": 1}
    assert changed.body["capacity"] == 12 and changed.body["teacher_name"] == "Theo Teacher"
    assert changed.body["version"] == made["version"] + 1
    stale = world.staff.patch(f"/schedules/{made['id']}", {"name": "Old"}, headers={"If-Match": str(made["version"])})
    assert stale.status == 412


def test_teachers_see_only_the_schedules_they_teach(world):
    mine = world.staff.post(
        "/schedules", {"name": "Mine", "kind": "group", "capacity": 3, "teacher_id": world.ids["teacher_id"]}
    ).body
    theirs = world.staff.post(
        "/schedules", {"name": "Theirs", "kind": "group", "capacity": 3, "teacher_id": world.ids["teacher2_id"]}
    ).body
    assert [s["id"] for s in world.teacher.get("/schedules").body["items"]] == [mine["id"]]
    assert world.teacher.get(f"/schedules/{mine['id']}").status == 200
    refused = world.teacher.get(f"/schedules/{theirs['id']}")
    assert refused.status == 403 and refused.error_code == "forbidden"
    assert world.teacher.get(f"/schedules/{theirs['id']}/enrollments").status == 403
    moved = world.staff.patch(f"/schedules/{theirs['id']}", {"teacher_id": world.ids["teacher_id"]})
    assert moved.status == 200
    assert {s["id"] for s in world.teacher.get("/schedules").body["items"]} == {mine["id"], theirs["id"]}
    assert world.other_teacher.get("/schedules").body["items"] == []


def test_errors_of_the_framework_use_the_contract_shape(world):
    answer = world.staff.call("DELETE", "/company")
    assert answer.status == 405
    assert answer.body["error"]["code"] == "method_not_allowed"
