"""Repository of enrollments, their ledgers and threshold changes (the schedule partition).

Access patterns (docs/architecture.md): 9-14, 28, 33. A balance changes only in
`UnitOfWork.move_balance`, one transaction with its ledger entry.
"""

from typing import Callable

from pynamodb.expressions.update import Action

from .. import ids
from ..domain import balances, records, thresholds
from . import models as m
from . import reads
from .failures import translate
from .pages import Page, query_page
from .unit_of_work import UnitOfWork


def get_enrollment(cid: str, schedule_id: str, student_id: str) -> records.Enrollment | None:
    return reads.get(reads.enrollment(cid, schedule_id, student_id))


def seats_taken(schedule: records.Schedule) -> int:
    """How many active students the schedule holds: its count, or, on a schedule written
    before seats were counted, its roster's (a consistent Query, pattern 11)."""
    if schedule.active_enrollments is not None:
        return schedule.active_enrollments
    return sum(1 for e in roster(schedule.company_id, schedule.schedule_id) if e.status == "active")


def take_seat(uow: UnitOfWork, schedule: records.Schedule, full: Callable[[], Exception]) -> None:
    """Stage: one more active student in the schedule, over the schedule's version read (so
    two enrollments racing for the last seat cannot both commit), and refused with `full()`
    when it holds `seats` already."""
    seats = schedule.capacity or 1
    if schedule.active_enrollments is None:  # not counted yet: count the roster, once
        taken = seats_taken(schedule)
        if taken >= seats:
            raise full()
        uow.update(m.Schedule.of(schedule), [m.Schedule.active_enrollments.set(taken + 1)])
        return
    uow.update(
        m.Schedule.of(schedule),
        [m.Schedule.active_enrollments.add(1)],
        condition=m.Schedule.active_enrollments < seats,
        refusal=full,
    )


def free_seat(uow: UnitOfWork, schedule: records.Schedule) -> None:
    """Stage: one active student fewer in the schedule (over its version read)."""
    if schedule.active_enrollments is None:
        uow.update(m.Schedule.of(schedule), [m.Schedule.active_enrollments.set(max(seats_taken(schedule) - 1, 0))])
        return
    uow.update(m.Schedule.of(schedule), [m.Schedule.active_enrollments.add(-1)])


def add_enrollment(
    uow: UnitOfWork, enrollment: records.Enrollment, *, actor: str, already: Callable[[], Exception]
) -> records.Enrollment:
    """Stage a new enrollment (once per student and schedule: else `already()`) with its
    `initial` ledger entry, naming the opening lot the enrollment holds (if any)."""
    stored = uow.create(thresholds.rearmed(enrollment), refusal=already)
    opening = stored.lots[0].lot_id if stored.lots else None
    uow.create(
        records.LedgerEntry(
            company_id=stored.company_id,
            schedule_id=stored.schedule_id,
            student_id=stored.student_id,
            seq=1,
            at=stored.created_at,
            delta=stored.initial_balance,
            balance_after=stored.initial_balance,
            kind=balances.INITIAL,
            actor=actor,
            lot_id=opening,
        )
    )
    return stored


def save_enrollment(uow: UnitOfWork, enrollment: records.Enrollment) -> records.Enrollment:
    """Stage a change of an enrollment's own fields (status, responsible staff, thresholds),
    over the version read; its place in the low-balance index follows."""
    return uow.save(thresholds.rearmed(enrollment))


@translate
def roster(cid: str, schedule_id: str) -> list[records.Enrollment]:
    """Every enrollment of a schedule, active and ended (a roster is one class, not paged)."""
    return [
        e.record()
        for e in m.Enrollment.query(
            m.schedule_partition(cid, schedule_id),
            m.Enrollment.SK.startswith(m.Enrollment.PREFIX),
            consistent_read=True,
        )
    ]


