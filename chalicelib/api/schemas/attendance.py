"""Attendance: marks, bulk marks, the roster, held no-shows and a session's cancellation."""

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..fields import Id, Instant, Note
from .common import Count, In, Out
from .sessions import SessionOut

Status = Literal["attended", "cancelled", "no_show"]


class MarkIn(In):
    status: Status
    note: Note | None = None
    cancelled_at: Instant | None = None
    charge: bool | None = None
    # Checked even when left out, so a missing reason is named as the field it is.
    reason: Note | None = Field(None, validate_default=True)

    @field_validator("reason")
    @classmethod
    def _reason_of_override(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("charge") is not None:
            raise ValueError("a charge override needs a reason")
        return value

    @model_validator(mode="after")
    def _override(self):
        if self.cancelled_at is not None and self.status != "cancelled":
            raise ValueError("cancelled_at only goes with status cancelled")
        return self


class BulkRecordIn(MarkIn):
    student_id: Id


class BulkIn(In):
    records: list[BulkRecordIn] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self):
        seen = [r.student_id for r in self.records]
        if len(set(seen)) != len(seen):
            raise ValueError("each student may appear once")
        return self


# A student's mark on a session, or its absence (`unmarked`): presented by api/attendance.py.
class MarkOut(Out):
    session_id: str
    student_id: str
    enrollment_id: str
    status: str
    charged: bool
    held: bool
    late: bool
    balance: int
    version: int
    recorded_by: str | None
    recorded_at: str | None
    note: str | None
    cancelled_at: str | None
    cancelled_by: str | None
    charge_override: bool | None
    override_reason: str | None


# From the attributes of the business exception that kept a mark from being recorded.
class BulkError(Out):
    code: str
    message: str


class BulkOutcomeOut(Out):
    student_id: str
    ok: bool
    mark: MarkOut | None
    error: BulkError | None


class BulkOut(Out):
    session_id: str
    items: list[BulkOutcomeOut]


class RosterEntryOut(Out):
    student_id: str
    student_name: str
    enrollment_id: str
    enrollment_status: str
    balance: int | None = Field(
        description="sessions left; null for a student no longer enrolled, listed "
        "for their mark (their enrollment has it)"
    )
    threshold: int | None = Field(
        None, description="the low-balance threshold that applies to the enrollment; null when not enrolled"
    )
    status: str
    charged: bool
    held: bool
    version: int


class RosterOut(Out):
    session: SessionOut
    items: list[RosterEntryOut]


# A held mark, with its enrollment's id laid over it by its view (api/attendance.py).
class HeldOut(Out):
    session_id: str
    schedule_id: str
    schedule_name: str
    student_id: str
    student_name: str
    enrollment_id: str
    starts_at: str
    timezone: str = Field(description="the schedule's time zone")
    teacher_id: str
    version: Count
    recorded_at: str


class CancellationOut(Out):
    session: SessionOut
    marks: list[MarkOut]
