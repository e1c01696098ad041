"""Attendance boards and the student portal. What a cell or a portal row shows when a
student has no mark is decided beside the views (api/boards.py); the models declare the
shape and where each plain field comes from."""

from typing import Literal

from pydantic import AliasPath, Field

from .enrollments import LotOut
from .common import ListQuery, Out


class BoardCellOut(Out):
    student_id: str
    status: str
    charged: bool
    held: bool


# A session, with its cells laid over it.
class BoardSessionOut(Out):
    session_id: str
    starts_at: str
    ends_at: str
    kind: str
    teacher_id: str
    teacher_name: str | None
    status: str
    attendance: list[BoardCellOut]


class BoardStudentOut(Out):
    student_id: str
    student_name: str
    enrollment_id: str
    balance: int | None = Field(
        description="sessions left; null for a student no longer enrolled, shown "
        "because they have marks on this page (their enrollment has it)"
    )
    threshold: int | None = Field(
        None,
        description="the low-balance threshold that applies (the enrollment's, else the "
        "schedule's, else the company's); a balance at or below it is low; null when not enrolled",
    )
    status: str


# A schedule's board (services.boards.ScheduleBoard), with its students and sessions laid over it.
class ScheduleBoardOut(Out):
    schedule_id: str = Field(validation_alias=AliasPath("schedule", "schedule_id"))
    schedule_name: str = Field(validation_alias=AliasPath("schedule", "name"))
    kind: str = Field(validation_alias=AliasPath("schedule", "kind"))
    timezone: str = Field(validation_alias=AliasPath("schedule", "timezone"))
    students: list[BoardStudentOut]
    items: list[BoardSessionOut]
    next: str | None


# A session of a student's (services.boards.StudentSession), with its status laid over it.
class StudentSessionOut(Out):
    session_id: str = Field(validation_alias=AliasPath("session", "session_id"))
    schedule_id: str = Field(validation_alias=AliasPath("session", "schedule_id"))
    schedule_name: str
    kind: str = Field(validation_alias=AliasPath("session", "kind"))
    teacher_id: str = Field(validation_alias=AliasPath("session", "teacher_id"))
    teacher_name: str | None = Field(validation_alias=AliasPath("session", "teacher_name"))
    starts_at: str = Field(validation_alias=AliasPath("session", "starts_at"))
    ends_at: str = Field(validation_alias=AliasPath("session", "ends_at"))
    session_status: str = Field(validation_alias=AliasPath("session", "status"))
    timezone: str = Field(validation_alias=AliasPath("session", "timezone"), description="the schedule's time zone")
    status: str
    charged: bool


class StudentTimelineOut(Out):
    items: list[StudentSessionOut]
    next: str | None


class MeOut(Out):
    id: str = Field(validation_alias="student_id")
    name: str
    email: str


class MyEnrollmentOut(Out):
    id: str = Field(validation_alias="enrollment_id")
    schedule_id: str
    schedule_name: str
    remaining_sessions: int = Field(validation_alias="balance")
    threshold: int = Field(description="the low-balance threshold that applies to this enrollment")
    status: str
    lots: list[LotOut] = Field(validation_alias="packages", description="my packages, soonest to expire used first")
    owed: int = Field(validation_alias="owed_sessions")


class MySessionsQuery(ListQuery):
    when: Literal["past", "upcoming"] = "upcoming"
