"""Enrollments and their balances: enroll, top up, adjust, correct, read the ledger.

Every balance change is one transaction: the enrollment's conditional update, the ledger
entry, and (when the request carried an Idempotency-Key) the idempotency record.
"""
from typing import Any

from .. import clock, ids
from ..domain import ledger, thresholds
from ..errors import AlreadyEnrolled, InvalidInput, NotFound, VersionMismatch
from ..observability import count
from ..store import batch
from ..store import enrollments as store
from ..store import people as people_store
from ..store import schedules as schedules_store
from ..store.models import Enrollment, LedgerEntry
from ..store.pages import Page
from ..store.tx import Transaction
from .context import Actor, IdempotencyClaim, commit_with_claim
from .schedules import get_schedule

ACTIVE, ENDED = "active", "ended"


def _field_error(field: str, message: str, summary: str) -> InvalidInput:
    return InvalidInput(summary, [{"field": field, "message": message}])


def _require_staff(actor: Actor, staff_id: str, field: str = "responsible_staff_id") -> None:
    if not ids.is_id(staff_id) or people_store.get_staff(actor.company_id, staff_id) is None:
        raise _field_error(field, "no staff member with this id", "the responsible staff member does not exist")


def enroll(actor: Actor, schedule_id: str, *, student_id: str, initial_balance: int,
           responsible_staff_id: str, low_balance_threshold: int | None) -> Enrollment:
    cid = actor.company_id
    wanted = {"schedule": schedules_store.schedule_key(cid, schedule_id),
              "student": people_store.student_key(cid, student_id),
              "staff": people_store.staff_key(cid, responsible_staff_id),
              "company": people_store.company_key(cid)}
    found = batch.load(wanted.values()) if ids.is_id(schedule_id) else {}
    schedule = found.get(wanted["schedule"])
    if schedule is None:
        raise NotFound("schedule", schedule_id)
    student = found.get(wanted["student"])
    if student is None:
        raise _field_error("student_id", "no student with this id", "the student does not exist")
    if found.get(wanted["staff"]) is None:
        raise _field_error("responsible_staff_id", "no staff member with this id",
                           "the responsible staff member does not exist")
    now = clock.now_iso()
    enrollment = store.new_enrollment(
        actor.company_id, schedule.schedule_id, student_id, student_name=student.name,
        schedule_name=schedule.name, initial_balance=initial_balance, balance=initial_balance, seq=1,
        status=ACTIVE, responsible_staff_id=responsible_staff_id,
        low_balance_threshold=low_balance_threshold, threshold=_threshold(low_balance_threshold, schedule,
                                                                          found.get(wanted["company"])),
        created_at=now, updated_at=now,
    )
    entry = store.new_ledger_entry(actor.company_id, enrollment, 1, at=now, delta=initial_balance,
                                   balance_after=initial_balance, kind=ledger.INITIAL, actor=actor.label,
                                   reference=None, note=None)
    try:
        store.create_enrollment(enrollment, entry)
    except store.AlreadyEnrolledError:
        existing = store.get_enrollment(actor.company_id, schedule.schedule_id, student_id)
        status = existing.status if existing else ACTIVE
        raise AlreadyEnrolled(
            f"the student is already enrolled in this schedule (status {status}); "
            f"change that enrollment with PATCH /enrollments/{enrollment_id_of(enrollment)}",
            [{"field": "student_id", "message": "already enrolled in this schedule"}],
        )
    enrollment.version = 1
    return enrollment


def _threshold(own: int | None, schedule, company) -> int:
    return thresholds.effective_threshold(own, schedule.low_balance_threshold if schedule else None,
                                          company.low_balance_threshold if company else None)


def enrollment_id_of(enrollment: Enrollment) -> str:
    return ids.enrollment_id(enrollment.schedule_id, enrollment.student_id)


def get_enrollment(actor: Actor, enrollment_id: str) -> Enrollment:
    parsed = ids.parse_enrollment_id(enrollment_id)
    enrollment = store.get_enrollment(actor.company_id, *parsed) if parsed else None
    if enrollment is None:
        raise NotFound("enrollment", enrollment_id)
    return enrollment


def _after(enrollment: Enrollment, **changes: Any) -> Enrollment:
    """The enrollment as it will be once the transaction commits (for the answer)."""
    after = Enrollment.from_raw_data(enrollment.serialize())
    for name, value in changes.items():
        setattr(after, name, value)
    after.version = (enrollment.version or 0) + 1
    return after


