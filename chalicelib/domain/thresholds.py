"""Low-balance thresholds and alert levels.

The threshold that applies to an enrollment is its own, else its schedule's, else its
company's, else 2. A balance at or below it is `low`; at or below zero it is `exhausted`,
the second, more urgent crossing. Each crossing is announced once: the enrollment keeps
the level last announced, and is re-armed when the balance rises (above the threshold:
fully; above zero: for `exhausted` again).
"""

from dataclasses import dataclass, replace

from .records import Enrollment

DEFAULT_THRESHOLD = 2
NONE, LOW, EXHAUSTED = 0, 1, 2
LEVEL_NAMES = {LOW: "low_balance", EXHAUSTED: "balance_exhausted"}


def effective_threshold(enrollment: int | None, schedule: int | None, company: int | None) -> int:
    for value in (enrollment, schedule, company):
        if value is not None:
            return int(value)
    return DEFAULT_THRESHOLD


def level_of(balance: int, threshold: int) -> int:
    if balance <= 0:
        return EXHAUSTED
    if balance <= threshold:
        return LOW
    return NONE


@dataclass(frozen=True)
class AlertState:
    announced: int  # the level already announced, after re-arming
    needs_alert: bool  # a crossing not yet announced


def alert_state(balance: int, threshold: int, announced: int, active: bool) -> AlertState:
    level = level_of(balance, threshold)
    announced = min(announced, level)  # a balance that rose re-arms what it rose above
    return AlertState(announced=announced, needs_alert=active and level > announced)


def rearmed(enrollment: Enrollment) -> Enrollment:
    """The enrollment with its announced level lowered to what its balance now is: a balance
    that rose above its threshold (or above zero) can cross it again."""
    state = alert_state(enrollment.balance, enrollment.threshold, enrollment.alert_level, enrollment.status == "active")
    return replace(enrollment, alert_level=state.announced)
