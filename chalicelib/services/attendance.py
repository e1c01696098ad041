"""Attendance marks: record, change, clear, bulk-mark, the roster, held no-shows, and the
school's cancellation of a whole session.

A mark that moves a balance is one transaction: a check that the session is still as
read (not cancelled, not moved), the mark (conditional on its version), the enrollment's
conditional update and the ledger entry, and the idempotency record when there is one.
Later work adds report counters to the same transaction (`_write_mark`).
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import clock, ids
from ..domain import ledger
from ..domain import policy as rules
from ..errors import (Forbidden, NotEnrolled, NotFound, OptClassError, SessionCancelled,
                      StoreUnavailable, VersionMismatch)
from ..store import batch
from ..store import enrollments as enrollment_store
from ..store import people as people_store
from ..store import schedules as schedules_store
from ..store import sessions as store
from ..store.models import Enrollment, Mark, Schedule, Session
from ..store.pages import Page
from ..store.tx import ConditionFailed, Transaction, TransientStoreError, retrying
from ..observability import count
from . import counters
from .context import TEACHER, Actor, IdempotencyClaim, commit_with_claim
from .sessions import CANCELLED, SCHEDULED, load_session, parse_session_id, require_teaches

UNMARKED = "unmarked"


@dataclass
class MarkInput:
    status: str
    note: str | None = None
    cancelled_at: datetime | None = None
    charge: bool | None = None
    reason: str | None = None
    cancelled_by: str = rules.BY_STUDENT


@dataclass
class MarkView:
    """A student's mark on a session (or its absence) with the balance after it."""

    session_id: str
    student_id: str
    enrollment_id: str
    balance: int
    mark: Mark | None
    changed: bool = True


@dataclass
class _Context:
    schedule: Schedule
    session: Session
    mark: Mark | None
    enrollment: Enrollment | None
    staff_id: str | None = None


def policy_of(schedule: Schedule) -> rules.PolicyRules:
    p = schedule.policy
    return rules.PolicyRules(cancelled=p.cancelled, no_show=p.no_show,
                             late_cancel_hours=None if p.late_cancel_hours is None else int(p.late_cancel_hours),
                             overdraft=int(p.overdraft or 0))


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _load(actor: Actor, session_id: str, student_id: str) -> _Context:
    """Schedule, session, the current mark and the enrollment: one BatchGetItem."""
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    wanted = {"schedule": schedules_store.schedule_key(cid, schedule_id),
              "session": store.session_key_of(cid, schedule_id, key),
              "mark": store.mark_key_of(cid, schedule_id, key, student_id),
              "enrollment": enrollment_store.enrollment_key(cid, schedule_id, student_id)}
    if actor.role == TEACHER:
        wanted["me"] = people_store.user_ref_key(cid, actor.subject)
    found = batch.load(wanted.values())
    schedule, session = found.get(wanted["schedule"]), found.get(wanted["session"])
    if schedule is None or session is None:
        raise NotFound("session", session_id)
    me = found.get(wanted.get("me")) if "me" in wanted else None
    ctx = _Context(schedule, session, found.get(wanted["mark"]), found.get(wanted["enrollment"]),
                   staff_id=me.person_id if me is not None and me.person_kind == "staff" else None)
    if actor.role == TEACHER and session.teacher_id != ctx.staff_id:
        raise Forbidden("a teacher may only reach the sessions they teach")
    return ctx


def _view(ctx: _Context, mark: Mark | None, balance: int, changed: bool = True) -> MarkView:
    s = ctx.session
    return MarkView(session_id=ids.session_id(s.schedule_id, s.session_key),
                    student_id=ctx.enrollment.student_id if ctx.enrollment else mark.student_id,
                    enrollment_id=ids.enrollment_id(s.schedule_id, ctx.enrollment.student_id if ctx.enrollment
                                                    else mark.student_id),
                    balance=balance, mark=mark, changed=changed)


