"""The operator's upgrade of a table written by the earlier layout: fields filled once,
counters rebuilt exactly."""
from chalicelib import config
from chalicelib.store import engine, stream
from tests.functional.helpers import build_world
from tests.invariants import check_invariants
from tests.support import table_items
from tools import upgrade_table


def _strip(name: str, kinds: tuple[str, ...]) -> int:
    client = engine.boto_client()
    stripped = 0
    for item in table_items():
        if item.get("type", {}).get("S") in kinds and name in item:
            client.update_item(TableName=config.table_name(), Key={"PK": item["PK"], "SK": item["SK"]},
                               UpdateExpression="REMOVE #f", ExpressionAttributeNames={"#f": name})
            stripped += 1
    return stripped


def _marked_world(client):
    w = build_world(client)
    schedule = w.staff.post("/schedules", {"name": "Oboe", "kind": "one_to_one", "timezone": "Asia/Tokyo",
                                           "teacher_id": w.ids["teacher_id"]}).body
    w.staff.post(f"/schedules/{schedule['id']}/enrollments", {
        "student_id": w.ids["student_id"], "initial_balance": 5, "responsible_staff_id": w.ids["staff_id"]})
    session = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": "2027-03-01T16:30:00Z"}).body
    assert w.teacher.put(f"/sessions/{session['id']}/attendance/{w.ids['student_id']}",
                         {"status": "attended"}).status == 200
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
    assert upgrade_table.fill(None) == {"company_id": 0, "timezone": 0, "integration_id": 0}
    check_invariants()  # filling in the zone moved no count to another day


def test_recount_rebuilds_counters_that_were_counted_twice(client):
    _marked_world(client)
    check_invariants()  # the stream applied: counters right
    counters = [i for i in table_items() if i.get("type", {}).get("S") == "stats"]
    for item in counters:  # as if the earlier code and the stream had both counted
        engine.boto_client().update_item(TableName=config.table_name(), Key={"PK": item["PK"], "SK": item["SK"]},
                                         UpdateExpression="ADD sessions :one", ExpressionAttributeValues={
                                             ":one": {"N": "1"}})
    result = upgrade_table.recount()
    assert result["counters_deleted"] == len(counters) + 1 and result["items_counted"] >= 4
    check_invariants()
    assert upgrade_table.recount()["items_counted"] == result["items_counted"]  # again: the same
    check_invariants()