def _change_balance(actor: Actor, enrollment: Enrollment, delta: int, kind: str, *, note: str | None,
                    reference: str | None, claim: IdempotencyClaim | None,
                    field_changes: dict[str, Any] | None = None, threshold: int | None = None) -> Enrollment:
    plan = ledger.plan_change(int(enrollment.balance), int(enrollment.seq), delta, floor=0)
    now = clock.now_iso()
    entry = store.new_ledger_entry(actor.company_id, enrollment, plan.seq, at=now, delta=delta,
                                   balance_after=plan.balance_after, kind=kind, actor=actor.label,
                                   reference=reference, note=note)
    field_changes = field_changes or {}
    extra = [getattr(Enrollment, name).set(value) if value is not None else getattr(Enrollment, name).remove()
             for name, value in field_changes.items()]
    tx = store.add_balance_change(Transaction(), enrollment, delta, 0, entry, now, extra_actions=extra,
                                  status=field_changes.get("status"), threshold=threshold)
    after = _after(enrollment, balance=plan.balance_after, seq=plan.seq, updated_at=now, **field_changes)
    commit_with_claim(tx, claim, after)
    count("BalanceChanges")
    return after


def _reference(claim: IdempotencyClaim | None) -> str | None:
    return f"request:{claim.key}" if claim else None


def top_up(actor: Actor, enrollment_id: str, *, sessions: int, note: str | None,
           claim: IdempotencyClaim | None = None) -> Enrollment:
    enrollment = get_enrollment(actor, enrollment_id)
    return _change_balance(actor, enrollment, sessions, ledger.TOP_UP, note=note,
                           reference=_reference(claim), claim=claim)


def adjust(actor: Actor, enrollment_id: str, *, delta: int, reason: str,
           claim: IdempotencyClaim | None = None) -> Enrollment:
    enrollment = get_enrollment(actor, enrollment_id)
    return _change_balance(actor, enrollment, delta, ledger.ADJUSTMENT, note=reason,
                           reference=_reference(claim), claim=claim)


def update_enrollment(actor: Actor, enrollment_id: str, changes: dict[str, Any], if_match: int | None,
                      claim: IdempotencyClaim | None = None) -> Enrollment:
    """Change status, responsible staff or threshold; a new `balance` or `initial_balance`
    is a correction, made as an adjustment entry in the ledger."""
    enrollment = get_enrollment(actor, enrollment_id)
    if if_match is not None and enrollment.version != if_match:
        raise VersionMismatch(f"the enrollment is at version {enrollment.version}, not {if_match}")
    if "responsible_staff_id" in changes:
        _require_staff(actor, changes["responsible_staff_id"])
    fields = {k: changes[k] for k in ("status", "responsible_staff_id", "low_balance_threshold") if k in changes}
    threshold = None
    if "low_balance_threshold" in changes:
        cid = actor.company_id
        found = batch.load([schedules_store.schedule_key(cid, enrollment.schedule_id), people_store.company_key(cid)])
        threshold = _threshold(changes["low_balance_threshold"],
                               found.get(schedules_store.schedule_key(cid, enrollment.schedule_id)),
                               found.get(people_store.company_key(cid)))
    delta, note = 0, changes.get("reason")
    if "balance" in changes:
        delta = changes["balance"] - int(enrollment.balance)
    elif "initial_balance" in changes:
        delta = changes["initial_balance"] - int(enrollment.initial_balance)
        fields["initial_balance"] = changes["initial_balance"]
        note = note or f"initial balance corrected from {int(enrollment.initial_balance)} to {changes['initial_balance']}"
    if delta:
        return _change_balance(actor, enrollment, delta, ledger.ADJUSTMENT, note=note,
                               reference=_reference(claim), claim=claim, field_changes=fields, threshold=threshold)
    fields = {k: v for k, v in fields.items() if getattr(enrollment, k) != v}
    if not fields:
        return enrollment
    now = clock.now_iso()
    actions = [getattr(Enrollment, k).set(v) if v is not None else getattr(Enrollment, k).remove()
               for k, v in fields.items()]
    actions += store.alert_actions(enrollment, balance=int(enrollment.balance), status=fields.get("status"),
                                   threshold=threshold)
    tx = Transaction().update(enrollment, actions=actions + [Enrollment.updated_at.set(now)])
    after = _after(enrollment, updated_at=now, **fields)
    commit_with_claim(tx, claim, after)
    return after


def list_schedule_enrollments(actor: Actor, schedule_id: str, limit: int, cursor: str | None) -> Page[Enrollment]:
    schedule = get_schedule(actor, schedule_id)
    return store.list_schedule_enrollments(actor.company_id, schedule.schedule_id, limit, cursor)


def list_student_enrollments(actor: Actor, student_id: str, limit: int, cursor: str | None) -> Page[Enrollment]:
    if not ids.is_id(student_id) or people_store.get_student(actor.company_id, student_id) is None:
        raise NotFound("student", student_id)
    return store.list_student_enrollments(actor.company_id, student_id, limit, cursor)


def ledger_of(actor: Actor, enrollment_id: str, limit: int, cursor: str | None) -> Page[LedgerEntry]:
    enrollment = get_enrollment(actor, enrollment_id)
    return store.list_ledger(actor.company_id, enrollment.schedule_id, enrollment.student_id, limit, cursor)
