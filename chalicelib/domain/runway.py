"""When a balance runs out at the student's recent pace: pure arithmetic for the low-balance
notice. The pace is the sessions charged over the last `PACE_DAYS` days; with none, there
is no pace to go by and no date is given."""

from datetime import date, datetime, timedelta

PACE_DAYS = 56  # eight weeks
AHEAD_DAYS = 56  # how far past the run-out date booked sessions are counted


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def recent_charges(charged_starts: list[str], now: str) -> int:
    since = _instant(now) - timedelta(days=PACE_DAYS)
    return sum(1 for s in charged_starts if since <= _instant(s) <= _instant(now))


def runs_out_on(balance: int, charged_starts: list[str], now: str) -> date | None:
    """The day the balance is used up at the recent pace (today when nothing is left); None
    without a recent charge to measure the pace by."""
    today = _instant(now).date()
    if balance <= 0:
        return today
    recent = recent_charges(charged_starts, now)
    if not recent:
        return None
    return today + timedelta(days=int(balance * PACE_DAYS / recent))
