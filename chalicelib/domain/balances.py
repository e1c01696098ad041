"""What moves a balance, as pure rules: the ledger's arithmetic, the charge policy, and the
transitions of an attendance mark.

- A balance is the sum of its ledger. Every change appends an entry with the balance after
  it; nothing is edited in place. The floor is the lowest balance allowed: 0 for top-ups and
  adjustments, `-overdraft` for attendance charges.
- The policy decides whether a mark costs a session: attended always; a student's
  cancellation under `credit` only when late (`late_cancel_hours`), under `deduct` always;
  a no-show under `deduct`, or `hold` (no charge now, held for staff to settle); the school
  cancelling never; a staff override (`charge` true/false, with a reason) decides instead.
- A mark's transition takes the current mark, what was asked and the policy, and gives the
  new mark and the balance move (-1, 0 or +1). Marking the same thing twice changes nothing.

No I/O here: `tests/unit/test_balances.py` checks the whole matrix in milliseconds.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..errors import InsufficientBalance, InvalidInput, SessionNotStarted
from .records import Enrollment, Mark, Policy, Schedule, Session

# --- the ledger ------------------------------------------------------------------------------

INITIAL, TOP_UP, ADJUSTMENT, ATTENDANCE, REVERSAL = "initial", "top_up", "adjustment", "attendance", "reversal"
KINDS = (INITIAL, TOP_UP, ADJUSTMENT, ATTENDANCE, REVERSAL)
SOLD = (INITIAL, TOP_UP)  # the kinds that count as sessions sold (when positive)


@dataclass(frozen=True)
class BalanceChange:
    delta: int
    balance_after: int
    seq: int


def plan_change(balance: int, seq: int, delta: int, floor: int = 0) -> BalanceChange:
    """The entry that moves `balance` by `delta`, refused if it would cross the floor.

    Raising the balance is always allowed, even from below the floor (it repays an
    overdraft); lowering it must end at or above the floor.
    """
    if delta == 0:
        raise InvalidInput("a balance change must not be zero", [{"field": "delta", "message": "must not be 0"}])
    after = balance + delta
    if delta < 0 and after < floor:
        raise InsufficientBalance(
            f"the balance is {balance}; a change of {delta} would take it to {after}, below the allowed {floor}",
            [{"field": "delta", "message": f"balance {balance} cannot go below {floor}"}],
        )
    return BalanceChange(delta=delta, balance_after=after, seq=seq + 1)


# --- the charge policy --------------------------------------------------------------------------

ATTENDED, CANCELLED, NO_SHOW = "attended", "cancelled", "no_show"
STATUSES = (ATTENDED, CANCELLED, NO_SHOW)
BY_STUDENT, BY_SCHOOL = "student", "school"


def floor_of(policy: Policy) -> int:
    """The lowest balance an attendance charge may leave."""
    return -int(policy.overdraft or 0)


@dataclass(frozen=True)
class Decision:
    charged: bool
    held: bool
    late: bool


def is_late(starts_at: datetime, cancelled_at: datetime, late_cancel_hours: int | None) -> bool:
    if late_cancel_hours is None:
        return False
    return cancelled_at > starts_at - timedelta(hours=late_cancel_hours)


def decide(
    status: str,
    policy: Policy,
    *,
    starts_at: datetime,
    cancelled_at: datetime | None = None,
    cancelled_by: str = BY_STUDENT,
    override: bool | None = None,
) -> Decision:
    late = False
    if status == ATTENDED:
        charged, held = True, False
    elif status == CANCELLED:
        if cancelled_by == BY_SCHOOL:
            return Decision(charged=False, held=False, late=False)
        late = is_late(starts_at, cancelled_at or starts_at, policy.late_cancel_hours)
        charged, held = policy.cancelled == "deduct" or late, False
    elif status == NO_SHOW:
        charged, held = (True, False) if policy.no_show == "deduct" else (False, True)
    else:
        raise ValueError(f"unknown status {status!r}")
    if override is not None:
        charged, held = override, False
    return Decision(charged=charged, held=held, late=late)


def charge_delta(charged_before: bool, charged_after: bool) -> int:
    """How the balance moves when a mark goes from one charge to another: -1, 0 or +1."""
    return int(charged_before) - int(charged_after)


# --- the mark's transitions --------------------------------------------------------------------


@dataclass(frozen=True)
class MarkRequest:
    """What a caller asks for one student on one session."""

    status: str
    note: str | None = None
    cancelled_at: str | None = None  # ISO instant; a cancellation without one is "now"
    charge: bool | None = None  # a staff override of the policy's charge
    reason: str | None = None  # the override's reason
    cancelled_by: str = BY_STUDENT


@dataclass(frozen=True)
class Transition:
    """A mark's change: the mark after it (None: cleared) and the balance move it implies."""

    before: Mark | None
    after: Mark | None
    delta: int  # -1 charges a session, +1 gives one back, 0 leaves the balance
    ledger_kind: str | None  # ATTENDANCE or REVERSAL when delta != 0
    ledger_note: str | None

    @property
    def changed(self) -> bool:
        return not _same(self.before, self.after)


