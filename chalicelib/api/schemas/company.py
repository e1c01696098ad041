"""The company's settings."""

from typing import Annotated

from pydantic import Field

from ..fields import Email, Name, Threshold, TimeZone
from .common import Count, In, Out

Percent = Annotated[int, Field(ge=0, le=100)]


class CompanyIn(In):
    name: Name
    timezone: TimeZone = "UTC"
    low_balance_threshold: Threshold = 2
    min_marks: int | None = Field(None, ge=1, le=100)
    decline_points: Percent | None = None
    no_show_streak: int | None = Field(None, ge=1, le=100)
    rate_below: Percent | None = None
    teacher_cancellation_threshold: Percent | None = None
    teacher_min_sessions: int | None = Field(None, ge=1, le=1000)
    lot_valid_days: int | None = Field(None, ge=1, le=3660, description="a new package's validity when none is given")
    lot_warning_days: int | None = Field(
        None, ge=1, le=30, description="days ahead a package's unused sessions are announced before they lapse (14)"
    )
    # Only when the company is set up (its first PUT): the caller becomes its first admin,
    # under this name and email (else the token's `name` and `email` claims).
    admin_name: Name | None = None
    admin_email: Email | None = None


# A company record, with `report_settings` laid over it by its view (api/company.py).
class CompanyOut(Out):
    id: str = Field(validation_alias="company_id")
    name: str
    timezone: str
    low_balance_threshold: int
    report_settings: dict[str, int]
    lot_valid_days: int | None
    lot_warning_days: int | None
    version: Count
