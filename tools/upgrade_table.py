"""Bring a table written by an earlier OptClass in line with this one (an operator's tool,
run once per stage after deploying; never on a request path, so it may Scan).

Two steps, both idempotent and resumable (`--start` takes the last key it printed):

1. `fill`: every item of a company gets its `company_id` field (earlier items carried it
   only inside their keys), marks get their session's time zone, bookings their
   integration id, staff logins their role, schedules their count of active students, and
   booking-system secrets are encrypted under the KMS key, sessions get their place in
   GSI3 (a schedule's sessions without their marks), schedules their header and active
   enrollments their place behind it (the board's one query for schedule and roster), and
   every session its students' seats (their sessions across schedules in one query), and
   every student with marks their no-show run (the students report's one query), and every
   enrollment written before packages its balance as one lot without expiry (`L0`, or
   what it owes when the balance is below zero), over the version read. Each item
   is updated only if the field is still missing (a secret: only while it is still the
   plain text read); seats and runs are written over with what they must be.
2. `recount`: the report counters rebuilt from the sessions, marks and ledger, for when the
   stream was switched on while the earlier code still added to the counters itself (a
   deploy that replaced it without a pause). Deletes the counters, then recounts; run it with
   writes paused or it will miss the changes made meanwhile (the stream then adds them).

    python tools/upgrade_table.py fill [--start PK|SK]
    python tools/upgrade_table.py recount
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chalicelib import config  # noqa: E402
from chalicelib.store import engine  # noqa: E402


def _scan(client, start: str | None):
    kwargs = {"TableName": config.table_name(), "ConsistentRead": True}
    if start:
        pk, sk = start.split("|", 1)
        kwargs["ExclusiveStartKey"] = {"PK": {"S": pk}, "SK": {"S": sk}}
    while True:
        page = client.scan(**kwargs)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _company_of(pk: str) -> str | None:
    """The company named by a key of the earlier layout (`C#{cid}` or `C#{cid}#...`)."""
    if not pk.startswith("C#"):
        return None
    return pk[2:].split("#", 1)[0]


def _set_if_missing(client, item: dict, name: str, value: str) -> bool:
    try:
        client.update_item(
            TableName=config.table_name(),
            Key={"PK": item["PK"], "SK": item["SK"]},
            UpdateExpression="SET #f = :v",
            ConditionExpression="attribute_not_exists(#f)",
            ExpressionAttributeNames={"#f": name},
            ExpressionAttributeValues={":v": {"S": value}},
        )
        return True
    except client.exceptions.ConditionalCheckFailedException:
        return False


def fill(start: str | None) -> dict[str, int]:
    client = engine.boto_client()
    done = {
        "company_id": 0,
        "timezone": 0,
        "integration_id": 0,
        "role": 0,
        "active_enrollments": 0,
        "secrets_sealed": 0,
        "sessions_indexed": 0,
        "schedule_headers": 0,
        "roster_keys": 0,
        "seats": 0,
        "runs": 0,
        "student_names": 0,
        "lots": 0,
    }
    zones: dict[tuple[str, str], str] = {}
    rosters: dict[str, list] = {}
    for item in _scan(client, start):
        pk, sk = item["PK"]["S"], item["SK"]["S"]
        cid = _company_of(pk)
        if cid and "company_id" not in item:
            done["company_id"] += _set_if_missing(client, item, "company_id", cid)
            item = {**item, "company_id": {"S": cid}}  # what the steps below read it as
        kind = item.get("type", {}).get("S")
        if kind == "mark" and "timezone" not in item:
            session_sk = sk.split("#MARK#", 1)[0]
            if (pk, session_sk) not in zones:
                session = client.get_item(
                    TableName=config.table_name(), Key={"PK": {"S": pk}, "SK": {"S": session_sk}}, ConsistentRead=True
                ).get("Item", {})
                zones[(pk, session_sk)] = session.get("timezone", {}).get("S", "UTC")
            done["timezone"] += _set_if_missing(client, item, "timezone", zones[(pk, session_sk)])
        if kind == "booking" and "integration_id" not in item:
            done["integration_id"] += _set_if_missing(client, item, "integration_id", pk.split("#I#", 1)[1][:-2])
        if kind == "user_ref" and item.get("person_kind", {}).get("S") == "staff" and "role" not in item:
            staff = client.get_item(
                TableName=config.table_name(),
                ConsistentRead=True,
                Key={"PK": {"S": pk}, "SK": {"S": "STAFF#" + item["person_id"]["S"]}},
            ).get("Item")
            if staff:
                done["role"] += _set_if_missing(client, item, "role", staff["role"]["S"])
        if kind == "schedule" and "active_enrollments" not in item:
            done["active_enrollments"] += _count_seats(client, item)
        if kind == "integration":
            done["secrets_sealed"] += _seal_secrets(client, item)
        if kind == "schedule":
            done["schedule_headers"] += _add_header(client, item)
        if kind == "enrollment" and "LSI1SK" not in item and item.get("status", {}).get("S") == "active":
            done["roster_keys"] += _add_roster_key(client, item)
        if kind == "session":
            done["seats"] += _add_seats(client, item, rosters)
        if kind == "enrollment" and "lots" not in item:
            done["lots"] += _add_lots(client, item)
        if kind == "student":
            done["runs"] += _add_run(client, item)
            if "GSI1SK" not in item:
                done["student_names"] += _index_student_name(client, item)
        if kind == "session" and "GSI3SK" not in item and "LSI1SK" in item:
            # GSI3 holds a schedule's sessions alone, so their list reads no marks
            done["sessions_indexed"] += _index_session(client, item)
        print(f"{pk}|{sk}", file=sys.stderr)  # where to --start again after an interruption
    return done


def _count_seats(client, schedule: dict) -> int:
    """A schedule's count of active students, from its roster (only while it has none)."""
    cid, sid = (
        schedule["company_id"]["S"] if "company_id" in schedule else _company_of(schedule["PK"]["S"]),
        schedule["schedule_id"]["S"],
    )
    active, kwargs = (
        0,
        {
            "TableName": config.table_name(),
            "ConsistentRead": True,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :enr)",
            "ExpressionAttributeValues": {":pk": {"S": f"C#{cid}#S#{sid}"}, ":enr": {"S": "ENR#"}},
        },
    )
    while True:
        page = client.query(**kwargs)
        active += sum(1 for e in page["Items"] if e.get("status", {}).get("S") == "active")
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    try:
        client.update_item(
            TableName=config.table_name(),
            Key={"PK": schedule["PK"], "SK": schedule["SK"]},
            UpdateExpression="SET active_enrollments = :n",
            ConditionExpression="attribute_not_exists(active_enrollments)",
            ExpressionAttributeValues={":n": {"N": str(active)}},
        )
        return 1
    except client.exceptions.ConditionalCheckFailedException:
        return 0