_COMPARED = (
    "status",
    "charged",
    "held",
    "late",
    "cancelled_at",
    "cancelled_by",
    "charge_override",
    "override_reason",
    "note",
)


def _same(a: Mark | None, b: Mark | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(getattr(a, f) == getattr(b, f) for f in _COMPARED)


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _note(status: str, decision: Decision, override: bool | None, reason: str | None) -> str:
    if override is not None:
        return f"staff {'charged' if override else 'waived'}: {reason}"
    if status == CANCELLED and decision.late:
        return "late cancellation"
    return status


def _transition(before: Mark | None, after: Mark | None, note: str | None) -> Transition:
    delta = charge_delta(bool(before and before.charged), bool(after and after.charged))
    kind = None if delta == 0 else (ATTENDANCE if delta < 0 else REVERSAL)
    return Transition(before=before, after=after, delta=delta, ledger_kind=kind, ledger_note=note if delta else None)


EARLY_MARK = timedelta(minutes=15)  # attendance may be taken this long before the start
CLOCK_SKEW = timedelta(minutes=5)  # a cancellation time this far ahead of our clock is still "now"


def check_timing(request: MarkRequest, *, session: Session, enrollment: Enrollment, now: str) -> None:
    """When a mark may be asked for: attended and no-show once the session has started (15
    minutes early at most: a teacher takes the register as the class comes in); a
    cancellation at any time, but the time given for it must lie between the enrollment's
    start and now."""
    moment = _instant(now)
    if request.status in (ATTENDED, NO_SHOW) and moment < _instant(session.starts_at) - EARLY_MARK:
        raise SessionNotStarted(
            f"the session starts at {session.starts_at}; {request.status} is recorded once it has started",
            [{"field": "status", "message": "session not started"}],
        )
    if request.cancelled_at is not None:
        at = _instant(request.cancelled_at)
        if at < _instant(enrollment.created_at) or at > moment + CLOCK_SKEW:
            raise InvalidInput(
                "cancelled_at must lie between the enrollment's start and now",
                [{"field": "cancelled_at", "message": "before the enrollment or in the future"}],
            )


def check_move(marks: list[Mark], after: Session, *, now: str) -> None:
    """A session with attended or no-show marks cannot move to a time that has not come:
    those marks say the class took place."""
    if _instant(now) >= _instant(after.starts_at) - EARLY_MARK:
        return
    taken = sum(1 for mark in marks if mark.status in (ATTENDED, NO_SHOW))
    if taken:
        raise SessionNotStarted(
            f"{taken} student(s) are marked attended or no-show; the session cannot "
            f"move to {after.starts_at}, which has not come",
            [{"field": "starts_at", "message": "in the future for a session already taken"}],
        )


def record_mark(
    current: Mark | None,
    request: MarkRequest,
    *,
    schedule: Schedule,
    session: Session,
    enrollment: Enrollment,
    recorded_by: str,
    now: str,
) -> Transition:
    """The mark after `request`, and what it costs.

    Asking for the status a mark already has keeps its override, its cancellation time and
    its note unless the request gives new ones; an override applies to its own status only.
    A cancellation is late or not by the time it was made (`cancelled_at`, else `now`).
    """
    same = current if current is not None and current.status == request.status else None  # already of that status
    override: bool | None
    if request.charge is not None:
        override, override_reason = request.charge, request.reason
    elif same is not None:
        override, override_reason = same.charge_override, same.override_reason
    else:
        override, override_reason = None, None
    cancelled_at = None
    if request.status == CANCELLED:
        cancelled_at = (
            request.cancelled_at or (same.cancelled_at if same is not None and same.cancelled_at else None) or now
        )
    decision = decide(
        request.status,
        schedule.policy,
        starts_at=_instant(session.starts_at),
        cancelled_at=_instant(cancelled_at) if cancelled_at else None,
        cancelled_by=request.cancelled_by,
        override=override,
    )
    note = request.note if request.note is not None else (current.note if current is not None else None)
    after = Mark(
        company_id=session.company_id,
        schedule_id=session.schedule_id,
        schedule_name=schedule.name,
        session_key=session.session_key,
        student_id=enrollment.student_id,
        student_name=enrollment.student_name,
        kind=session.kind,
        teacher_id=session.teacher_id,
        teacher_name=session.teacher_name,
        starts_at=session.starts_at,
        timezone=session.timezone,
        status=request.status,
        charged=decision.charged,
        held=decision.held,
        late=decision.late,
        cancelled_at=cancelled_at,
        cancelled_by=request.cancelled_by if request.status == CANCELLED else None,
        charge_override=override,
        override_reason=override_reason,
        note=note,
        recorded_by=recorded_by,
        recorded_at=now,
        version=current.version if current is not None else 0,
    )
    if _same(current, after):
        return Transition(before=current, after=current, delta=0, ledger_kind=None, ledger_note=None)
    return _transition(current, after, _note(request.status, decision, override, override_reason))


def clear_mark(current: Mark) -> Transition:
    """The mark removed; a charge it took is given back."""
    return _transition(current, None, "mark cleared")


def school_cancel_mark(
    current: Mark | None, *, schedule: Schedule, session: Session, enrollment: Enrollment, recorded_by: str, now: str
) -> Transition:
    """The student's mark once the school cancelled the session: cancelled by the school,
    never charged (a charge already taken is given back). Already so: no change."""
    if current is not None and current.cancelled_by == BY_SCHOOL:
        return Transition(before=current, after=current, delta=0, ledger_kind=None, ledger_note=None)
    cancelled = record_mark(
        None,
        MarkRequest(status=CANCELLED, cancelled_by=BY_SCHOOL, cancelled_at=session.cancelled_at or now),
        schedule=schedule,
        session=session,
        enrollment=enrollment,
        recorded_by=recorded_by,
        now=now,
    ).after
    assert cancelled is not None  # recorded over no mark: always a mark, never a clearing
    after = replace(
        cancelled,
        note=session.cancel_reason,
        version=current.version if current is not None else 0,
    )
    return _transition(current, after, "session cancelled by the school")


def retimed_mark(mark: Mark, session: Session) -> Mark | None:
    """The mark as it must read once its session moved or changed teacher; None if it does."""
    if (mark.starts_at, mark.teacher_id, mark.teacher_name) == (
        session.starts_at,
        session.teacher_id,
        session.teacher_name,
    ):
        return None
    return replace(mark, starts_at=session.starts_at, teacher_id=session.teacher_id, teacher_name=session.teacher_name)
