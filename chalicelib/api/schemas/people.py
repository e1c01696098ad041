"""Staff members and students."""

from typing import Literal

from pydantic import Field

from ..fields import Email, Name, UserId
from .common import In, ListQuery, Out


class StudentsQuery(ListQuery):
    q: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="the start of a name or surname (accents and case ignored), or an email",
    )


class StaffIn(In):
    name: Name
    email: Email
    role: Literal["admin", "staff", "teacher"]
    user_id: UserId | None = None


class StaffOut(Out):
    id: str = Field(validation_alias="staff_id")
    name: str
    email: str
    role: str
    user_id: str | None
    created_at: str


class StudentIn(In):
    name: Name
    email: Email
    user_id: UserId | None = None


class StudentOut(Out):
    id: str = Field(validation_alias="student_id")
    name: str
    email: str
    user_id: str | None
    created_at: str
