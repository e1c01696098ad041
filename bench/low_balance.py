"""Items read by one low-balance job run as the number of enrollments grows (1% low).

    .venv/bin/python bench/low_balance.py [--sizes 1000,10000,50000]

Enrollments are written straight into the table (BatchWriteItem) through the same item
builders the app uses, so each carries its place in the low-balance index; then the job
runs once, counted at the botocore level.
"""

import argparse
import time

import common  # noqa: F401  (sets the environment first)
from common import counting, table

from moto import mock_aws


def one_size(n: int) -> list:
    from chalicelib import ids, jobs
    from chalicelib.services import company, people, schedules
    from chalicelib.services.context import Actor
    from chalicelib.domain import records
    from chalicelib.store import engine
    from chalicelib.store.models import Enrollment, Item

    engine._bound["key"] = None
    engine.delete_table()
    engine.create_table()
    actor = Actor(f"bench-{n}", "bench-admin", "admin")
    company.put_company(actor, name="Bench", timezone="UTC", low_balance_threshold=2)
    staff = [
        people.create_staff(actor, name=f"S{i}", email=f"s{i}@b.example", role="staff", user_id=None) for i in range(5)
    ]
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
    low = 0
    with Item.batch_write() as writer:
        for i in range(n):
            is_low = i % 100 == 0
            low += is_low
            writer.save(
                Enrollment.of(
                    records.Enrollment(
                        company_id=actor.company_id,
                        schedule_id=schedule.schedule_id,
                        student_id=ids.new_id(),
                        student_name=f"Student {i}",
                        schedule_name="G",
                        initial_balance=1 if is_low else 8,
                        balance=1 if is_low else 8,
                        seq=1,
                        status="active",
                        responsible_staff_id=staff[(i // 100) % 5].staff_id,
                        threshold=2,
                        created_at="2027-01-01T00:00:00.000Z",
                        updated_at="2027-01-01T00:00:00.000Z",
                        version=1,
                    )
                )
            )
    with counting() as counter:
        started = time.perf_counter()
        result = jobs.run("low-balance")["result"]
        elapsed = time.perf_counter() - started
    rerun = jobs.run("low-balance")["result"]
    return [
        n,
        low,
        result["notifications"],
        result["emails"],
        len(counter.calls),
        counter.items_read,
        f"{counter.items_read / max(low, 1):.2f}",
        rerun["store"]["items_read"],
        f"{elapsed:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,50000")
    args = parser.parse_args()
    rows = []
    with mock_aws():
        for n in (int(x) for x in args.sizes.split(",")):
            rows.append(one_size(n))
    print(
        table(
            rows,
            [
                "enrollments",
                "low",
                "notified",
                "emails",
                "DynamoDB requests",
                "items read",
                "items read per low",
                "items read (rerun)",
                "seconds (moto)",
            ],
        )
    )


if __name__ == "__main__":
    main()
