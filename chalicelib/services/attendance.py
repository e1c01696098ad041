"""Attendance marks: record, change, clear, bulk-mark, the roster, held no-shows, and the
school's cancellation of a whole session.

It is long because single marks, bulk marks and a school cancellation share the read of
what a mark depends on and the staging of its change, which must stay one code path.

A mark is one step: one BatchGetItem for what it depends on, the pure transition
(`domain/balances.py`), and one transaction of at most four items staged by
`store/attendance.py` (session check, mark, enrollment, ledger entry). Bulk marks are one
step per student; a school cancellation is one step for the session and then one per
`STUDENTS_PER_STEP` students.
"""

from dataclasses import dataclass, field, replace
from typing import Protocol

from .. import clock, ids
from ..domain import balances, records
from ..domain.balances import MarkRequest
from ..errors import (
    Forbidden,
    NotEnrolled,
    NotFound,
    OptClassError,
    SessionCancelled,
    StoreUnavailable,
    VersionMismatch,
)
from ..observability import count
from ..store import attendance as store
from ..store import enrollments as enrollment_store
from ..store import logins
from ..store import sessions as session_store
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import Idempotency, UnitOfWork
from . import people
from .context import TEACHER, Actor, Caller
from .sessions import CANCELLED, load_session, parse_session_id, require_teaches

WEBHOOK = "webhook"  # the role of a booking system's delivery (services/webhooks.py)

UNMARKED = "unmarked"
STUDENTS_PER_STEP = 30  # a school cancellation: 1 check + 30 x (mark, enrollment, entry) = 91 actions
MarkInput = MarkRequest


@dataclass(frozen=True)
class MarkView:
    """A student's mark on a session (or its absence) with the balance after it."""

    session_id: str
    student_id: str
    enrollment_id: str
    balance: int
    mark: records.Mark | None
    changed: bool = True
    delta: int = 0  # how the balance moved


def _view(
    session: records.Session,
    student_id: str,
    mark: records.Mark | None,
    balance: int,
    changed: bool = True,
    delta: int = 0,
) -> MarkView:
    return MarkView(
        session_id=session.session_id,
        student_id=student_id,
        enrollment_id=ids.enrollment_id(session.schedule_id, student_id),
        balance=balance,
        mark=mark,
        changed=changed,
        delta=delta,
    )


def _read(actor: Actor | Caller, session_id: str, student_ids: list[str]) -> tuple[store.SessionMarks, Actor]:
    """What the marks depend on, and who is asking: one read. A signed-in caller's login is
    resolved from the user ref read with the rest; a teacher only reaches the sessions they
    teach."""
    schedule_id, key = parse_session_id(session_id)
    needs_ref = isinstance(actor, Caller) or (actor.role == TEACHER and actor.person_id is None)
    found = store.load(
        actor.company_id,
        schedule_id,
        key,
        [s for s in student_ids if ids.is_id(s)],
        caller_user_id=actor.subject if needs_ref else None,
    )
    if isinstance(actor, Caller):
        ref = found.caller_ref
        if ref is not None and ref.person_kind == "staff" and ref.role is None:
            resolved = people.resolve(actor)  # a login made before refs kept the role
            actor = actor.resolve(replace(ref, role=resolved.role) if resolved else None)
        else:
            logins.remember(ref)  # read fresh with the mark's own read: the next call need not read it
            actor = actor.resolve(ref)
    if found.schedule is None or found.session is None:
        raise NotFound("session", session_id)
    if actor.role == TEACHER and found.session.teacher_id != (actor.person_id or found.caller_staff_id):
        raise Forbidden("a teacher may only reach the sessions they teach")
    return found, actor


def context_for(actor: Actor | Caller, session_id: str, student_id: str) -> tuple[store.MarkContext, Actor]:
    found, who = _read(actor, session_id, [student_id])
    return found.context(student_id), who


class _SessionRead(Protocol):
    """A read of a session with its schedule (`store.SessionMarks`, `store.MarkContext`)."""

    @property
    def schedule(self) -> records.Schedule | None: ...
    @property
    def session(self) -> records.Session | None: ...


