"""DynamoDB requests and items read by each read route at 1x, 10x and 100x the data, so a
flat line shows as one: history (past sessions and their marks), students in the company and
enrollments that ended. What a page returns stays the same across sizes.

    .venv/bin/python bench/reads.py [--scales 1,10,100]

Per scale, a fresh table: a school with a group of 10 active students, 10 x scale past weekly
sessions with a mark for every active student, 20 x scale more students and as many ended
enrollments in the group, and a student portal. The history is written straight into the
table (BatchWriteItem), each item as the app stores it, with the report counters the stream
would have added; the stream's seats and no-show runs are then caught up. Each route is
called once to warm the container (the caller's login is then remembered, as a warm Lambda
does), then counted at the botocore level.
"""

import argparse
from datetime import datetime, timedelta, timezone

import common  # noqa: F401  (sets the environment first)
from common import Http, counting, ops, table, token

from moto import mock_aws

ACTIVE = 10
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def settle(counted: bool = True) -> None:
    """What the stream's function does (counters, seats, no-show runs), caught up now; the
    history written straight into the table comes with its counters, so it skips those."""
    from chalicelib.services import counters, runs, seats
    from chalicelib.store import stream

    handlers = ([counters.apply_stream_records] if counted else []) + [
        seats.apply_stream_records,
        runs.apply_stream_records,
    ]
    stream.drain(lambda batch: [handle(batch) for handle in handlers])


def seed(client, scale: int) -> dict:
    from chalicelib import ids
    from chalicelib.domain import records, stats
    from chalicelib.store.models import Item, Mark, Session, Stats

    cid = f"bench-reads-{scale}"
    admin = Http(client, token(cid, "admin", "reads-admin"))
    assert admin.call("PUT", "/company", {"name": "Bench"})[0] == 200
    _, teacher = admin.call(
        "POST", "/staff", {"name": "T", "email": "t@b.example", "role": "teacher", "user_id": "reads-teacher"}
    )
    _, member = admin.call(
        "POST", "/staff", {"name": "S", "email": "s@b.example", "role": "staff", "user_id": "reads-staff"}
    )
    staff = Http(client, token(cid, "staff", "reads-staff"))
    _, group = staff.call(
        "POST",
        "/schedules",
        {"name": "G", "kind": "group", "capacity": ACTIVE, "teacher_id": teacher["id"], "timezone": "UTC"},
    )
    sch = group["id"]
    students = []
    for n in range(ACTIVE + 20 * scale):
        body = {"name": f"Student {n}", "email": f"s{n}@b.example"}
        if n == 0:
            body["user_id"] = "reads-student"
        students.append(staff.call("POST", "/students", body)[1]["id"])
    active, others = students[:ACTIVE], students[ACTIVE:]
    enroll = {"initial_balance": 1000, "responsible_staff_id": member["id"]}
    for sid in others:  # came and went: ended before the actives joined (capacity counts actives)
        assert staff.call("POST", f"/schedules/{sch}/enrollments", {"student_id": sid, **enroll})[0] == 201
        assert staff.call("PATCH", f"/enrollments/{sch}.{sid}", {"status": "ended"})[0] == 200
    for sid in active:
        assert staff.call("POST", f"/schedules/{sch}/enrollments", {"student_id": sid, **enroll})[0] == 201
    # Upcoming sessions: the next two weeks, the same at every scale.
    for day in range(1, 15, 3):
        staff.call("POST", f"/schedules/{sch}/sessions", {"starts_at": iso(NOW + timedelta(days=day))})
    settle()
    # History: 10 x scale past weekly sessions, each with a mark for every active student.
    totals: dict = {}
    with Item.batch_write() as writer:
        for week in range(10 * scale):
            starts = NOW - timedelta(days=7 * week + 1)
            key = ids.derived_id("hist", str(week))
            session = records.Session(
                company_id=cid,
                schedule_id=sch,
                session_key=key,
                kind="group",
                teacher_id=teacher["id"],
                teacher_name="T",
                starts_at=iso(starts),
                ends_at=iso(starts + timedelta(hours=1)),
                status="scheduled",
                origin="one_off",
                created_at=iso(starts),
                updated_at=iso(starts),
                seats=ACTIVE,
                version=1,
            )
            writer.save(Session.of(session))
            for n, sid in enumerate(active):
                status = "no_show" if (week + n) % 5 == 0 else "attended"
                mark = records.Mark(
                    company_id=cid,
                    schedule_id=sch,
                    schedule_name="G",
                    session_key=key,
                    student_id=sid,
                    student_name=f"Student {n}",
                    kind="group",
                    teacher_id=teacher["id"],
                    teacher_name="T",
                    starts_at=session.starts_at,
                    status=status,
                    charged=True,
                    held=False,
                    cancelled_by=None,
                    recorded_by="bench",
                    recorded_at=session.starts_at,
                    version=1,
                )
                writer.save(Mark.of(mark))
                facts = stats.MarkFacts(
                    day=session.starts_at[:10],
                    teacher_id=mark.teacher_id,
                    schedule_id=sch,
                    student_id=sid,
                    status=status,
                    cancelled_by=None,
                    charged=True,
                )
                for counter_key, fields in stats.mark_counts(facts).items():
                    target = totals.setdefault(counter_key, {})
                    for name, value in fields.items():
                        target[name] = target.get(name, 0) + value
        for (dimension, entity, day), fields in totals.items():
            writer.save(
                Stats.of(records.Counters(company_id=cid, dimension=dimension, entity=entity, day=day, **fields))
            )
    settle(counted=False)
    # One session marked through the app (its ledger has entries).
    recent = staff.call("POST", f"/schedules/{sch}/sessions", {"starts_at": iso(NOW - timedelta(hours=2))})[1]
    for sid in active:
        staff.call("PUT", f"/sessions/{recent['id']}/attendance/{sid}", {"status": "attended"})
    settle()
    return {
        "cid": cid,
        "sch": sch,
        "session": recent["id"],
        "student": active[0],
        "staff": staff,
        "teacher": Http(client, token(cid, "teacher", "reads-teacher")),
        "teacher_id": teacher["id"],
        "portal": Http(client, token(cid, "student", "reads-student")),
    }


