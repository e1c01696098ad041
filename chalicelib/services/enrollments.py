"""Enrollments and their balances: enroll, top up, adjust, correct, read the ledger.

Each write is one step of the unit of work: the enrollment's conditional write, its
ledger entry, and (with an Idempotency-Key) the request's answer, in one transaction.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .. import clock, ids
from ..domain import balances, lots, records, thresholds
from ..errors import (
    AlreadyEnrolled,
    InvalidInput,
    NotFound,
    ScheduleFull,
    VersionMismatch,
)
from ..observability import count
from ..store import enrollments as store
from ..store import reads
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import Idempotency, UnitOfWork
from .context import Actor
from .schedules import get_schedule

ACTIVE, ENDED = "active", "ended"


def _field_error(field: str, message: str, summary: str) -> InvalidInput:
    return InvalidInput(summary, [{"field": field, "message": message}])


def _threshold(own: int | None, schedule: records.Schedule | None, company: records.Company | None) -> int:
    return thresholds.effective_threshold(
        own, schedule.low_balance_threshold if schedule else None, company.low_balance_threshold if company else None
    )


def enroll(
    actor: Actor,
    schedule_id: str,
    *,
    student_id: str,
    initial_balance: int,
    responsible_staff_id: str,
    low_balance_threshold: int | None,
    expires_at: date | datetime | None = None,
    valid_days: int | None = None,
    claim: Idempotency | None = None,
) -> records.Enrollment:
    """Enrol a student; an opening balance is the enrollment's first lot (with the expiry
    given, else the schedule's or the company's default validity)."""
    cid = actor.company_id

    def step(uow: UnitOfWork) -> records.Enrollment:
        if not ids.is_id(schedule_id):
            raise NotFound("schedule", schedule_id)
        wanted = [
            reads.schedule(cid, schedule_id),
            reads.student(cid, student_id),
            reads.staff(cid, responsible_staff_id),
            reads.company(cid),
        ]
        found = reads.load(wanted)
        schedule, student, staff, company = (found.get(r) for r in wanted)
        if schedule is None:
            raise NotFound("schedule", schedule_id)
        if student is None:
            raise _field_error("student_id", "no student with this id", "the student does not exist")
        if staff is None:
            raise _field_error(
                "responsible_staff_id", "no staff member with this id", "the responsible staff member does not exist"
            )
        now = clock.now_iso()
        opening: tuple[records.Lot, ...] = ()
        if initial_balance > 0:
            opening = (
                records.Lot(
                    lot_id="L1",
                    sessions=initial_balance,
                    remaining=initial_balance,
                    at=now,
                    source=lots.OPENING,
                    expires_at=expiry_of(expires_at, valid_days, schedule, company, now),
                    timezone=schedule.timezone,
                ),
            )
        elif expires_at is not None or valid_days is not None:
            raise _field_error("expires_at", "an opening balance of 0 has nothing to expire", "nothing to expire")
        enrollment = records.Enrollment(
            company_id=cid,
            schedule_id=schedule_id,
            student_id=student_id,
            student_name=student.name,
            schedule_name=schedule.name,
            initial_balance=initial_balance,
            balance=initial_balance,
            seq=1,
            status=ACTIVE,
            responsible_staff_id=responsible_staff_id,
            low_balance_threshold=low_balance_threshold,
            threshold=_threshold(low_balance_threshold, schedule, company),
            created_at=now,
            updated_at=now,
            lots=opening,
        )
        stored = store.add_enrollment(
            uow, enrollment, actor=actor.label, already=lambda: _already_enrolled(cid, schedule_id, student_id)
        )
        store.take_seat(uow, schedule, full=lambda: _full(schedule))
        return stored

    return uow_.run(step, company_id=cid, idempotency=claim)


def _enrolled_in(schedule: records.Schedule | None, schedule_id: str) -> records.Schedule:
    """The enrollment's schedule, read with it (schedules are never deleted: NotFound is a safeguard)."""
    if schedule is None:
        raise NotFound("schedule", schedule_id)
    return schedule


def _full(schedule: records.Schedule) -> ScheduleFull:
    return ScheduleFull(
        f"{schedule.name} holds {schedule.capacity} active student(s) already",
        [{"field": "student_id", "message": "the schedule is full"}],
    )


def _already_enrolled(cid: str, schedule_id: str, student_id: str) -> AlreadyEnrolled:
    existing = store.get_enrollment(cid, schedule_id, student_id)
    status = existing.status if existing else ACTIVE
    return AlreadyEnrolled(
        f"the student is already enrolled in this schedule (status {status}); "
        f"change that enrollment with PATCH /enrollments/{ids.enrollment_id(schedule_id, student_id)}",
        [{"field": "student_id", "message": "already enrolled in this schedule"}],
    )