@translate
def active_roster(cid: str, schedule_id: str) -> tuple[records.Schedule | None, list[records.Enrollment]]:
    """The schedule's header and its active enrollments: one consistent Query of LSI1 `R#`
    (ended enrollments are not in it). The header is None on a schedule written before
    headers (tools/upgrade_table.py fill writes them)."""
    header, active = None, []
    for item in m.Item.timeline.query(
        m.schedule_partition(cid, schedule_id), m.Item.LSI1SK.startswith(m.ROSTER_PREFIX), consistent_read=True
    ):
        if isinstance(item, m.ScheduleHeader):
            header = item.record()
        elif isinstance(item, m.Enrollment):
            active.append(item.record())
    return header, active


def list_schedule_enrollments(cid: str, schedule_id: str, limit: int, cursor: str | None) -> Page:
    return query_page(
        m.Enrollment,
        m.schedule_partition(cid, schedule_id),
        m.Enrollment.SK.startswith(m.Enrollment.PREFIX),
        limit=limit,
        cursor=cursor,
    )


def list_student_enrollments(cid: str, student_id: str, limit: int, cursor: str | None) -> Page:
    return query_page(
        m.Enrollment.by_person,
        m.person_partition(cid, student_id),
        m.Enrollment.GSI1SK.startswith(m.Enrollment.PREFIX),
        hash_attr="GSI1PK",
        limit=limit,
        cursor=cursor,
    )


def list_ledger(cid: str, schedule_id: str, student_id: str, limit: int, cursor: str | None) -> Page:
    return query_page(
        m.LedgerEntry,
        m.schedule_partition(cid, schedule_id),
        m.LedgerEntry.SK.startswith(m.LedgerEntry.prefix(student_id)),
        limit=limit,
        cursor=cursor,
        consistent=True,
    )


@translate
def low_enrollments(shard: int) -> list[records.Enrollment]:
    """Enrollments (of every company) with a low-balance crossing not yet announced."""
    return [e.record() for e in m.Enrollment.attention.query(f"LOW#{shard}")]


@translate
def lots_due(shard: int, now: str) -> list[records.Enrollment]:
    """Enrollments (of every company) with a lot lapsed by `now` and sessions left in it (GSI2, sparse)."""
    return [
        e.record()
        for e in m.Enrollment.by_teacher.query(f"{m.LOTS_DUE}{shard}", m.Item.GSI2SK < now)
        if isinstance(e, m.Enrollment)
    ]


@translate
def lots_to_warn(shard: int, horizon: str) -> list[records.Enrollment]:
    """Active enrollments with a lot lapsing before `horizon` whose lapse is not yet announced (GSI3, sparse)."""
    return [
        e.record()
        for e in m.Enrollment.by_email.query(f"{m.LOTS_WARN}{shard}", m.Item.GSI3SK < horizon)
        if isinstance(e, m.Enrollment)
    ]


def low_shards() -> range:
    return range(m.LOW_SHARDS)


def announce(uow: UnitOfWork, enrollment: records.Enrollment, level: int | None) -> None:
    """Stage: the enrollment's crossing is announced at `level` (None: nothing to announce
    any more) and it leaves the low-balance index; over the version read."""
    item = m.Enrollment.of(enrollment)
    actions: list[Action] = [m.Enrollment.GSI4PK.remove(), m.Enrollment.GSI4SK.remove()]
    if level is not None:
        actions.append(m.Enrollment.alert_level.set(level))
    uow.update(item, actions)


def record_threshold_change(uow: UnitOfWork, cid: str, scope: str) -> None:
    """Stage a note that a schedule's or the company's threshold changed: the daily job
    brings the enrollments under it in line before it looks for low balances."""
    uow.overwrite(records.ThresholdChange(company_id=cid, scope=scope, changed_at=ids.new_id()))


@translate
def pending_threshold_changes() -> list[records.ThresholdChange]:
    return [c.record() for c in m.ThresholdChange.attention.query(m.THRESHOLD_CHANGES_PK)]


def forget_threshold_change(uow: UnitOfWork, change: records.ThresholdChange, changed_again) -> None:
    """Stage: the job brought everything in line with this change. If the threshold changed
    once more meanwhile, the note stays for the next run (`changed_again()`)."""
    item = m.ThresholdChange.of(change)
    uow.delete(
        item,
        condition=m.ThresholdChange.changed_at == change.changed_at
        if change.changed_at
        else m.ThresholdChange.changed_at.does_not_exist(),
        refusal=changed_again,
    )
