"""The operator's upgrade of a table written by the earlier layout: fields filled once,
counters rebuilt exactly."""

from chalicelib import config
from chalicelib.store import engine, stream
from tests.functional.helpers import build_world
from tests.invariants import check_invariants
from tests.support import hours_from_now, table_items
from tools import upgrade_table


def _strip(name: str, kinds: tuple[str, ...]) -> int:
    client = engine.boto_client()
    stripped = 0
    for item in table_items():
        if item.get("type", {}).get("S") in kinds and name in item:
            client.update_item(
                TableName=config.table_name(),
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="REMOVE #f",
                ExpressionAttributeNames={"#f": name},
            )
            stripped += 1
    return stripped


def _marked_world(client):
    w = build_world(client)
    schedule = w.staff.post(
        "/schedules",
        {"name": "Oboe", "kind": "one_to_one", "timezone": "Asia/Tokyo", "teacher_id": w.ids["teacher_id"]},
    ).body
    w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 5, "responsible_staff_id": w.ids["staff_id"]},
    )
    # Started an hour ago: attendance is recorded once a session has started (issue 12).
    session = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": hours_from_now(-1)}).body
    assert (
        w.teacher.put(f"/sessions/{session['id']}/attendance/{w.ids['student_id']}", {"status": "attended"}).status
        == 200
    )
    return w


def test_fill_gives_every_item_its_company_and_every_mark_its_zone_once(client):
    w = _marked_world(client)
    check_invariants()  # everything counted, the mark in its session's (Tokyo) day
    assert _strip("company_id", ("student", "enrollment", "ledger", "mark", "session")) >= 5
    assert _strip("timezone", ("mark",)) == 1
    stream.drain(lambda batch: None)  # items of the earlier layout were written that way: nothing to count
    first = upgrade_table.fill(None)
    assert first["company_id"] >= 5 and first["timezone"] == 1
    items = table_items()
    owned = [i for i in items if i["PK"]["S"].startswith(f"C#{w.company_id}")]
    assert {i["company_id"]["S"] for i in owned} == {w.company_id}
    [mark] = [i for i in items if i.get("type", {}).get("S") == "mark"]
    assert mark["timezone"]["S"] == "Asia/Tokyo"
    again = upgrade_table.fill(None)
    assert {k: v for k, v in again.items() if k not in ("seats", "runs")} == dict.fromkeys(
        [k for k in again if k not in ("seats", "runs")], 0
    )  # seats and runs are written over as they must be
    check_invariants()  # filling in the zone moved no count to another day


