"""The scheduled jobs, by name: thin triggers over services that take `today`."""
from datetime import date, datetime, timezone
from typing import Callable

from .services import sessions
from .store import engine

JOBS: dict[str, Callable[[date], dict]] = {
    "session-horizon": sessions.extend_horizons,
}


def run(name: str, on: date | None = None) -> dict:
    engine.ensure_bound()
    today = on or datetime.now(timezone.utc).date()
    return {"job": name, "date": today.isoformat(), "result": JOBS[name](today)}
