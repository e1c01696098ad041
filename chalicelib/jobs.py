"""The scheduled jobs, by name: thin triggers over services that take `today`."""

from datetime import date, datetime, timezone
from typing import Callable

from . import config
from .observability import flush, log_event
from .services import lots, notifications, sessions
from .store import engine

JOBS: dict[str, Callable[[date], dict]] = {
    "session-horizon": sessions.extend_horizons,
    "lot-expiry": lots.run_expiry,
    "low-balance": notifications.run_low_balance_check,
}


def run(name: str, on: date | None = None) -> dict:
    """Run one job as of `on` (default: today, UTC), with its store work counted in its log line."""
    config.require_deployable()
    engine.ensure_bound()
    metrics = engine.start_metrics()
    today = on or datetime.now(timezone.utc).date()
    result = JOBS[name](today)
    store = {"dynamodb_calls": metrics.calls, "items_read": metrics.items_read, "items_written": metrics.items_written}
    log_event("job_run", job=name, date=today.isoformat(), **store)
    flush()
    return {"job": name, "date": today.isoformat(), "result": {**result, "store": store}}
