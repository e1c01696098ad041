"""Notifications over HTTP: the local job route, each staff member's own inbox, reading,
the local outbox, and company isolation."""

from tests.functional.helpers import build_world


def _low(world, balance=1):
    schedule = world.staff.post(
        "/schedules", {"name": "Harp", "kind": "one_to_one", "teacher_id": world.ids["teacher_id"]}
    ).body
    return world.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {
            "student_id": world.ids["student_id"],
            "initial_balance": balance,
            "responsible_staff_id": world.ids["staff_id"],
        },
    ).body


def test_the_local_job_notifies_the_responsible_staff_member_and_fills_the_outbox(world):
    _low(world)
    run = world.admin.post("/local/jobs/low-balance?date=2027-03-01")
    assert run.status == 200 and run.body["job"] == "low-balance" and run.body["date"] == "2027-03-01"
    assert run.body["result"]["notifications"] == 1 and run.body["result"]["emails"] == 1
    inbox = world.staff.get("/notifications")
    assert inbox.status == 200
    [note] = inbox.body["items"]
    assert (note["kind"], note["student_name"], note["schedule_name"], note["balance"], note["threshold"]) == (
        "low_balance",
        "Stella Student",
        "Harp",
        1,
        2,
    )
    assert note["read_at"] is None and note["email"] == "sent"
    read = world.staff.post(f"/notifications/{note['id']}/read")
    assert read.status == 200 and read.body["read_at"]
    assert world.staff.get("/notifications?unread=true").body["items"] == []
    again = world.staff.post(f"/notifications/{note['id']}/read")
    assert again.body["read_at"] == read.body["read_at"]
    outbox = world.admin.get("/local/outbox").body["items"]
    assert len(outbox) == 1 and outbox[0]["to"] == f"staff@{world.company_id}.example"
    assert "Stella Student (Harp): 1 session(s) left" in outbox[0]["body"]
    assert world.admin.post("/local/jobs/low-balance?date=2027-03-01").body["result"]["notifications"] == 0


def test_notifications_are_each_staff_members_own_and_each_companys_own(client, world):
    _low(world)
    world.admin.post("/local/jobs/low-balance")
    other = build_world(client)
    assert other.staff.get("/notifications").body["items"] == []
    assert other.admin.get("/local/outbox").body["items"] == []
    assert world.admin.get("/notifications").body["items"] == []  # not responsible, not an orphan
    assert world.teacher.get("/notifications").body["items"] == []
    note = world.staff.get("/notifications").body["items"][0]
    assert other.staff.post(f"/notifications/{note['id']}/read").status == 404
    assert world.teacher.post(f"/notifications/{note['id']}/read").status == 404


def test_an_unknown_job_is_404_and_a_bad_date_400(world):
    assert world.admin.post("/local/jobs/nonsense").status == 404
    bad = world.admin.post("/local/jobs/low-balance?date=someday")
    assert bad.status == 400 and bad.body["error"]["details"][0]["field"] == "date"
