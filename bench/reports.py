"""Items read by a 4-week teacher report as the history of marks grows (1k, then 100k marks).

    .venv/bin/python bench/reports.py [--marks 1000,100000]

The history is written straight into the table (BatchWriteItem): each mark item as the
app stores it, and the report counters it would have added, computed by the same code the
mark transaction uses. Then the report runs through the HTTP app, counted at the
botocore level. The recent four weeks are the same in both runs.
"""

import argparse
import random
import time
from datetime import date, datetime, timedelta, timezone

import common  # noqa: F401  (sets the environment first)
from common import Http, counting, ops, table, token

from moto import mock_aws

REPORT_END = date(2027, 6, 30)


def seed(history_marks: int) -> str:
    from chalicelib import ids
    from chalicelib.domain import records, stats
    from chalicelib.services import company, people, schedules
    from chalicelib.services.context import Actor
    from chalicelib.store import engine
    from chalicelib.store.models import Item, Mark, Stats

    engine._bound["key"] = None
    engine.delete_table()
    engine.create_table()
    actor = Actor("bench-reports", "bench-admin", "admin")
    # The first caller sets the company up and becomes its admin (their login has a record).
    company.put_company(
        Actor(actor.company_id, actor.subject, None), name="Bench", timezone="UTC", low_balance_threshold=2
    )
    teachers = [
        people.create_staff(actor, name=f"T{i}", email=f"t{i}@b.example", role="teacher", user_id=None)
        for i in range(5)
    ]
    scheds = [
        schedules.create_schedule(
            actor,
            name=f"G{i}",
            kind="group",
            teacher_id=t.staff_id,
            capacity=10,
            timezone="UTC",
            recurrence=None,
            policy=None,
            low_balance_threshold=None,
        )
        for i, t in enumerate(teachers)
    ]
    rng = random.Random(7)
    totals: stats.Counts = {}
    first_day = REPORT_END - timedelta(days=28 + 365 * 3)
    with Item.batch_write() as writer:
        for i in range(history_marks):
            recent = i < 1000  # the last four weeks hold the same 1,000 marks in every run
            day = (
                REPORT_END - timedelta(days=rng.randint(0, 27))
                if recent
                else first_day + timedelta(days=rng.randint(0, 365 * 3 - 1))
            )
            sched = scheds[i % len(scheds)]
            starts = datetime(day.year, day.month, day.day, 17, tzinfo=timezone.utc)
            key = ids.derived_id("bench", str(i))
            mark = records.Mark(
                company_id=actor.company_id,
                schedule_id=sched.schedule_id,
                schedule_name=sched.name,
                session_key=key,
                student_id=ids.derived_id("s", str(i % 300)),
                student_name="S",
                kind="group",
                teacher_id=sched.teacher_id,
                teacher_name="T",
                starts_at=starts.isoformat().replace("+00:00", ".000Z"),
                status=rng.choice(["attended", "attended", "no_show", "cancelled"]),
                charged=True,
                held=False,
                cancelled_by="student",
                recorded_by="bench",
                recorded_at="2027-01-01T00:00:00.000Z",
                version=1,
            )
            writer.save(Mark.of(mark))
            facts = stats.MarkFacts(
                day=day.isoformat(),
                teacher_id=mark.teacher_id,
                schedule_id=mark.schedule_id,
                student_id=mark.student_id,
                status=mark.status,
                cancelled_by=mark.cancelled_by,
                charged=mark.charged,
            )
            for counted, fields in stats.mark_counts(facts).items():
                target = totals.setdefault(counted, {})
                for name, value in fields.items():
                    target[name] = target.get(name, 0) + value
        # The counters as the stream handler would have kept them (the seed writes around it).
        for (dimension, entity, counted_day), fields in totals.items():
            writer.save(
                Stats.of(
                    records.Counters(
                        company_id=actor.company_id, dimension=dimension, entity=entity, day=counted_day, **fields
                    )
                )
            )
    return actor.company_id


def run(history_marks: int) -> list:
    from chalice.test import Client

    from app import app

    cid = seed(history_marks)
    with Client(app, stage_name="local") as client:
        staff = Http(client, token(cid, "admin", "bench-admin"))
        path = f"/reports/teachers?from={(REPORT_END - timedelta(days=27)).isoformat()}&to={REPORT_END.isoformat()}"
        with counting() as counter:
            started = time.perf_counter()
            status, body = staff.call("GET", path)
            elapsed = time.perf_counter() - started
    marks_in_report = sum(r["marks"] for r in body["items"])
    return [
        history_marks,
        status,
        marks_in_report,
        len(counter.calls),
        counter.items_read,
        ops(counter.calls),
        f"{elapsed * 1000:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--marks", default="1000,100000")
    args = parser.parse_args()
    rows = []
    with mock_aws():
        for n in (int(x) for x in args.marks.split(",")):
            rows.append(run(n))
    print(
        table(
            rows,
            [
                "historical marks",
                "status",
                "marks in the 4 weeks",
                "DynamoDB requests",
                "items read",
                "operations",
                "ms (moto)",
            ],
        )
    )


if __name__ == "__main__":
    main()