def _new_mark(actor: Actor, ctx: _Context, student_id: str, *, status: str, decision: rules.Decision,
              inp: MarkInput, cancelled_at: str | None, override: bool | None, override_reason: str | None,
              note: str | None) -> Mark:
    s, cid = ctx.session, actor.company_id
    mark = store.new_mark(
        cid, s.schedule_id, s.session_key, student_id, schedule_name=ctx.schedule.name,
        student_name=ctx.enrollment.student_name if ctx.enrollment else student_id, kind=s.kind,
        teacher_id=s.teacher_id, teacher_name=s.teacher_name, starts_at=s.starts_at, status=status,
        charged=decision.charged, held=decision.held, late=decision.late, cancelled_at=cancelled_at,
        cancelled_by=inp.cancelled_by if status == rules.CANCELLED else None, charge_override=override,
        override_reason=override_reason, note=note, recorded_by=actor.label, recorded_at=clock.now_iso())
    if ctx.mark is not None:
        mark.version = ctx.mark.version  # the put is conditional on it; a new mark on its absence
    store.index_mark(cid, mark)
    return mark


_COMPARED = ("status", "charged", "held", "late", "cancelled_at", "cancelled_by", "charge_override",
             "override_reason", "note")


def _same(a: Mark | None, b: Mark) -> bool:
    return a is not None and all(getattr(a, f) == getattr(b, f) for f in _COMPARED)


def _write_mark(actor: Actor, ctx: _Context, new: Mark | None, *, session_status: str, note: str,
                claim: IdempotencyClaim | None) -> MarkView:
    """Commit the change from `ctx.mark` to `new` (None: clear it) and the balance move it implies."""
    cid, s, e = actor.company_id, ctx.session, ctx.enrollment
    before = bool(ctx.mark.charged) if ctx.mark is not None else False
    after = bool(new.charged) if new is not None else False
    delta = rules.charge_delta(before, after)
    balance = int(e.balance)
    tx = Transaction()
    tx.check(Session, s.PK, s.SK, (Session.status == session_status) & (Session.version == s.version))
    if new is not None:
        tx.put(new)
    else:
        tx.delete(ctx.mark)
    counters.add(tx, cid, counters.mark_change(ctx.mark, new, s.timezone))
    if delta:
        floor = policy_of(ctx.schedule).floor  # only a charge can be refused; a reversal never is
        plan = ledger.plan_change(balance, int(e.seq), delta, floor=floor)
        now = clock.now_iso()
        entry = enrollment_store.new_ledger_entry(
            cid, e, plan.seq, at=now, delta=delta, balance_after=plan.balance_after,
            kind=ledger.ATTENDANCE if delta < 0 else ledger.REVERSAL, actor=actor.label,
            reference=f"session:{ids.session_id(s.schedule_id, s.session_key)}", note=note)
        extra = []
        if delta < 0 and s.starts_at > (e.last_session_at or ""):
            extra.append(Enrollment.last_session_at.set(s.starts_at))
        enrollment_store.add_balance_change(tx, e, delta, floor, entry, now, extra_actions=extra)
        balance = plan.balance_after
    if new is not None:
        new_version = (ctx.mark.version if ctx.mark is not None else 0) + 1
        shown = Mark.from_raw_data(new.serialize())
        shown.version = new_version
    else:
        shown = None
    view = _view(ctx, shown, balance)
    commit_with_claim(tx, claim, view)
    count("MarksWritten")
    count("BalanceChanges", 1 if delta else 0)
    return view


def _charge_note(status: str, decision: rules.Decision, override: bool | None, reason: str | None) -> str:
    if override is not None:
        return f"staff {'charged' if override else 'waived'}: {reason}"
    if status == rules.CANCELLED and decision.late:
        return "late cancellation"
    return status


def record(actor: Actor, session_id: str, student_id: str, inp: MarkInput, if_match: int | None = None,
           claim: IdempotencyClaim | None = None) -> MarkView:
    """Set a student's status for a session, charging or crediting by the schedule's policy."""
    if inp.charge is not None and not actor.is_staff:
        raise Forbidden("only staff may override a charge")
    ctx = _load(actor, session_id, student_id if ids.is_id(student_id) else "-")
    return _record_in(actor, ctx, student_id, inp, if_match, claim)


