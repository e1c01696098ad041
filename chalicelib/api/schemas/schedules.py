"""Schedules: group classes and 1:1 series, their recurrence and charge policy."""

from typing import Any, Literal

from pydantic import Field, model_validator

from ..fields import Day, Id, LocalTime, Name, Threshold, TimeZone, ValidDays
from .common import Count, In, Out, PatchIn

Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class RecurrenceIn(In):
    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    start_time: LocalTime
    duration_minutes: int = Field(ge=5, le=1440)
    start_date: Day
    end_date: Day | None = None

    @model_validator(mode="after")
    def _check(self):
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays must not repeat")
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self

    def stored(self) -> dict[str, Any]:
        return {
            "weekdays": list(self.weekdays),
            "start_time": self.start_time,
            "duration_minutes": self.duration_minutes,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat() if self.end_date else None,
        }


class PolicyIn(In):
    cancelled: Literal["credit", "deduct"] = "credit"
    no_show: Literal["deduct", "hold"] = "deduct"
    late_cancel_hours: int | None = Field(None, ge=0, le=720)
    overdraft: int = Field(0, ge=0, le=100)


class PolicyPatch(PatchIn):
    nullable = frozenset({"late_cancel_hours"})
    cancelled: Literal["credit", "deduct"] | None = None
    no_show: Literal["deduct", "hold"] | None = None
    late_cancel_hours: int | None = Field(None, ge=0, le=720)
    overdraft: int | None = Field(None, ge=0, le=100)


class ScheduleIn(In):
    name: Name
    kind: Literal["group", "one_to_one"]
    teacher_id: Id
    capacity: int | None = Field(None, ge=1, le=1000)
    timezone: TimeZone | None = None
    recurrence: RecurrenceIn | None = None
    policy: PolicyIn | None = None
    low_balance_threshold: Threshold | None = None
    lot_valid_days: ValidDays | None = Field(None, description="a new package's validity here when none is given")

    @model_validator(mode="after")
    def _capacity(self):
        if self.kind == "group" and self.capacity is None:
            raise ValueError("capacity is required for a group schedule")
        if self.kind == "one_to_one" and (self.capacity or 1) > 1 and self.recurrence is not None:
            raise ValueError(
                "a recurring one_to_one series holds one student (capacity 1); only a booked "
                "one_to_one schedule, without a recurrence, may hold more"
            )
        return self


class SchedulePatch(PatchIn):
    nullable = frozenset({"recurrence", "low_balance_threshold", "lot_valid_days"})
    name: Name | None = None
    teacher_id: Id | None = None
    capacity: int | None = Field(None, ge=1, le=1000)
    timezone: TimeZone | None = None
    recurrence: RecurrenceIn | None = None
    policy: PolicyPatch | None = None
    low_balance_threshold: Threshold | None = None
    lot_valid_days: ValidDays | None = None

    def changes(self) -> dict[str, Any]:
        out = super().changes()
        if "recurrence" in out and self.recurrence is not None:
            out["recurrence"] = self.recurrence.stored()
        if "policy" in out and self.policy is not None:  # never null: PatchIn refuses it
            out["policy"] = self.policy.changes()
        return out


class RecurrenceOut(Out):
    weekdays: list[str]
    start_time: str
    duration_minutes: int
    start_date: str
    end_date: str | None


class PolicyOut(Out):
    cancelled: str
    no_show: str
    late_cancel_hours: int | None
    overdraft: int


class ScheduleOut(Out):
    id: str = Field(validation_alias="schedule_id")
    name: str
    kind: str
    teacher_id: str
    teacher_name: str | None
    capacity: int | None
    timezone: str
    recurrence: RecurrenceOut | None
    policy: PolicyOut
    low_balance_threshold: int | None
    lot_valid_days: int | None
    version: Count
    created_at: str
    updated_at: str