def _index_session(client, session: dict) -> int:
    """A session's GSI3 keys (both at once, so an interrupted run leaves none half set)."""
    try:
        client.update_item(
            TableName=config.table_name(),
            Key={"PK": session["PK"], "SK": session["SK"]},
            UpdateExpression="SET GSI3PK = :pk, GSI3SK = :sk",
            ConditionExpression="attribute_not_exists(GSI3SK)",
            ExpressionAttributeValues={":pk": session["PK"], ":sk": session["LSI1SK"]},
        )
        return 1
    except client.exceptions.ConditionalCheckFailedException:
        return 0


def _add_header(client, schedule: dict) -> int:
    """A schedule's header (the copy its board reads with the roster), if it has none yet; a
    change of the schedule meanwhile writes its own header, which this then leaves alone."""
    from chalicelib.store import models

    header = models.ScheduleHeader.of(models.Item.from_raw_data(schedule).record())
    item = {name: value for name, value in header.serialize().items()}
    try:
        client.put_item(TableName=config.table_name(), Item=item, ConditionExpression="attribute_not_exists(PK)")
        return 1
    except client.exceptions.ConditionalCheckFailedException:
        return 0


def _add_roster_key(client, enrollment: dict) -> int:
    """An active enrollment's place in its schedule's active roster (LSI1 `R#`), while still active."""
    from chalicelib.store import models

    key = models.Enrollment.roster_key("active", enrollment["student_id"]["S"])
    try:
        client.update_item(
            TableName=config.table_name(),
            Key={"PK": enrollment["PK"], "SK": enrollment["SK"]},
            UpdateExpression="SET LSI1SK = :k",
            ConditionExpression="attribute_not_exists(LSI1SK) AND #s = :active",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":k": {"S": key}, ":active": {"S": "active"}},
        )
        return 1
    except client.exceptions.ConditionalCheckFailedException:
        return 0


