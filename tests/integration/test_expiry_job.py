"""The daily lot-expiry job on the store: it reads only what lapses or is to be announced,
whatever the size of the table, and a rerun, a lost answer or a crash mid-run expires and
announces nothing twice."""

from datetime import date, datetime, timezone

import pytest

from chalicelib import clock, ids, jobs
from chalicelib.domain import records
from chalicelib.services import company, people, schedules
from chalicelib.services.context import Actor
from chalicelib.store.models import Enrollment, Item, LedgerEntry
from tests.faults import inject, lost_answer, throttling
from tests.invariants import check_invariants
from tests.support import count_dynamodb, new_company_id, table_items

TODAY = date(2027, 3, 1)


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2027, 3, 1, 6, 0, tzinfo=timezone.utc))


def _lot(lot_id, expires_at, remaining=8):
    return records.Lot(
        lot_id=lot_id,
        sessions=remaining,
        remaining=remaining,
        at="2027-01-01T00:00:00.000Z",
        source="top_up",
        expires_at=expires_at,
    )


def build(n: int, due: int) -> str:
    """`n` enrollments of a new company: `due` with a lot lapsed by today, `due` with one
    lapsing in 9 days (inside the 14 warning days), the rest with lots far off."""
    actor = Actor(new_company_id(), "admin-sub", "admin")
    company.put_company(actor, name="School", timezone="UTC", low_balance_threshold=2)
    staff = people.create_staff(actor, name="S", email="s@x.example", role="staff", user_id=None)
    teacher = people.create_staff(actor, name="T", email="t@x.example", role="teacher", user_id=None)
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
    with Item.batch_write() as writer:
        for i in range(n):
            if i < due:
                held = (_lot("L1", "2027-02-28T00:00:00.000Z", remaining=3), _lot("L2", None))
            elif i < 2 * due:
                held = (_lot("L1", "2027-03-10T00:00:00.000Z"),)
            else:
                held = (_lot("L1", "2027-12-31T00:00:00.000Z"),)
            student_id = ids.new_id()
            running = 0
            for seq, lot in enumerate(held, start=1):  # each lot's top-up, so the ledger adds up
                running += lot.remaining
                writer.save(
                    LedgerEntry.of(
                        records.LedgerEntry(
                            company_id=actor.company_id,
                            schedule_id=schedule.schedule_id,
                            student_id=student_id,
                            seq=seq,
                            at="2027-01-01T00:00:00.000Z",
                            delta=lot.remaining,
                            balance_after=running,
                            kind="adjustment",
                            actor="test",
                            lot_id=lot.lot_id,
                        )
                    )
                )
            writer.save(
                Enrollment.of(
                    records.Enrollment(
                        company_id=actor.company_id,
                        schedule_id=schedule.schedule_id,
                        student_id=student_id,
                        student_name=f"Student {i}",
                        schedule_name="G",
                        initial_balance=0,
                        balance=sum(x.remaining for x in held),
                        seq=len(held),
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
    return actor.company_id


def _expired(items):
    return [i for i in items if i.get("type", {}).get("S") == "ledger" and i["kind"]["S"] == "expiry"]


def test_the_job_reads_the_same_items_at_100_and_1000_enrollments_and_a_rerun_reads_nothing(store, pinned):
    reads = []
    for n in (100, 1000):
        from chalicelib.store import engine

        engine.delete_table()
        engine.create_table()
        build(n, due=4)
        with count_dynamodb() as counter:
            result = jobs.run("lot-expiry", TODAY)["result"]
        assert (result["lots_expired"], result["sessions_expired"], result["lots_warned"]) == (4, 12, 4)
        reads.append(counter.items_read)
        rerun = jobs.run("lot-expiry", TODAY)["result"]
        assert (rerun["enrollments_due"], rerun["lots_expired"], rerun["lots_warned"]) == (0, 0, 0)
        assert rerun["store"]["items_read"] == 0
    assert reads[0] == reads[1] == 4 + 4 + 4 + 4 + 1  # two index reads, two enrollment reads, the company


@pytest.mark.parametrize("make_error", [lost_answer, throttling], ids=["lost_answer", "throttling"])
def test_a_failure_at_any_transaction_of_the_run_expires_each_lot_once(store, pinned, make_error):
    build(30, due=3)
    for at in range(1, 7):
        with inject(make_error, {at}, operations={"TransactWriteItems"}):
            try:
                jobs.run("lot-expiry", TODAY)
            except Exception:  # noqa: BLE001 - a run that fails part-way; the next run goes on
                pass
    jobs.run("lot-expiry", TODAY)
    items = check_invariants()
    expired = _expired(items)
    assert len(expired) == 3 and all(e["delta"]["N"] == "-3" for e in expired)
    warnings = [i for i in table_items() if i.get("type", {}).get("S") == "notification"]
    assert len(warnings) == 3
