"""Repository of attendance marks: what a mark needs, read in one request, and a mark's
change staged with the balance move it implies.

Access patterns (docs/architecture.md): 16, 17, 24. A mark's transaction holds at most four
items: the session's check, the mark, the enrollment and its ledger entry (five with an
Idempotency-Key: its record). Nothing in it is shared by other sessions' marks, so marks of
different sessions never contend (the report counters follow from the table's stream).
"""

from dataclasses import dataclass, replace

from ..domain import balances, lots, records
from ..errors import EnrollmentPaused
from . import models as m
from .unit_of_work import Ref, UnitOfWork
from .unit_of_work import load as read_together


@dataclass(frozen=True)
class MarkContext:
    """Everything one student's mark on one session depends on."""

    schedule: records.Schedule | None
    session: records.Session | None
    mark: records.Mark | None
    enrollment: records.Enrollment | None
    caller_staff_id: str | None = None  # the staff id of the caller's login, when asked for


@dataclass(frozen=True)
class SessionMarks:
    """A session, its schedule, and some students' marks and enrollments, read together."""

    schedule: records.Schedule | None
    session: records.Session | None
    marks: dict[str, records.Mark | None]
    enrollments: dict[str, records.Enrollment | None]
    caller_staff_id: str | None = None
    caller_ref: records.UserRef | None = None  # the caller's login, when asked for

    def context(self, student_id: str) -> MarkContext:
        return MarkContext(
            self.schedule,
            self.session,
            self.marks.get(student_id),
            self.enrollments.get(student_id),
            self.caller_staff_id,
        )


def load(
    cid: str, schedule_id: str, session_key: str, student_ids: list[str], caller_user_id: str | None = None
) -> SessionMarks:
    """The schedule (its policy), the session, the students' current marks and enrollments,
    and the caller's user ref when given: one strongly consistent BatchGetItem (per 100 keys,
    so one for up to 48 students)."""
    head = [
        Ref(m.Schedule, m.Schedule.key(cid, schedule_id)),
        Ref(m.Session, m.Session.key(cid, schedule_id, session_key)),
    ]
    if caller_user_id is not None:
        head.append(Ref(m.UserRef, m.UserRef.key(cid, caller_user_id)))
    per_student = {
        s: (
            Ref(m.Mark, m.Mark.key(cid, schedule_id, session_key, s)),
            Ref(m.Enrollment, m.Enrollment.key(cid, schedule_id, s)),
        )
        for s in student_ids
    }
    found = read_together(head + [ref for pair in per_student.values() for ref in pair])
    me = found.get(head[2]) if caller_user_id is not None else None
    return SessionMarks(
        schedule=found.get(head[0]),
        session=found.get(head[1]),
        marks={s: found.get(mark_ref) for s, (mark_ref, _) in per_student.items()},
        enrollments={s: found.get(enr_ref) for s, (_, enr_ref) in per_student.items()},
        caller_staff_id=me.person_id if me is not None and me.person_kind == "staff" else None,
        caller_ref=me,
    )


def _check_session(uow: UnitOfWork, session: records.Session) -> None:
    """The session is still as read: same status, same version (not cancelled, not moved)."""
    uow.check(
        m.Session,
        m.Session.key_of(session),
        (m.Session.status == session.status) & (m.Session.version == session.version),
    )


def write_mark(
    uow: UnitOfWork,
    session: records.Session,
    enrollment: records.Enrollment,
    change: balances.Transition,
    *,
    floor: int,
    actor: str,
    at: str,
    check_session: bool = True,
) -> records.Enrollment:
    """Stage a mark's change (a put over the version read, or a delete) and, when it moves
    the balance, the enrollment's update and ledger entry. Returns the enrollment after."""
    if check_session:
        _check_session(uow, session)
    mark = change.after
    if not change.delta:
        if mark is not None and change.before is not None and mark.lot_id != change.before.lot_id:
            mark = replace(mark, lot_id=change.before.lot_id)  # still charged to the same lot
        _put_mark(uow, change.before, mark)
        return enrollment
    assert change.ledger_kind is not None  # a balance move always has its kind (balances._transition)
    extra = {}
    if change.delta < 0:
        paused = lots.pause_at(enrollment, session.starts_at)
        if paused is not None:
            raise EnrollmentPaused(
                f"the enrollment is paused from {paused.starts} to {paused.ended_early_at or paused.ends} "
                f"({paused.reason}); no charge lands on a session in a pause",
                [{"field": "status", "message": "the enrollment is paused"}],
            )
        if session.starts_at > (enrollment.last_session_at or ""):
            extra["last_session_at"] = session.starts_at
        plan = lots.charge(enrollment, at, kind=change.ledger_kind, note=change.ledger_note)
    else:
        taken_from = change.before.lot_id if change.before is not None else None
        plan = lots.give_back(enrollment, taken_from, at, kind=change.ledger_kind, note=change.ledger_note)
    if mark is not None:
        mark = replace(mark, lot_id=plan.lot_charged(change.ledger_kind) if change.delta < 0 else None)
    _put_mark(uow, change.before, mark)
    # Only a charge can be refused by the floor; giving a session back never is.
    after, _ = uow.move_balance(
        enrollment, plan, floor=floor, actor=actor, at=at, reference=f"session:{session.session_id}", **extra
    )
    return after


def _put_mark(uow: UnitOfWork, before: records.Mark | None, after: records.Mark | None) -> None:
    if after is not None:
        uow.save(after)
    elif before is not None:
        uow.remove(before)


def retime(uow: UnitOfWork, session: records.Session, marks: list[records.Mark]) -> None:
    """Stage marks rewritten with their session's time and teacher (each over the version
    read), guarded by the session being at the version read."""
    _check_session(uow, session)
    for mark in marks:
        uow.save(mark)


def session_guard(uow: UnitOfWork, session: records.Session) -> None:
    """Stage only the check that the session is still as read (a step that writes marks)."""
    _check_session(uow, session)
