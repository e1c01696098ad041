"""Report arithmetic over daily counters: attendance rates, students at risk, teachers
who cancel too often, utilization. Pure: the counters come in, the rows go out.

Definitions (PRODUCT.md, Reporting):
- attendance rate = attended / (attended + no_show + cancelled by the student);
- a student is at risk, with at least `min_marks` such marks in the last 28 days, when the
  rate of the last 28 days is `decline_points` or more below the 28 days before; or
  their latest marks are `no_show_streak` or more no-shows in a row; or the rate of the
  last 28 days is under `rate_below` percent;
- a teacher's cancellation rate = sessions the school cancelled / sessions scheduled,
  flagged above `teacher_cancellation_threshold` percent with at least `teacher_min_sessions`;
- held sessions are the scheduled ones not cancelled, on days up to the report's "as of" day;
- group utilization = seats used (attended) / seats offered (capacity x sessions held);
  1:1 utilization = held / scheduled; sessions used (charged) / sessions sold.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

WINDOW_DAYS = 28


@dataclass(frozen=True)
class Settings:
    min_marks: int = 4
    decline_points: int = 20
    no_show_streak: int = 2
    rate_below: int = 60
    teacher_cancellation_threshold: int = 15
    teacher_min_sessions: int = 5


@dataclass
class Tally:
    sessions: int = 0
    cancelled: int = 0
    held: int = 0
    seats_offered: int = 0
    attended: int = 0
    no_show: int = 0
    cancelled_student: int = 0
    cancelled_school: int = 0
    charged: int = 0
    sold: int = 0
    forfeited: int = 0

    def add(self, row: dict, held_day: bool) -> None:
        for name in (
            "sessions",
            "cancelled",
            "attended",
            "no_show",
            "cancelled_student",
            "cancelled_school",
            "charged",
            "sold",
            "forfeited",
        ):
            setattr(self, name, getattr(self, name) + int(row.get(name, 0)))
        if held_day:
            self.held += int(row.get("sessions", 0)) - int(row.get("cancelled", 0))
            self.seats_offered += int(row.get("seats", 0))

    @property
    def rated(self) -> int:
        """Marks that count towards the attendance rate."""
        return self.attended + self.no_show + self.cancelled_student

    @property
    def marks(self) -> int:
        return self.rated + self.cancelled_school


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def tally(rows: Iterable[dict], first: str, last: str, as_of: str) -> dict[str, Tally]:
    """Per entity, the counters of days in [first, last]; held counts days up to `as_of`."""
    out: dict[str, Tally] = {}
    for row in rows:
        if first <= row["day"] <= last:
            out.setdefault(row["entity"], Tally()).add(row, held_day=row["day"] <= as_of)
    return out


def windows(to: date) -> tuple[tuple[str, str], tuple[str, str]]:
    """(last 28 days up to `to`, the 28 days before them) as inclusive ISO day ranges."""
    last = (to - timedelta(days=WINDOW_DAYS - 1), to)
    previous = (to - timedelta(days=2 * WINDOW_DAYS - 1), to - timedelta(days=WINDOW_DAYS))
    return (last[0].isoformat(), last[1].isoformat()), (previous[0].isoformat(), previous[1].isoformat())


@dataclass
class AtRisk:
    reasons: list[str] = field(default_factory=list)
    rate_last_28: float | None = None
    rate_previous_28: float | None = None
    marks_last_28: int = 0


def at_risk(last: Tally | None, previous: Tally | None, no_show_streak: int, settings: Settings) -> AtRisk:
    last, previous = last or Tally(), previous or Tally()
    out = AtRisk(
        rate_last_28=ratio(last.attended, last.rated),
        rate_previous_28=ratio(previous.attended, previous.rated),
        marks_last_28=last.rated,
    )
    if last.rated < settings.min_marks:
        return out
    rate_last = out.rate_last_28
    assert rate_last is not None  # min_marks is at least 1 (api/schemas, the default 4): some marks are rated
    if out.rate_previous_28 is not None and (out.rate_previous_28 - rate_last) * 100 >= settings.decline_points - 1e-9:
        out.reasons.append("declining")
    if no_show_streak >= settings.no_show_streak:
        out.reasons.append("no_show_streak")
    if rate_last * 100 < settings.rate_below:
        out.reasons.append("low_rate")
    return out


def no_show_streak(latest_first: Iterable[tuple[str, str | None]]) -> int:
    """Consecutive no-shows among a student's latest marks (newest first); school
    cancellations are skipped, anything else ends the run."""
    streak = 0
    for status, cancelled_by in latest_first:
        if status == "cancelled" and cancelled_by == "school":
            continue
        if status != "no_show":
            break
        streak += 1
    return streak


def teacher_flag(t: Tally, settings: Settings) -> tuple[float | None, bool]:
    rate = ratio(t.cancelled, t.sessions)
    flagged = (
        t.sessions >= settings.teacher_min_sessions
        and rate is not None
        and rate * 100 > settings.teacher_cancellation_threshold
    )
    return rate, flagged
