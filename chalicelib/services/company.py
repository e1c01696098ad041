"""Company settings: name, time zone, the default low-balance threshold and report settings."""

from dataclasses import replace
from typing import Mapping, TypedDict

from .. import clock, ids
from ..domain import records
from ..errors import Forbidden, NotFound, VersionMismatch
from ..store import enrollments as enrollment_store
from ..store import people as store
from ..store import unit_of_work as uow_
from ..store.unit_of_work import UnitOfWork
from .context import ADMIN, Actor

DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOW_BALANCE_THRESHOLD = 2
COMPANY_SCOPE = "COMPANY"
REPORT_SETTINGS = (
    "min_marks",
    "decline_points",
    "no_show_streak",
    "rate_below",
    "teacher_cancellation_threshold",
    "teacher_min_sessions",
)


class ReportSettings(TypedDict):
    """The company's report thresholds (None: the default of chalicelib/domain/reports.py)."""

    min_marks: int | None
    decline_points: int | None
    no_show_streak: int | None
    rate_below: int | None
    teacher_cancellation_threshold: int | None
    teacher_min_sessions: int | None


def _report_settings(given: Mapping[str, int | None]) -> ReportSettings:
    """Each of REPORT_SETTINGS as given (None where not)."""
    return ReportSettings(
        min_marks=given.get("min_marks"),
        decline_points=given.get("decline_points"),
        no_show_streak=given.get("no_show_streak"),
        rate_below=given.get("rate_below"),
        teacher_cancellation_threshold=given.get("teacher_cancellation_threshold"),
        teacher_min_sessions=given.get("teacher_min_sessions"),
    )


class PackageSettings(TypedDict):
    """A new package's validity when a top-up names none, and how many days ahead a lapse is announced."""

    lot_valid_days: int | None
    lot_warning_days: int | None


def _package_settings(given: Mapping[str, int | None]) -> PackageSettings:
    return PackageSettings(lot_valid_days=given.get("lot_valid_days"), lot_warning_days=given.get("lot_warning_days"))


def get_company(actor: Actor) -> records.Company:
    """The company's settings (404 for a company nobody set up)."""
    company = store.get_company(actor.company_id)
    if company is None:
        raise NotFound("company", actor.company_id)
    return company


def is_set_up(cid: str) -> bool:
    return store.get_company(cid) is not None


def settings_of(actor: Actor) -> records.Company:
    """The company's settings, or the defaults where it has none yet (reports, jobs)."""
    return store.get_company(actor.company_id) or records.Company(
        company_id=actor.company_id,
        name="",
        timezone=DEFAULT_TIMEZONE,
        low_balance_threshold=DEFAULT_LOW_BALANCE_THRESHOLD,
        created_at="",
        updated_at="",
    )


def put_company(
    actor: Actor,
    *,
    name: str,
    timezone: str,
    low_balance_threshold: int,
    if_match: int | None = None,
    admin_name: str | None = None,
    admin_email: str | None = None,
    setup_name: str | None = None,
    setup_email: str | None = None,
    **report_settings: int | None,
) -> records.Company:
    """Save the company's settings. A login with no record (`actor.role` None) may only set a
    company up: one with no settings yet, and it becomes the company's first admin, in the
    same transaction (put-if-absent, so of two racing first callers one wins, the other gets
    403)."""
    cid = actor.company_id
    if actor.role is None:
        return _set_up(
            actor,
            name=name,
            timezone=timezone,
            low_balance_threshold=low_balance_threshold,
            admin_name=admin_name or setup_name or "Administrator",
            admin_email=admin_email or setup_email or "",
            **report_settings,
        )

    def step(uow: UnitOfWork) -> records.Company:
        now = clock.now_iso()
        current = store.get_company(cid)
        if if_match is not None and (current.version if current else 0) != if_match:
            raise VersionMismatch(
                f"the company settings are at version {current.version if current else 0}, not {if_match}"
            )
        before = current.low_balance_threshold if current else DEFAULT_LOW_BALANCE_THRESHOLD
        base = current or _new_company(cid, name=name, timezone=timezone, threshold=low_balance_threshold, now=now)
        company = replace(
            base,
            name=name,
            timezone=timezone,
            low_balance_threshold=low_balance_threshold,
            updated_at=now,
            **_report_settings(report_settings),
            **_package_settings(report_settings),
        )
        stored = store.save_company(uow, company)  # over the version read
        if low_balance_threshold != before:
            enrollment_store.record_threshold_change(uow, cid, COMPANY_SCOPE)
        return stored

    return uow_.run(step, company_id=cid)


def _new_company(cid: str, *, name: str, timezone: str, threshold: int, now: str) -> records.Company:
    return records.Company(
        company_id=cid,
        name=name,
        timezone=timezone,
        low_balance_threshold=threshold,
        created_at=now,
        updated_at=now,
    )


def _already_set_up() -> Forbidden:
    return Forbidden("this company is set up already; ask its admin for access")


def _set_up(
    actor: Actor,
    *,
    name: str,
    timezone: str,
    low_balance_threshold: int,
    admin_name: str,
    admin_email: str,
    **report_settings: int | None,
) -> records.Company:
    cid = actor.company_id

    def step(uow: UnitOfWork) -> records.Company:
        if store.get_company(cid) is not None or store.get_user_ref(cid, actor.subject) is not None:
            raise _already_set_up()
        now = clock.now_iso()
        company = replace(
            _new_company(cid, name=name, timezone=timezone, threshold=low_balance_threshold, now=now),
            **_report_settings(report_settings),
            **_package_settings(report_settings),
        )
        stored = uow.create(company, refusal=_already_set_up)
        admin = records.StaffMember(
            company_id=cid,
            staff_id=ids.new_id(),
            name=admin_name,
            email=admin_email,
            role=ADMIN,
            user_id=actor.subject,
            created_at=now,
        )
        store.add_person(uow, admin, "staff", user_id_taken=_already_set_up)
        return stored

    return uow_.run(step, company_id=cid)
