"""Items read by the daily lot-expiry job as the number of enrollments grows, with the same
number of lots lapsing (and the same number to announce) at every size; and a second run
on the same day, which must expire and announce nothing.

    .venv/bin/python bench/expiry.py [--sizes 1000,50000] [--due 20]

Enrollments are written straight into the table (BatchWriteItem) through the same item
builders the app uses, so each carries its place in the sparse `LOTS#DUE#` and `LOTS#WARN#`
indexes; then the job runs, counted at the botocore level.
"""

import argparse
import time
from datetime import date, datetime, timezone

import common  # noqa: F401  (sets the environment first)
from common import counting, table

from moto import mock_aws

TODAY = datetime(2027, 3, 1, 6, 0, tzinfo=timezone.utc)


def one_size(n: int, due: int) -> list:
    from chalicelib import clock, ids, jobs
    from chalicelib.domain import records
    from chalicelib.services import company, people, schedules
    from chalicelib.services.context import Actor
    from chalicelib.store import engine
    from chalicelib.store.models import Enrollment, Item

    engine._bound["key"] = None
    engine.delete_table()
    engine.create_table()
    actor = Actor(f"bench-{n}", "bench-admin", "admin")
    company.put_company(actor, name="Bench", timezone="UTC", low_balance_threshold=2)
    staff = people.create_staff(actor, name="S", email="s@b.example", role="staff", user_id=None)
    teacher = people.create_staff(actor, name="T", email="t@b.example", role="teacher", user_id=None)
    schedule = schedules.create_schedule(
        actor,
        name="G",
        kind="group",
        teacher_id=teacher.staff_id,
        capacity=10,
        timezone="UTC",
        recurrence=None,
        policy=None,
        low_balance_threshold=None,
    )

    def lot(lot_id: str, expires_at: str | None) -> records.Lot:
        return records.Lot(
            lot_id=lot_id,
            sessions=8,
            remaining=8,
            at="2027-01-01T00:00:00.000Z",
            source="top_up",
            expires_at=expires_at,
        )

    with Item.batch_write() as writer:
        for i in range(n):
            held: tuple[records.Lot, ...]
            if i < due:
                held = (lot("L1", "2027-02-28T00:00:00.000Z"),)  # lapsed: expires today
            elif i < 2 * due:
                held = (lot("L1", "2027-03-10T00:00:00.000Z"),)  # lapses in 9 days: announced today
            else:
                held = (lot("L1", "2027-12-31T00:00:00.000Z"), lot("L2", None))  # far off: neither
            writer.save(
                Enrollment.of(
                    records.Enrollment(
                        company_id=actor.company_id,
                        schedule_id=schedule.schedule_id,
                        student_id=ids.new_id(),
                        student_name=f"Student {i}",
                        schedule_name="G",
                        initial_balance=0,
                        balance=sum(x.remaining for x in held),
                        seq=0,
                        status="active",
                        responsible_staff_id=staff.staff_id,
                        threshold=2,
                        created_at="2027-01-01T00:00:00.000Z",
                        updated_at="2027-01-01T00:00:00.000Z",
                        lots=held,
                        version=1,
                    )
                )
            )
    real = clock.now
    clock.now = lambda: TODAY
    try:
        with counting() as counter:
            started = time.perf_counter()
            result = jobs.run("lot-expiry", date(2027, 3, 1))["result"]
            elapsed = time.perf_counter() - started
        rerun = jobs.run("lot-expiry", date(2027, 3, 1))["result"]
    finally:
        clock.now = real
    return [
        n,
        due,
        result["lots_expired"],
        result["lots_warned"],
        len(counter.calls),
        counter.items_read,
        f"{counter.items_read / max(2 * due, 1):.2f}",
        rerun["lots_expired"] + rerun["lots_warned"],
        rerun["store"]["items_read"],
        f"{elapsed:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--due", type=int, default=20)
    args = parser.parse_args()
    rows = []
    with mock_aws():
        for n in (int(x) for x in args.sizes.split(",")):
            rows.append(one_size(n, args.due))
    print(
        table(
            rows,
            [
                "enrollments",
                "lapsing (and to announce)",
                "lots expired",
                "lots announced",
                "DynamoDB requests",
                "items read",
                "items read per lot handled",
                "expired or announced again (rerun)",
                "items read (rerun)",
                "seconds (moto)",
            ],
        )
    )


if __name__ == "__main__":
    main()