def routes(w: dict) -> list[tuple[str, Http, str]]:
    sch, enr = w["sch"], f"{w['sch']}.{w['student']}"
    today = NOW.date()
    span = f"from={today - timedelta(days=27)}&to={today + timedelta(days=14)}"
    return [
        ("GET /schedules/{id}/board (page of 10)", w["staff"], f"/schedules/{sch}/board?{span}&limit=10"),
        ("GET /schedules/{id}/board as its teacher", w["teacher"], f"/schedules/{sch}/board?{span}&limit=10"),
        ("GET /schedules/{id}/sessions", w["staff"], f"/schedules/{sch}/sessions?{span}"),
        ("GET /staff/{id}/sessions (teacher's agenda)", w["teacher"], f"/staff/{w['teacher_id']}/sessions?{span}"),
        ("GET /sessions/{id}/attendance (roster)", w["teacher"], f"/sessions/{w['session']}/attendance"),
        ("GET /schedules/{id}/enrollments (page)", w["staff"], f"/schedules/{sch}/enrollments?limit=20"),
        ("GET /enrollments/{id}/ledger", w["staff"], f"/enrollments/{enr}/ledger"),
        ("GET /attendance/held", w["staff"], "/attendance/held"),
        ("GET /students (page)", w["staff"], "/students?limit=20"),
        ("GET /students?q= (search, 20 of many)", w["staff"], "/students?q=student%201&limit=20"),
        ("GET /students?q= (search, by surname)", w["staff"], "/students?q=7&limit=20"),
        ("GET /students/{id}/enrollments", w["staff"], f"/students/{w['student']}/enrollments"),
        ("GET /students/{id}/board", w["staff"], f"/students/{w['student']}/board?{span}&limit=20"),
        ("GET /me", w["portal"], "/me"),
        ("GET /me/enrollments", w["portal"], "/me/enrollments"),
        ("GET /me/sessions?when=upcoming", w["portal"], "/me/sessions?when=upcoming&limit=20"),
        ("GET /me/sessions?when=past", w["portal"], "/me/sessions?when=past&limit=20"),
        ("GET /reports/students", w["staff"], "/reports/students"),
        ("GET /reports/teachers", w["staff"], "/reports/teachers"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="1,10,100")
    args = parser.parse_args()
    scales = [int(x) for x in args.scales.split(",")]
    results: dict[str, dict[int, tuple]] = {}
    order: list[str] = []
    for scale in scales:
        with mock_aws():
            from chalice.test import Client

            from app import app
            from chalicelib.store import engine

            engine._bound["key"] = None
            engine.create_table()
            with Client(app, stage_name="local") as client:
                w = seed(client, scale)
                for label, api, path in routes(w):
                    status, _ = api.call("GET", path)  # warm: the caller's login is remembered
                    with counting() as counter:
                        status, _ = api.call("GET", path)
                    results.setdefault(label, {})[scale] = (
                        status,
                        len(counter.calls),
                        counter.items_read,
                        ops(counter.calls),
                    )
                    if label not in order:
                        order.append(label)
            engine._bound["key"] = None
    headers = (
        ["route"]
        + [f"requests {s}x" for s in scales]
        + [f"items read {s}x" for s in scales]
        + ["operations (largest)", "status"]
    )
    rows = []
    for label in order:
        by = results[label]
        rows.append(
            [label]
            + [by[s][1] for s in scales]
            + [by[s][2] for s in scales]
            + [by[scales[-1]][3], "/".join(str(by[s][0]) for s in scales)]
        )
    print(
        f"Data per scale s: {ACTIVE} active students, 10s past sessions with their marks, "
        "20s more students, 20s ended enrollments.\n"
    )
    print(table(rows, headers))


if __name__ == "__main__":
    main()
