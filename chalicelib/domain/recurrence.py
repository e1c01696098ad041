"""Weekly recurrence in a schedule's own time zone.

A session recurs at the same local wall-clock time, so its UTC instant moves when the
time zone changes between summer and winter time. A local time that does not exist on a
spring-forward day (02:30 in Europe/Berlin on the last Sunday of March) is taken with
the offset before the change, which lands one hour later on the wall clock, as most
calendars do.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
HORIZON_DAYS = 56  # sessions are made at least 8 weeks ahead
HISTORY_DAYS = 366  # a schedule that starts in the past gets at most a year of past sessions


@dataclass(frozen=True)
class Occurrence:
    local_date: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC

    @property
    def key(self) -> str:
        """Stable per schedule and local date: the same occurrence is never made twice."""
        return "R" + self.local_date.strftime("%Y%m%d")


def local_instant(day: date, at: str, tz: str) -> datetime:
    hour, minute = (int(p) for p in at.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz))
    # Round-trip through UTC so a non-existent local time resolves to a real instant.
    return local.astimezone(timezone.utc)


def occurrences(
    weekdays: list[str],
    start_time: str,
    duration_minutes: int,
    start_date: date,
    end_date: date | None,
    tz: str,
    window_start: date,
    window_end: date,
) -> list[Occurrence]:
    """Every occurrence with local date in [window_start, window_end], inside the recurrence's dates."""
    first = max(start_date, window_start)
    last = min(end_date, window_end) if end_date else window_end
    wanted = {WEEKDAYS.index(d) for d in weekdays}
    out, day = [], first
    while day <= last:
        if day.weekday() in wanted:
            starts = local_instant(day, start_time, tz)
            out.append(Occurrence(day, starts, starts + timedelta(minutes=duration_minutes)))
        day += timedelta(days=1)
    return out


def generation_window(today: date, start_date: date, end_date: date | None) -> tuple[date, date] | None:
    """The local dates to make sessions for: from the start (at most a year back) to 8 weeks ahead."""
    first = max(start_date, today - timedelta(days=HISTORY_DAYS))
    last = today + timedelta(days=HORIZON_DAYS)
    if end_date is not None:
        last = min(last, end_date)
    return (first, last) if first <= last else None