def get_enrollment(actor: Actor, enrollment_id: str) -> records.Enrollment:
    parsed = ids.parse_enrollment_id(enrollment_id)
    enrollment = store.get_enrollment(actor.company_id, *parsed) if parsed else None
    if enrollment is None:
        raise NotFound("enrollment", enrollment_id)
    return enrollment


def _reference(claim: Idempotency | None) -> str | None:
    return f"request:{claim.key}" if claim else None


def expiry_of(
    expires_at: date | datetime | None,
    valid_days: int | None,
    schedule: records.Schedule | None,
    company: records.Company | None,
    now: str,
) -> str | None:
    """When a new lot lapses: `expires_at` (a date: usable through that day in the
    schedule's zone; an instant: then), else `valid_days` from now, else the schedule's
    default validity, else the company's; None: never."""
    if expires_at is not None and valid_days is not None:
        raise _field_error("valid_days", "give expires_at or valid_days, not both", "two expiries given")
    if isinstance(expires_at, datetime):
        at = clock.iso(expires_at)
    elif isinstance(expires_at, date):
        zone = ZoneInfo(schedule.timezone if schedule else company.timezone if company else "UTC")
        at = clock.iso(datetime.combine(expires_at + timedelta(days=1), datetime.min.time(), zone))
    else:
        days = (
            valid_days
            or (schedule.lot_valid_days if schedule else None)
            or (company.lot_valid_days if company else None)
        )
        if not days:
            return None
        at = clock.iso(datetime.fromisoformat(now.replace("Z", "+00:00")) + timedelta(days=days))
    if at <= now:
        raise _field_error("expires_at", "must lie in the future", "the package would expire before it can be used")
    return at


def _with_schedule(
    actor: Actor, enrollment_id: str
) -> tuple[records.Enrollment, records.Schedule | None, records.Company | None]:
    """The enrollment with its schedule and company (what a new lot's validity depends on), in one request."""
    parsed = ids.parse_enrollment_id(enrollment_id)
    if parsed is None:
        raise NotFound("enrollment", enrollment_id)
    cid = actor.company_id
    wanted = [reads.enrollment(cid, *parsed), reads.schedule(cid, parsed[0]), reads.company(cid)]
    found = reads.load(wanted)
    enrollment = found.get(wanted[0])
    if enrollment is None:
        raise NotFound("enrollment", enrollment_id)
    return enrollment, found.get(wanted[1]), found.get(wanted[2])


def plan_correction(enrollment: records.Enrollment, delta: int, now: str, note: str | None) -> lots.Plan:
    """A correction of `delta`: more is a lot of its own (source adjustment, no expiry), less
    is taken from the lots in consumption order."""
    if delta > 0:
        lot = records.Lot(lot_id="", sessions=delta, remaining=delta, at=now, source=lots.ADJUSTMENT, note=note)
        return lots.add(enrollment, lot, now, kind=balances.ADJUSTMENT, note=note)
    return lots.take(enrollment, -delta, now, kind=balances.ADJUSTMENT, note=note)


def top_up(
    actor: Actor,
    enrollment_id: str,
    *,
    sessions: int,
    note: str | None,
    expires_at: date | datetime | None = None,
    valid_days: int | None = None,
    unit_price: str | None = None,
    currency: str | None = None,
    source: str = lots.TOP_UP,
    claim: Idempotency | None = None,
) -> records.Enrollment:
    """A new lot of `sessions` (what is owed is settled from it first)."""

    def step(uow: UnitOfWork) -> records.Enrollment:
        enrollment, schedule, company = _with_schedule(actor, enrollment_id)
        now = clock.now_iso()
        lot = records.Lot(
            lot_id="",
            sessions=sessions,
            remaining=sessions,
            at=now,
            source=source,
            expires_at=expiry_of(expires_at, valid_days, schedule, company, now),
            unit_price=unit_price,
            currency=currency,
            note=note,
            timezone=schedule.timezone if schedule else None,
        )
        plan = lots.add(enrollment, lot, now, kind=balances.TOP_UP, note=note)
        after, _ = uow.move_balance(enrollment, plan, floor=0, actor=actor.label, at=now, reference=_reference(claim))
        return after

    result = uow_.run(step, company_id=actor.company_id, idempotency=claim)
    count("BalanceChanges")
    return result