def _record_in(actor: Actor, ctx: _Context, student_id: str, inp: MarkInput, if_match: int | None,
               claim: IdempotencyClaim | None) -> MarkView:
    s, e, current = ctx.session, ctx.enrollment, ctx.mark
    if s.status == CANCELLED:
        raise SessionCancelled("the school cancelled this session; its attendance cannot be recorded")
    if s.student_id and s.student_id != student_id:
        raise NotEnrolled("this session belongs to another student", [{"field": "student_id", "message": "not on roster"}])
    if e is None or e.status != "active":
        raise NotEnrolled("the student has no active enrollment in this session's schedule",
                          [{"field": "student_id", "message": "not enrolled"}])
    if if_match is not None and (current.version if current else 0) != if_match:
        raise VersionMismatch(f"the mark is at version {current.version if current else 0}, not {if_match}")
    same_status = current is not None and current.status == inp.status
    override = inp.charge if inp.charge is not None else (current.charge_override if same_status else None)
    override_reason = inp.reason if inp.charge is not None else (current.override_reason if same_status else None)
    cancelled_at = None
    if inp.status == rules.CANCELLED:
        cancelled_at = (clock.iso(inp.cancelled_at) if inp.cancelled_at else
                        current.cancelled_at if same_status and current.cancelled_at else clock.now_iso())
    decision = rules.decide(inp.status, policy_of(ctx.schedule), starts_at=_instant(s.starts_at),
                            cancelled_at=_instant(cancelled_at) if cancelled_at else None,
                            cancelled_by=inp.cancelled_by, override=override)
    note = inp.note if inp.note is not None else (current.note if current is not None else None)
    new = _new_mark(actor, ctx, student_id, status=inp.status, decision=decision, inp=inp,
                    cancelled_at=cancelled_at, override=override, override_reason=override_reason, note=note)
    if _same(current, new):
        return _view(ctx, current, int(e.balance), changed=False)
    return _write_mark(actor, ctx, new, session_status=SCHEDULED,
                       note=_charge_note(inp.status, decision, override, override_reason), claim=claim)


def clear(actor: Actor, session_id: str, student_id: str, if_match: int | None = None,
          claim: IdempotencyClaim | None = None, only_if: str | None = None) -> MarkView:
    """Remove a mark; a charge it took is reversed. With `only_if`, a mark of another status
    (or none) is left alone and answered as it is."""
    ctx = _load(actor, session_id, student_id if ids.is_id(student_id) else "-")
    if only_if is not None and (ctx.mark is None or ctx.mark.status != only_if):
        return _view(ctx, ctx.mark, int(ctx.enrollment.balance) if ctx.enrollment else 0, changed=False)
    if ctx.mark is None:
        raise NotFound("mark of this student on this session")
    if ctx.session.status == CANCELLED:
        raise SessionCancelled("the school cancelled this session; its marks stay")
    if if_match is not None and ctx.mark.version != if_match:
        raise VersionMismatch(f"the mark is at version {ctx.mark.version}, not {if_match}")
    return _write_mark(actor, ctx, None, session_status=SCHEDULED, note="mark cleared", claim=claim)


@dataclass
class BulkOutcome:
    student_id: str
    view: MarkView | None = None
    error: OptClassError | None = None


def record_many(actor: Actor, session_id: str, records: list[tuple[str, MarkInput]]) -> list[BulkOutcome]:
    """Mark a roster: each student's mark is atomic on its own; failures are reported, not raised.

    The session and everyone's current mark and enrollment are read up front (one query and
    one BatchGetItem), so a roster of n costs two reads and n transactions. A mark whose
    transaction loses a race is redone the slow way, from a fresh read."""
    if any(inp.charge is not None for _, inp in records) and not actor.is_staff:
        raise Forbidden("only staff may override a charge")
    schedule, session = load_session(actor, session_id)
    if session.status == CANCELLED:
        raise SessionCancelled("the school cancelled this session; its attendance cannot be recorded")
    cid = actor.company_id
    _, marks = store.session_with_marks(cid, session.schedule_id, session.session_key)
    by_student = {m.student_id: m for m in marks}
    keys = {sid: enrollment_store.enrollment_key(cid, session.schedule_id, sid) for sid, _ in records}
    found = batch.load(keys.values())
    outcomes = []
    for student_id, inp in records:
        ctx = _Context(schedule, session, by_student.get(student_id), found.get(keys[student_id]))
        try:
            try:
                view = _record_in(actor, ctx, student_id, inp, None, None)
            except (ConditionFailed, TransientStoreError):
                view = retrying(lambda: record(actor, session_id, student_id, inp))
            outcomes.append(BulkOutcome(student_id, view=view))
        except StoreUnavailable:
            raise  # not this student's outcome: the whole request is answered 503, to be retried
        except OptClassError as exc:
            outcomes.append(BulkOutcome(student_id, error=exc))
    return outcomes