def _read_with(read: _SessionRead) -> tuple[records.Schedule, records.Session]:
    """The schedule and session a read found (`_read` answers NotFound without them, and so
    does this)."""
    if read.schedule is None or read.session is None:
        raise NotFound("session")
    return read.schedule, read.session


def _commit_change(
    uow: UnitOfWork,
    actor: Actor,
    ctx: store.MarkContext,
    student_id: str,
    change: balances.Transition,
    check_session: bool = True,
) -> MarkView:
    schedule, session = _read_with(ctx)
    enrollment = ctx.enrollment
    # Checked by every caller, or the one a mark being cleared was made under (never deleted).
    assert enrollment is not None
    if not change.changed:
        return _view(session, student_id, change.before, enrollment.balance, changed=False)
    after = store.write_mark(
        uow,
        session,
        enrollment,
        change,
        floor=balances.floor_of(schedule.policy),
        actor=actor.label,
        at=clock.now_iso(),
        check_session=check_session,
    )
    shown = None if change.after is None else replace(change.after, version=change.after.version + 1)
    return _view(session, student_id, shown, after.balance, delta=change.delta)


def record_in(
    uow: UnitOfWork,
    actor: Actor,
    ctx: store.MarkContext,
    student_id: str,
    request: MarkRequest,
    if_match: int | None = None,
    check_session: bool = True,
) -> MarkView:
    """Stage a student's mark on the session in `ctx` (read already)."""
    schedule, session = _read_with(ctx)
    enrollment, current = ctx.enrollment, ctx.mark
    if session.status == CANCELLED:
        raise SessionCancelled("the school cancelled this session; its attendance cannot be recorded")
    if session.student_id and session.student_id != student_id:
        raise NotEnrolled(
            "this session belongs to another student", [{"field": "student_id", "message": "not on roster"}]
        )
    if enrollment is None or enrollment.status != "active":
        raise NotEnrolled(
            "the student has no active enrollment in this session's schedule",
            [{"field": "student_id", "message": "not enrolled"}],
        )
    if if_match is not None and (current.version if current else 0) != if_match:
        raise VersionMismatch(f"the mark is at version {current.version if current else 0}, not {if_match}")
    now = clock.now_iso()
    balances.check_timing(request, session=session, enrollment=enrollment, now=now)
    change = balances.record_mark(
        current,
        request,
        schedule=schedule,
        session=session,
        enrollment=enrollment,
        recorded_by=actor.label,
        now=now,
    )
    return _commit_change(uow, actor, ctx, student_id, change, check_session=check_session)


def record(
    actor: Actor | Caller,
    session_id: str,
    student_id: str,
    request: MarkRequest,
    if_match: int | None = None,
    claim: Idempotency | None = None,
) -> MarkView:
    """Set a student's status for a session, charging or crediting by the schedule's policy."""

    def step(uow: UnitOfWork) -> MarkView:
        ctx, who = context_for(actor, session_id, student_id)
        _may_ask(who, request)
        return record_in(uow, who, ctx, student_id, request, if_match)

    view = uow_.run(step, company_id=actor.company_id, idempotency=claim)
    _count(view)
    return view


def _may_ask(actor: Actor, request: MarkRequest) -> None:
    """Only staff override a charge or say when a cancellation was made (a teacher could
    otherwise turn a late cancellation into an early one)."""
    if request.charge is not None and not actor.is_staff:
        raise Forbidden("only staff may override a charge")
    if request.cancelled_at is not None and not (actor.is_staff or actor.role == WEBHOOK):
        raise Forbidden(
            "only staff may say when a cancellation was made", [{"field": "cancelled_at", "message": "staff only"}]
        )


def _count(view: MarkView) -> None:
    if isinstance(view, MarkView) and view.changed:
        count("MarksWritten")
        count("BalanceChanges", 1 if view.delta else 0)