def test_recount_rebuilds_counters_that_were_counted_twice(client):
    _marked_world(client)
    check_invariants()  # the stream applied: counters right
    counters = [i for i in table_items() if i.get("type", {}).get("S") == "stats"]
    for item in counters:  # as if the earlier code and the stream had both counted
        engine.boto_client().update_item(
            TableName=config.table_name(),
            Key={"PK": item["PK"], "SK": item["SK"]},
            UpdateExpression="ADD sessions :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    result = upgrade_table.recount()
    assert result["counters_deleted"] == len(counters) + 1 and result["items_counted"] >= 4
    check_invariants()
    assert upgrade_table.recount()["items_counted"] == result["items_counted"]  # again: the same
    check_invariants()


def test_fill_gives_logins_their_role_schedules_their_count_and_seals_plain_secrets(client):
    w = _marked_world(client)
    hook = w.admin.post("/integrations", {"provider": "calcom", "name": "Cal", "secret": "plain-secret-1"}).body
    client_ = engine.boto_client()
    for item in table_items():
        key = {"PK": item["PK"], "SK": item["SK"]}
        kind = item.get("type", {}).get("S")
        if kind == "user_ref":
            client_.update_item(
                TableName=config.table_name(),
                Key=key,
                UpdateExpression="REMOVE #f",
                ExpressionAttributeNames={"#f": "role"},
            )
        elif kind == "schedule":
            client_.update_item(
                TableName=config.table_name(),
                Key=key,
                UpdateExpression="REMOVE #f",
                ExpressionAttributeNames={"#f": "active_enrollments"},
            )
        elif kind == "integration":  # as an earlier version stored it
            client_.update_item(
                TableName=config.table_name(),
                Key=key,
                UpdateExpression="SET #f = :p",
                ExpressionAttributeNames={"#f": "secret"},
                ExpressionAttributeValues={":p": {"S": "plain-secret-1"}},
            )
    stream.drain(lambda batch: None)
    done = upgrade_table.fill(None)
    assert done["role"] >= 3 and done["active_enrollments"] == 1 and done["secrets_sealed"] == 1
    items = table_items()
    roles = {i["user_id"]["S"]: i.get("role", {}).get("S") for i in items if i.get("type", {}).get("S") == "user_ref"}
    assert roles[f"admin-{w.company_id}"] == "admin" and roles[f"teacher-{w.company_id}"] == "teacher"
    [schedule] = [i for i in items if i.get("type", {}).get("S") == "schedule"]
    assert schedule["active_enrollments"]["N"] == "1"
    [integration] = [i for i in items if i.get("type", {}).get("S") == "integration"]
    assert integration["secret"]["S"].startswith("kms1:") and "plain-secret-1" not in str(integration)
    assert w.staff.get("/students").status == 200 and hook["id"]


def test_fill_gives_sessions_written_before_gsi3_their_place_in_the_list(client):
    w = _marked_world(client)
    [schedule] = [s for s in w.staff.get("/schedules").body["items"] if s["name"] == "Oboe"]
    from datetime import date, timedelta

    today = date.today()
    path = f"/schedules/{schedule['id']}/sessions?from={today - timedelta(days=2)}&to={today + timedelta(days=2)}"
    listed = [s["id"] for s in w.staff.get(path).body["items"]]
    assert len(listed) == 1
    assert _strip("GSI3PK", ("session",)) == 1 and _strip("GSI3SK", ("session",)) == 1
    assert w.staff.get(path).body["items"] == []  # as the earlier layout left it
    assert upgrade_table.fill(None)["sessions_indexed"] == 1
    assert [s["id"] for s in w.staff.get(path).body["items"]] == listed
    assert upgrade_table.fill(None)["sessions_indexed"] == 0  # again: nothing to do


def test_a_board_of_a_schedule_written_before_headers_reads_as_before_until_the_fill_gives_it_one(client):
    from tests.support import count_dynamodb

    w = _marked_world(client)
    [schedule] = [s for s in w.staff.get("/schedules").body["items"] if s["name"] == "Oboe"]
    board_path = f"/schedules/{schedule['id']}/board"
    board = w.staff.get(board_path).body
    assert [s["status"] for s in board["students"]] == ["active"] and len(board["items"]) == 1
    client_ = engine.boto_client()
    for item in table_items():  # as the earlier layout left them: no header, no roster key
        if item.get("type", {}).get("S") == "schedule_header":
            client_.delete_item(TableName=config.table_name(), Key={"PK": item["PK"], "SK": item["SK"]})
    assert _strip("LSI1SK", ("enrollment",)) >= 1
    with count_dynamodb() as before_fill:
        assert w.staff.get(board_path).body == board
    done = upgrade_table.fill(None)
    assert done["schedule_headers"] >= 1 and done["roster_keys"] >= 1
    with count_dynamodb() as after_fill:
        assert w.staff.get(board_path).body == board
    assert before_fill.calls == ["Query", "GetItem", "Query", "Query"] and after_fill.calls == ["Query", "Query"]
    again = upgrade_table.fill(None)
    assert again["schedule_headers"] == 0 and again["roster_keys"] == 0


def test_fill_gives_sessions_written_before_seats_their_students_seats(client):
    from tests.invariants import drain_stream

    w = _marked_world(client)
    [oboe] = [s for s in w.staff.get("/schedules").body["items"] if s["name"] == "Oboe"]
    assert w.staff.post(f"/schedules/{oboe['id']}/sessions", {"starts_at": hours_from_now(30)}).status == 201
    drain_stream()
    before = (
        w.student.get("/me/sessions?when=upcoming").body["items"],
        w.student.get("/me/sessions?when=past").body["items"],
    )
    assert len(before[0]) == 1 and len(before[1]) == 1
    client_ = engine.boto_client()
    seats = [i for i in table_items() if i.get("type", {}).get("S") == "seat"]
    assert len(seats) == 1  # the coming session's (the past one began before the enrollment: its mark shows it)
    for item in seats:  # as the earlier layout left them: no seats
        client_.delete_item(TableName=config.table_name(), Key={"PK": item["PK"], "SK": item["SK"]})
    stream.drain(lambda batch: None)  # those deletes are the test's, not the app's
    assert w.student.get("/me/sessions?when=upcoming").body["items"] == []
    assert upgrade_table.fill(None)["seats"] == 1
    assert (
        w.student.get("/me/sessions?when=upcoming").body["items"],
        w.student.get("/me/sessions?when=past").body["items"],
    ) == before
    again = sorted((i["PK"]["S"], i["SK"]["S"]) for i in table_items() if i.get("type", {}).get("S") == "seat")
    assert again == sorted((i["PK"]["S"], i["SK"]["S"]) for i in seats)
    assert upgrade_table.fill(None)["seats"] == 1  # again: the same seats, written over


def test_fill_gives_students_with_marks_their_no_show_run(client):
    from tests.invariants import drain_stream

    _marked_world(client)
    drain_stream()
    runs = [i for i in table_items() if i.get("type", {}).get("S") == "no_show_run"]
    assert len(runs) == 1 and runs[0]["entries"]["S"].endswith("|e")  # the one mark: attended
    client_ = engine.boto_client()
    client_.delete_item(TableName=config.table_name(), Key={"PK": runs[0]["PK"], "SK": runs[0]["SK"]})
    stream.drain(lambda batch: None)
    assert upgrade_table.fill(None)["runs"] == 1
    assert [i for i in table_items() if i.get("type", {}).get("S") == "no_show_run"] == runs


def test_fill_gives_students_written_before_the_name_search_their_name_keys(client):
    w = _marked_world(client)
    student = w.staff.get(f"/students/{w.ids['student_id']}").body
    word = student["name"].split()[0]
    assert [s["id"] for s in w.staff.get(f"/students?q={word}").body["items"]] == [student["id"]]
    for name in ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"):
        _strip(name, ("student",))
    assert w.staff.get(f"/students?q={word}").body["items"] == []  # as the earlier layout left it
    assert upgrade_table.fill(None)["student_names"] == 1
    assert [s["id"] for s in w.staff.get(f"/students?q={word}").body["items"]] == [student["id"]]
    assert upgrade_table.fill(None)["student_names"] == 0  # again: nothing to do


def test_fill_gives_enrollments_written_before_packages_one_lot_without_expiry_once(client):
    w = _marked_world(client)  # balance 5, one attended: 4
    enrollment = w.staff.get(f"/students/{w.ids['student_id']}/enrollments").body["items"][0]
    client_ = engine.boto_client()
    for item in table_items():
        kind = item.get("type", {}).get("S")
        if kind in ("enrollment", "ledger", "mark"):  # as the earlier layout wrote them: no lots, no lot ids
            client_.update_item(
                TableName=config.table_name(),
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="REMOVE lots, owed, lot_id",
            )
    # Read before the fill, the enrollment already shows its balance as one lot.
    read = w.staff.get(f"/enrollments/{enrollment['id']}").body
    assert [(lot["id"], lot["remaining"], lot["expires_at"]) for lot in read["lots"]] == [("L0", 4, None)]
    assert upgrade_table.fill(None)["lots"] == 1
    (stored,) = [i for i in table_items() if i.get("type", {}).get("S") == "enrollment"]
    assert stored["lots"]["L"][0]["M"]["remaining"] == {"N": "4"}
    assert upgrade_table.fill(None)["lots"] == 0  # again: nothing to do
    # The statement reads the earlier entries as what L0 started from, and a top-up adds L1.
    top = w.staff.post(f"/enrollments/{enrollment['id']}/top-ups", {"sessions": 2}).body
    assert [(lot["id"], lot["remaining"]) for lot in top["lots"]] == [("L0", 4), ("L1", 2)]
    statement = w.staff.get(f"/enrollments/{enrollment['id']}/statement").body
    assert statement["balance"] == 6 and statement["owed"] == 0
    assert [(lot["id"], lot["remaining"]) for lot in statement["lots"]] == [("L0", 4), ("L1", 2)]
    check_invariants()
