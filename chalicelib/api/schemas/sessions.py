"""Sessions: one-off sessions, date ranges, changes and the school's cancellation."""

from pydantic import Field

from ..fields import Day, Id, Instant, Note
from .common import Count, In, ListQuery, Out, PatchIn


class SessionIn(In):
    starts_at: Instant
    ends_at: Instant | None = None
    duration_minutes: int | None = Field(None, ge=5, le=1440)
    teacher_id: Id | None = None
    student_id: Id | None = None


class SessionPatch(PatchIn):
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    teacher_id: Id | None = None


class RangeQuery(ListQuery):
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None


class SessionOut(Out):
    id: str = Field(validation_alias="session_id")
    schedule_id: str
    kind: str
    teacher_id: str
    teacher_name: str | None
    student_id: str | None
    starts_at: str
    ends_at: str
    timezone: str = Field(description="the schedule's time zone (the session's local day and time)")
    status: str
    origin: str
    cancelled_at: str | None
    cancel_reason: str | None
    version: Count


class CancelIn(In):
    reason: Note | None = None
