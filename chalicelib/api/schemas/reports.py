"""Reports: a row model per report, and the report around its rows.

A report's model validates from the attributes of the use case's `services.reports.Report`:
its range (`first`, `last`), `as_of`, `counted_through` and `rows`. The report classes keep
the names the contract's components were published under (`StudentReportReport`, ...).
"""

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from ..fields import Day
from .common import Model, Out, Query


class ReportQuery(Query):
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None
    format: Literal["json", "csv"] = "json"


class StudentReportRow(Model):
    student_id: str
    student_name: str
    marked: int
    attended: int
    cancelled_by_student: int
    cancelled_by_school: int
    no_show: int
    attendance_rate: float | None
    marks_last_28_days: int
    rate_last_28_days: float | None
    rate_previous_28_days: float | None
    no_show_streak: int
    at_risk: bool
    reasons: list[Literal["declining", "no_show_streak", "low_rate"]]


class TeacherReportRow(Model):
    teacher_id: str
    teacher_name: str | None
    sessions_scheduled: int
    sessions_held: int
    cancelled_by_school: int
    student_cancellations: int
    no_shows: int
    marks: int
    cancellation_rate: float | None
    student_cancellation_share: float | None
    no_show_share: float | None
    flagged: bool


class ScheduleReportRow(Model):
    schedule_id: str
    schedule_name: str
    kind: str
    sessions_scheduled: int
    sessions_held: int
    cancelled_by_school: int
    seats_offered: int | None
    seats_used: int | None
    seat_utilization: float | None
    held_ratio: float | None
    attended: int
    no_show: int
    sessions_used: int
    sessions_sold: int
    used_to_sold: float | None
    sessions_forfeited: int = Field(description="sessions of packages that expired unused")
    used_or_forfeited_to_sold: float | None = Field(description="(sessions used + forfeited) / sessions sold")


class OverviewRow(Model):
    schedules: int
    sessions_scheduled: int
    sessions_held: int
    cancelled_by_school: int
    attended: int
    no_show: int
    group_seats_offered: int
    group_seats_used: int
    group_seat_utilization: float | None
    one_to_one_scheduled: int
    one_to_one_held: int
    one_to_one_held_ratio: float | None
    sessions_used: int
    sessions_sold: int
    used_to_sold: float | None
    sessions_forfeited: int = Field(description="sessions of packages that expired unused")
    used_or_forfeited_to_sold: float | None = Field(description="(sessions used + forfeited) / sessions sold")


# What every report has; each report's class narrows `items` to its rows (a field declared
# again keeps its place, so `next` stays last).
class ReportOut(Out):
    from_: str = Field(validation_alias="first", serialization_alias="from")
    to: str = Field(validation_alias="last")
    as_of: str
    counted_through: str | None = Field(
        None,
        description="The newest change the counters include (they follow the table's stream, "
        "usually within a second); null before anything was counted",
    )
    items: Sequence[Model] = Field(validation_alias="rows")
    next: str | None = None


class StudentReportReport(ReportOut):
    items: list[StudentReportRow] = Field(validation_alias="rows")


class TeacherReportReport(ReportOut):
    items: list[TeacherReportRow] = Field(validation_alias="rows")


class ScheduleReportReport(ReportOut):
    items: list[ScheduleReportRow] = Field(validation_alias="rows")


class OverviewReport(ReportOut):
    items: list[OverviewRow] = Field(validation_alias="rows")