def _add_lots(client, enrollment: dict) -> int:
    """An enrollment from before packages: its balance as one lot without expiry (or what it
    owes), written only while it has no lots and is still at the version read (a write of
    the app meanwhile has given it its lots itself)."""
    from chalicelib.domain import lots
    from chalicelib.store import models

    record = models.Enrollment.from_raw_data(enrollment).record()
    held, owed = lots.lots_of(record), lots.owed_of(record)
    values = {
        ":lots": {"L": models.Enrollment.lots.serialize(list(models._stored(held) or []))},
        ":owed": {"N": str(owed)},
    }
    condition = "attribute_not_exists(lots)"
    if "version" in enrollment:
        condition += " AND version = :v"
        values[":v"] = enrollment["version"]
    try:
        client.update_item(
            TableName=config.table_name(),
            Key={"PK": enrollment["PK"], "SK": enrollment["SK"]},
            UpdateExpression="SET lots = :lots, owed = :owed",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
        return 1
    except client.exceptions.ConditionalCheckFailedException:
        return 0


def _add_seats(client, session: dict, rosters: dict[str, list]) -> int:
    """A session's seats (each student's pointer to it, services/seats.py), for whom it was:
    its booked student, or the enrollments of its schedule that had begun by its start and
    were active then (an ended one: until it ended). Puts of what the seat must be: running
    it again, or beside the stream's handler, writes the same seats."""
    from chalicelib.domain import records
    from chalicelib.store import models

    record = models.Item.from_raw_data(session).record()
    pk = session["PK"]["S"]
    if pk not in rosters:
        rosters[pk] = [models.Item.from_raw_data(e).record() for e in _query_prefix(client, pk, "ENR#")]
    roster = rosters[pk]
    name = next((e.schedule_name for e in roster), "")
    if record.student_id:
        students = [record.student_id]
    else:
        students = [
            e.student_id
            for e in roster
            if e.created_at <= record.starts_at and (e.status == "active" or e.updated_at >= record.starts_at)
        ]
    for student_id in students:
        seat = models.Seat.of(
            records.Seat(
                company_id=record.company_id,
                schedule_id=record.schedule_id,
                session_key=record.session_key,
                student_id=student_id,
                starts_at=record.starts_at,
                schedule_name=name,
            )
        )
        client.put_item(TableName=config.table_name(), Item=seat.serialize())
    return len(students)


def _index_student_name(client, student: dict) -> int:
    """A student's name and surname keys (GSI1, GSI2: the search by name), all at once."""
    from chalicelib.store import models

    by_name, by_surname = models.Student.name_keys(
        student["company_id"]["S"], student["name"]["S"], student["student_id"]["S"]
    )
    values = {":pk": {"S": by_name[0]}, ":sk": {"S": by_name[1]}}
    expression = "SET GSI1PK = :pk, GSI1SK = :sk"
    if by_surname:
        values.update({":pk2": {"S": by_surname[0]}, ":sk2": {"S": by_surname[1]}})
        expression += ", GSI2PK = :pk2, GSI2SK = :sk2"
    try:
        client.update_item(
            TableName=config.table_name(),
            Key={"PK": student["PK"], "SK": student["SK"]},
            UpdateExpression=expression,
            ConditionExpression="attribute_not_exists(GSI1SK)",
            ExpressionAttributeValues=values,
        )
        return 1
    except client.exceptions.ConditionalCheckFailedException:
        return 0


def _add_run(client, student: dict) -> int:
    """A student's no-show run, worked out from their marks as the stream's handler does
    (services/runs.py); written over, so running it again writes the same run."""
    from chalicelib import clock
    from chalicelib.services import runs
    from chalicelib.store import models, unit_of_work
    from chalicelib.store import sessions as session_store

    record = models.Item.from_raw_data(student).record()
    cid, sid = record.company_id, record.student_id
    run = unit_of_work.reading(
        lambda: runs.run_of(session_store.latest_marks(cid, sid, runs.LATEST, runs.CAP), clock.now_iso(), cid, sid),
        company_id=cid,
    )
    if not run.entries:
        return 0
    client.put_item(TableName=config.table_name(), Item=models.NoShowRun.of(run).serialize())
    return 1


def _query_prefix(client, pk: str, prefix: str) -> list[dict]:
    items, kwargs = (
        [],
        {
            "TableName": config.table_name(),
            "ConsistentRead": True,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :p)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":p": {"S": prefix}},
        },
    )
    while True:
        page = client.query(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _seal_secrets(client, integration: dict) -> int:
    """An integration's plain-text secrets encrypted under the KMS key (only if unchanged)."""
    from chalicelib.services.webhooks import secrets_context
    from chalicelib.store import secrets

    context = secrets_context(integration["company_id"]["S"], integration["integration_id"]["S"])
    sealed = 0
    for name in ("secret", "previous_secret"):
        plain = integration.get(name, {}).get("S")
        if not plain or plain.startswith(secrets.PREFIX):
            continue
        try:
            client.update_item(
                TableName=config.table_name(),
                Key={"PK": integration["PK"], "SK": integration["SK"]},
                UpdateExpression="SET #f = :sealed",
                ConditionExpression="#f = :plain",
                ExpressionAttributeNames={"#f": name},
                ExpressionAttributeValues={":sealed": {"S": secrets.seal(plain, context)}, ":plain": {"S": plain}},
            )
            sealed += 1
        except client.exceptions.ConditionalCheckFailedException:
            pass
    return sealed


def recount() -> dict[str, int]:
    """Delete every counter, then add every session, mark and ledger entry once, as the
    stream handler would (the same code: services/counters.py)."""
    import uuid

    from chalicelib.services import counters

    run = uuid.uuid4().hex  # the markers of an earlier recount must not hide this one's records
    client = engine.boto_client()
    derived = [i for i in _scan(client, None) if i.get("type", {}).get("S") in ("stats", "counted_through")]
    for item in derived:
        client.delete_item(TableName=config.table_name(), Key={"PK": item["PK"], "SK": item["SK"]})
    counted = [i for i in _scan(client, None) if i.get("type", {}).get("S") in ("session", "mark", "ledger")]
    records = [
        {"eventID": f"recount-{run}-{n}", "eventName": "INSERT", "dynamodb": {"NewImage": i}}
        for n, i in enumerate(counted)
    ]
    applied = 0
    for start in range(0, len(records), 100):
        applied += counters.apply_stream_records(records[start : start + 100])["applied"]
    return {"counters_deleted": len(derived), "items_counted": applied}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["fill", "recount"])
    parser.add_argument("--start", help="resume after this PK|SK")
    args = parser.parse_args()
    engine.ensure_bound()
    print(fill(args.start) if args.step == "fill" else recount())
    return 0


if __name__ == "__main__":
    sys.exit(main())