@dataclass
class RosterRow:
    enrollment: Enrollment
    mark: Mark | None


@dataclass
class Roster:
    session: Session
    rows: list[RosterRow] = field(default_factory=list)


def roster(actor: Actor, session_id: str) -> Roster:
    """Every student the session is for, with their status or `unmarked`."""
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    session, marks = store.session_with_marks(cid, schedule_id, key)
    if session is None:
        raise NotFound("session", session_id)
    require_teaches(actor, session.teacher_id)
    by_student = {m.student_id: m for m in marks}
    if session.student_id:
        own = enrollment_store.get_enrollment(cid, schedule_id, session.student_id)
        enrollments = [own] if own else []
    else:
        enrollments = [e for e in enrollment_store.roster(cid, schedule_id)
                       if e.status == "active" or e.student_id in by_student]
    return Roster(session, [RosterRow(e, by_student.get(e.student_id)) for e in enrollments])


def held(actor: Actor, limit: int, cursor: str | None) -> Page[Mark]:
    return store.held_marks(actor.company_id, limit, cursor)


# --- the school cancels a whole session --------------------------------------------------

@dataclass
class Cancellation:
    session: Session
    outcomes: list[MarkView]


def cancel_session(actor: Actor, session_id: str, reason: str | None) -> Cancellation:
    """Cancel a session for everyone: each student is marked `cancelled` by the school and
    never charged; a charge already taken is reversed. Safe to repeat: a second call
    finishes what a first one left undone and changes nothing else."""
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    session, marks = store.session_with_marks(cid, schedule_id, key)
    if session is None:
        raise NotFound("session", session_id)
    if session.status != CANCELLED:
        before = Session.from_raw_data(session.serialize())
        session.status, session.cancelled_at, session.cancel_reason = CANCELLED, clock.now_iso(), reason
        session.updated_at = session.cancelled_at
        tx = Transaction().put(session)  # conditional on the version read
        counters.add(tx, cid, counters.session_change(before, session))
        tx.commit()
    if session.student_id:
        students = [session.student_id]
    else:
        students = [e.student_id for e in enrollment_store.roster(cid, schedule_id) if e.status == "active"]
    students += [m.student_id for m in marks if m.student_id not in students]
    outcomes = [retrying(lambda: _school_cancel_one(actor, session_id, student)) for student in students]
    return Cancellation(session, [o for o in outcomes if o is not None])


def _school_cancel_one(actor: Actor, session_id: str, student_id: str) -> MarkView | None:
    ctx = _load(actor, session_id, student_id)
    if ctx.enrollment is None:
        return None
    if ctx.mark is not None and ctx.mark.cancelled_by == rules.BY_SCHOOL:
        return _view(ctx, ctx.mark, int(ctx.enrollment.balance), changed=False)
    inp = MarkInput(status=rules.CANCELLED, cancelled_by=rules.BY_SCHOOL)
    decision = rules.decide(rules.CANCELLED, policy_of(ctx.schedule), starts_at=_instant(ctx.session.starts_at),
                            cancelled_by=rules.BY_SCHOOL)
    new = _new_mark(actor, ctx, student_id, status=rules.CANCELLED, decision=decision, inp=inp,
                    cancelled_at=ctx.session.cancelled_at, override=None, override_reason=None,
                    note=ctx.session.cancel_reason)
    return _write_mark(actor, ctx, new, session_status=CANCELLED, note="session cancelled by the school",
                       claim=None)


def mark_out_fields(view: MarkView) -> dict[str, Any]:
    m = view.mark
    base = {"session_id": view.session_id, "student_id": view.student_id, "enrollment_id": view.enrollment_id,
            "balance": view.balance}
    if m is None:
        return {**base, "status": UNMARKED, "charged": False, "held": False, "late": False, "version": 0,
                "recorded_by": None, "recorded_at": None, "note": None, "cancelled_at": None,
                "cancelled_by": None, "charge_override": None, "override_reason": None}
    return {**base, "status": m.status, "charged": bool(m.charged), "held": bool(m.held), "late": bool(m.late),
            "version": int(m.version or 0), "recorded_by": m.recorded_by, "recorded_at": m.recorded_at,
            "note": m.note, "cancelled_at": m.cancelled_at, "cancelled_by": m.cancelled_by,
            "charge_override": m.charge_override, "override_reason": m.override_reason}