def clear_in(
    uow: UnitOfWork,
    actor: Actor | Caller,
    session_id: str,
    student_id: str,
    if_match: int | None = None,
    only_if: str | None = None,
) -> MarkView:
    """Stage the removal of a mark; a charge it took is given back. With `only_if`, a mark of
    another status (or none) is left alone and answered as it is."""
    ctx, actor = context_for(actor, session_id, student_id)
    _, session = _read_with(ctx)
    balance = ctx.enrollment.balance if ctx.enrollment else 0
    if only_if is not None and (ctx.mark is None or ctx.mark.status != only_if):
        return _view(session, student_id, ctx.mark, balance, changed=False)
    if ctx.mark is None:
        raise NotFound("mark of this student on this session")
    if session.status == CANCELLED:
        raise SessionCancelled("the school cancelled this session; its marks stay")
    if if_match is not None and ctx.mark.version != if_match:
        raise VersionMismatch(f"the mark is at version {ctx.mark.version}, not {if_match}")
    return _commit_change(uow, actor, ctx, student_id, balances.clear_mark(ctx.mark))


def clear(
    actor: Actor | Caller,
    session_id: str,
    student_id: str,
    if_match: int | None = None,
    claim: Idempotency | None = None,
) -> MarkView:
    view = uow_.run(
        lambda uow: clear_in(uow, actor, session_id, student_id, if_match),
        company_id=actor.company_id,
        idempotency=claim,
    )
    _count(view)
    return view


@dataclass
class BulkOutcome:
    student_id: str
    view: MarkView | None = None
    error: OptClassError | None = None


@dataclass
class Bulk:
    session_id: str
    outcomes: list[BulkOutcome]


def record_many(
    actor: Actor | Caller, session_id: str, requests: list[tuple[str, MarkRequest]], claim: Idempotency | None = None
) -> Bulk:
    """Mark a roster: each student's mark is atomic on its own; failures are reported, not raised.

    The session with everyone's current mark and enrollment are read up front (one query and
    one BatchGetItem), so a roster of n costs two reads and n transactions; a student whose
    transaction loses a race is redone from a fresh read of their own."""
    cid = actor.company_id

    def steps() -> Bulk:
        first_read, who = uow_.reading(lambda: _read(actor, session_id, [sid for sid, _ in requests]), company_id=cid)
        for _, request in requests:
            _may_ask(who, request)
        _, first_session = _read_with(first_read)
        if first_session.status == CANCELLED:
            raise SessionCancelled("the school cancelled this session; its attendance cannot be recorded")
        outcomes = []
        for student_id, request in requests:
            attempts = 0

            def step(uow: UnitOfWork) -> MarkView:
                nonlocal attempts
                attempts += 1  # the first attempt uses the roster read above; a retry reads afresh
                ctx = first_read.context(student_id) if attempts == 1 else context_for(who, session_id, student_id)[0]
                return record_in(uow, who, ctx, student_id, request)

            try:
                view = uow_.run(step, company_id=cid)
                _count(view)
                outcomes.append(BulkOutcome(student_id, view=view))
            except StoreUnavailable:
                raise  # not this student's outcome: the whole request is answered 503, to be retried
            except OptClassError as exc:
                outcomes.append(BulkOutcome(student_id, error=exc))
        return Bulk(session_id, outcomes)

    return uow_.in_steps(steps, company_id=cid, idempotency=claim)


@dataclass
class RosterRow:
    student_id: str
    student_name: str
    enrollment: records.Enrollment | None  # None: no longer enrolled (shown for their mark)
    mark: records.Mark | None


@dataclass
class Roster:
    session: records.Session
    rows: list[RosterRow] = field(default_factory=list)


def roster(actor: Actor, session_id: str) -> Roster:
    """Every student the session is for, with their status or `unmarked`."""
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    session, marks = session_store.session_with_marks(cid, schedule_id, key)
    if session is None:
        raise NotFound("session", session_id)
    require_teaches(actor, session.teacher_id)
    by_student = {mk.student_id: mk for mk in marks}
    if session.student_id:
        own = enrollment_store.get_enrollment(cid, schedule_id, session.student_id)
        enrollments = [own] if own else []
    else:  # the active roster (one query; ended enrollments are not read)
        header, enrollments = enrollment_store.active_roster(cid, schedule_id)
        if header is None:  # a schedule written before headers (until the upgrade's fill)
            enrollments = [
                e
                for e in enrollment_store.roster(cid, schedule_id)
                if e.status == "active" or e.student_id in by_student
            ]
    rows = [RosterRow(e.student_id, e.student_name, e, by_student.get(e.student_id)) for e in enrollments]
    listed = {e.student_id for e in enrollments}
    rows += [RosterRow(mk.student_id, mk.student_name, None, mk) for mk in marks if mk.student_id not in listed]
    return Roster(session, rows)


