"""Company settings: name, time zone, the default low-balance threshold and report settings."""
from dataclasses import replace

from .. import clock
from ..domain import records
from ..errors import VersionMismatch
from ..store import enrollments as enrollment_store
from ..store import people as store
from ..store import unit_of_work as uow_
from ..store.unit_of_work import UnitOfWork
from .context import Actor

DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOW_BALANCE_THRESHOLD = 2
COMPANY_SCOPE = "COMPANY"
REPORT_SETTINGS = ("min_marks", "decline_points", "no_show_streak", "rate_below", "teacher_cancellation_threshold",
                   "teacher_min_sessions")


def get_company(actor: Actor) -> records.Company:
    """The company's settings; a company that never saved any has the defaults."""
    company = store.get_company(actor.company_id)
    if company is None:
        company = records.Company(company_id=actor.company_id, name="", timezone=DEFAULT_TIMEZONE,
                                  low_balance_threshold=DEFAULT_LOW_BALANCE_THRESHOLD, created_at="", updated_at="")
    return company


def put_company(actor: Actor, *, name: str, timezone: str, low_balance_threshold: int,
                if_match: int | None = None, **report_settings: int | None) -> records.Company:
    cid = actor.company_id

    def step(uow: UnitOfWork) -> records.Company:
        now = clock.now_iso()
        current = store.get_company(cid)
        if if_match is not None and (current.version if current else 0) != if_match:
            raise VersionMismatch(f"the company settings are at version {current.version if current else 0}, "
                                  f"not {if_match}")
        before = current.low_balance_threshold if current else DEFAULT_LOW_BALANCE_THRESHOLD
        base = current or records.Company(company_id=cid, name=name, timezone=timezone,
                                          low_balance_threshold=low_balance_threshold, created_at=now,
                                          updated_at=now)
        company = replace(base, name=name, timezone=timezone, low_balance_threshold=low_balance_threshold,
                          updated_at=now, **{k: report_settings.get(k) for k in REPORT_SETTINGS})
        stored = store.save_company(uow, company)  # over the version read
        if low_balance_threshold != before:
            enrollment_store.record_threshold_change(uow, cid, COMPANY_SCOPE)
        return stored

    return uow_.run(step, company_id=cid)
