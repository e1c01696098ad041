"""The charge policy: does this attendance mark cost the student a session?

- attended: always one session.
- cancelled by the student: `credit` (free) or `deduct`; a cancellation less than
  `late_cancel_hours` before the start is charged even under `credit` (a late cancellation).
- no_show: `deduct`, or `hold` (no charge now; the mark is held for staff to settle).
- cancelled by the school: never charged.
- a staff override (`charge` true/false, with a reason) decides instead of the policy.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

ATTENDED, CANCELLED, NO_SHOW = "attended", "cancelled", "no_show"
STATUSES = (ATTENDED, CANCELLED, NO_SHOW)
BY_STUDENT, BY_SCHOOL = "student", "school"


@dataclass(frozen=True)
class PolicyRules:
    cancelled: str  # "credit" | "deduct"
    no_show: str  # "deduct" | "hold"
    late_cancel_hours: int | None
    overdraft: int

    @property
    def floor(self) -> int:
        """The lowest balance an attendance charge may leave."""
        return -self.overdraft


@dataclass(frozen=True)
class Decision:
    charged: bool
    held: bool
    late: bool


def is_late(starts_at: datetime, cancelled_at: datetime, late_cancel_hours: int | None) -> bool:
    if late_cancel_hours is None:
        return False
    return cancelled_at > starts_at - timedelta(hours=late_cancel_hours)


def decide(status: str, rules: PolicyRules, *, starts_at: datetime, cancelled_at: datetime | None = None,
           cancelled_by: str = BY_STUDENT, override: bool | None = None) -> Decision:
    late = False
    if status == ATTENDED:
        charged, held = True, False
    elif status == CANCELLED:
        if cancelled_by == BY_SCHOOL:
            return Decision(charged=False, held=False, late=False)
        late = is_late(starts_at, cancelled_at or starts_at, rules.late_cancel_hours)
        charged, held = rules.cancelled == "deduct" or late, False
    elif status == NO_SHOW:
        charged, held = (True, False) if rules.no_show == "deduct" else (False, True)
    else:
        raise ValueError(f"unknown status {status!r}")
    if override is not None:
        charged, held = override, False
    return Decision(charged=charged, held=held, late=late)


def charge_delta(charged_before: bool, charged_after: bool) -> int:
    """How the balance moves when a mark goes from one charge to another: -1, 0 or +1."""
    return int(charged_before) - int(charged_after)