def held(actor: Actor, limit: int, cursor: str | None) -> Page[records.Mark]:
    return session_store.held_marks(actor.company_id, limit, cursor)


# --- the school cancels a whole session --------------------------------------------------


@dataclass
class Cancellation:
    session: records.Session
    outcomes: list[MarkView]


def _cancel_session_step(
    uow: UnitOfWork, actor: Actor, session_id: str, reason: str | None
) -> tuple[records.Schedule, records.Session, list[str]]:
    """Stage the session's cancellation (once); returns who must be marked."""
    schedule, session = load_session(actor, session_id)
    cid = actor.company_id
    if session.status != CANCELLED:
        now = clock.now_iso()
        session = session_store.save_session(
            uow, replace(session, status=CANCELLED, cancelled_at=now, cancel_reason=reason, updated_at=now)
        )
    _, marks = session_store.session_with_marks(cid, session.schedule_id, session.session_key)
    if session.student_id:
        students = [session.student_id]
    else:
        students = [e.student_id for e in enrollment_store.roster(cid, session.schedule_id) if e.status == "active"]
    students += [mk.student_id for mk in marks if mk.student_id not in students]
    return schedule, session, students


def cancel_session_in(actor: Actor, session_id: str, reason: str | None) -> Cancellation:
    """The school cancels a session for everyone: each student is marked `cancelled` by the
    school and never charged; a charge already taken is given back. Safe to repeat: a second
    call finishes what a first one left undone and changes nothing else."""
    cid = actor.company_id
    schedule, session, students = uow_.run(
        lambda uow: _cancel_session_step(uow, actor, session_id, reason), company_id=cid
    )
    outcomes: list[MarkView] = []
    for start in range(0, len(students), STUDENTS_PER_STEP):
        chunk = students[start : start + STUDENTS_PER_STEP]

        def step(uow: UnitOfWork) -> list[MarkView]:
            found = store.load(cid, session.schedule_id, session.session_key, chunk)
            fresh = found.session
            if fresh is None or fresh.status != CANCELLED:
                raise NotFound("session", session_id)
            views = []
            for student_id in chunk:
                ctx = found.context(student_id)
                if ctx.enrollment is None:
                    continue
                change = balances.school_cancel_mark(
                    ctx.mark,
                    schedule=schedule,
                    session=fresh,
                    enrollment=ctx.enrollment,
                    recorded_by=actor.label,
                    now=clock.now_iso(),
                )
                views.append(_commit_change(uow, actor, ctx, student_id, change, check_session=False))
            if len(uow):  # the marks land only while the session is still cancelled, as read
                store.session_guard(uow, fresh)
            return views

        outcomes += uow_.run(step, company_id=cid)
    return Cancellation(session, outcomes)


def cancel_session(actor: Actor, session_id: str, reason: str | None, claim: Idempotency | None = None) -> Cancellation:
    return uow_.in_steps(
        lambda: cancel_session_in(actor, session_id, reason), company_id=actor.company_id, idempotency=claim
    )


def mark_out_fields(view: MarkView) -> dict:
    mk = view.mark
    base = {
        "session_id": view.session_id,
        "student_id": view.student_id,
        "enrollment_id": view.enrollment_id,
        "balance": view.balance,
    }
    if mk is None:
        return {
            **base,
            "status": UNMARKED,
            "charged": False,
            "held": False,
            "late": False,
            "version": 0,
            "recorded_by": None,
            "recorded_at": None,
            "note": None,
            "cancelled_at": None,
            "cancelled_by": None,
            "charge_override": None,
            "override_reason": None,
        }
    return {
        **base,
        "status": mk.status,
        "charged": mk.charged,
        "held": mk.held,
        "late": mk.late,
        "version": mk.version,
        "recorded_by": mk.recorded_by,
        "recorded_at": mk.recorded_at,
        "note": mk.note,
        "cancelled_at": mk.cancelled_at,
        "cancelled_by": mk.cancelled_by,
        "charge_override": mk.charge_override,
        "override_reason": mk.override_reason,
    }
