"""Company settings: name, time zone and the default low-balance threshold."""
from .. import clock
from ..errors import VersionMismatch
from ..store import enrollments as enrollment_store
from ..store import people as store
from ..store.models import Company
from .context import Actor

DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOW_BALANCE_THRESHOLD = 2
COMPANY_SCOPE = "COMPANY"


def get_company(actor: Actor) -> Company:
    """The company's settings; a company that never saved any has the defaults."""
    company = store.get_company(actor.company_id)
    if company is None:
        company = store.new_company(
            actor.company_id, name="", timezone=DEFAULT_TIMEZONE,
            low_balance_threshold=DEFAULT_LOW_BALANCE_THRESHOLD, created_at="", updated_at="",
        )
    return company


REPORT_SETTINGS = ("min_marks", "decline_points", "no_show_streak", "rate_below", "teacher_cancellation_threshold",
                   "teacher_min_sessions")


def put_company(actor: Actor, *, name: str, timezone: str, low_balance_threshold: int,
                if_match: int | None = None, **report_settings: int | None) -> Company:
    now = clock.now_iso()
    company = store.get_company(actor.company_id)
    if if_match is not None and (company.version if company else 0) != if_match:
        raise VersionMismatch(f"the company settings are at version {company.version if company else 0}, not {if_match}")
    before = int(company.low_balance_threshold) if company else DEFAULT_LOW_BALANCE_THRESHOLD
    if company is None:
        company = store.new_company(actor.company_id, name=name, timezone=timezone,
                                    low_balance_threshold=low_balance_threshold, created_at=now, updated_at=now)
    else:
        company.name, company.timezone = name, timezone
        company.low_balance_threshold, company.updated_at = low_balance_threshold, now
    for key in REPORT_SETTINGS:
        setattr(company, key, report_settings.get(key))
    store.save_company(company)  # conditional on the version read
    if low_balance_threshold != before:
        enrollment_store.record_threshold_change(actor.company_id, COMPANY_SCOPE)
    return company