def adjust(
    actor: Actor, enrollment_id: str, *, delta: int, reason: str, claim: Idempotency | None = None
) -> records.Enrollment:
    def step(uow: UnitOfWork) -> records.Enrollment:
        enrollment = get_enrollment(actor, enrollment_id)
        now = clock.now_iso()
        plan = plan_correction(enrollment, delta, now, reason)
        after, _ = uow.move_balance(enrollment, plan, floor=0, actor=actor.label, at=now, reference=_reference(claim))
        return after

    result = uow_.run(step, company_id=actor.company_id, idempotency=claim)
    count("BalanceChanges")
    return result


def update_enrollment(
    actor: Actor, enrollment_id: str, changes: dict[str, Any], if_match: int | None, claim: Idempotency | None = None
) -> records.Enrollment:
    """Change status, responsible staff or threshold; a new `balance` or `initial_balance`
    is a correction, made as an adjustment entry in the ledger."""
    cid = actor.company_id

    def step(uow: UnitOfWork) -> records.Enrollment:
        parsed = ids.parse_enrollment_id(enrollment_id)
        if parsed is None:
            raise NotFound("enrollment", enrollment_id)
        schedule_id, student_id = parsed
        staff_id = changes.get("responsible_staff_id")
        wanted = [reads.enrollment(cid, schedule_id, student_id), reads.schedule(cid, schedule_id), reads.company(cid)]
        if staff_id is not None and ids.is_id(staff_id):
            wanted.append(reads.staff(cid, staff_id))
        found = reads.load(wanted)  # one request for the enrollment and what its threshold depends on
        enrollment = found.get(wanted[0])
        if enrollment is None:
            raise NotFound("enrollment", enrollment_id)
        if if_match is not None and enrollment.version != if_match:
            raise VersionMismatch(f"the enrollment is at version {enrollment.version}, not {if_match}")
        if "responsible_staff_id" in changes and (len(wanted) < 4 or found.get(wanted[3]) is None):
            raise _field_error(
                "responsible_staff_id", "no staff member with this id", "the responsible staff member does not exist"
            )
        fields: dict[str, Any] = {
            k: changes[k] for k in ("status", "responsible_staff_id", "low_balance_threshold") if k in changes
        }
        if "low_balance_threshold" in changes:
            fields["threshold"] = _threshold(
                changes["low_balance_threshold"], found.get(wanted[1]), found.get(wanted[2])
            )
        delta, note = 0, changes.get("reason")
        if "balance" in changes:
            delta = changes["balance"] - enrollment.balance
        elif "initial_balance" in changes:
            delta = changes["initial_balance"] - enrollment.initial_balance
            fields["initial_balance"] = changes["initial_balance"]
            note = note or (
                f"initial balance corrected from {enrollment.initial_balance} to {changes['initial_balance']}"
            )
        now = clock.now_iso()
        schedule = found.get(wanted[1])
        if fields.get("status") == ACTIVE and enrollment.status != ACTIVE:
            seated = _enrolled_in(schedule, schedule_id)
            store.take_seat(uow, seated, full=lambda: _full(seated))
        elif fields.get("status", ACTIVE) != ACTIVE and enrollment.status == ACTIVE:
            store.free_seat(uow, _enrolled_in(schedule, schedule_id))
        if delta:
            plan = plan_correction(enrollment, delta, now, note)
            after, _ = uow.move_balance(
                enrollment, plan, floor=0, actor=actor.label, at=now, reference=_reference(claim), **fields
            )
            return after
        fields = {k: v for k, v in fields.items() if getattr(enrollment, k) != v}
        if not fields:
            return enrollment
        return store.save_enrollment(uow, replace(enrollment, updated_at=now, **fields))

    return uow_.run(step, company_id=cid, idempotency=claim)


def list_schedule_enrollments(actor: Actor, schedule_id: str, limit: int, cursor: str | None) -> Page:
    schedule = get_schedule(actor, schedule_id)
    return store.list_schedule_enrollments(actor.company_id, schedule.schedule_id, limit, cursor)


def list_student_enrollments(actor: Actor, student_id: str, limit: int, cursor: str | None) -> Page:
    if not ids.is_id(student_id) or reads.get(reads.student(actor.company_id, student_id)) is None:
        raise NotFound("student", student_id)
    return store.list_student_enrollments(actor.company_id, student_id, limit, cursor)


def ledger_of(actor: Actor, enrollment_id: str, limit: int, cursor: str | None) -> Page:
    enrollment = get_enrollment(actor, enrollment_id)
    return store.list_ledger(actor.company_id, enrollment.schedule_id, enrollment.student_id, limit, cursor)
