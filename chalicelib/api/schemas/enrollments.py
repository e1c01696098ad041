"""Enrollments, balances and the ledger."""

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..fields import Balance, Id, Note, Sessions, Threshold
from .common import Count, In, Out, PatchIn


class EnrollmentIn(In):
    student_id: Id
    initial_balance: Balance
    responsible_staff_id: Id
    low_balance_threshold: Threshold | None = None


class EnrollmentPatch(PatchIn):
    nullable = frozenset({"low_balance_threshold"})
    status: Literal["active", "ended"] | None = None
    responsible_staff_id: Id | None = None
    low_balance_threshold: Threshold | None = None
    balance: int | None = Field(None, ge=-100, le=10000)
    initial_balance: Balance | None = None
    reason: Note | None = None

    @model_validator(mode="after")
    def _corrections(self):
        if self.balance is not None and self.initial_balance is not None:
            raise ValueError("give either balance or initial_balance, not both")
        if self.balance is not None and self.reason is None:
            raise ValueError("a new balance needs a reason")
        return self


class TopUpIn(In):
    sessions: Sessions
    note: Note | None = None


class AdjustmentIn(In):
    delta: int = Field(ge=-10000, le=10000)
    reason: Note

    @field_validator("delta")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value


class EnrollmentOut(Out):
    id: str = Field(validation_alias="enrollment_id")
    schedule_id: str
    student_id: str
    student_name: str
    schedule_name: str
    initial_balance: int
    balance: int
    status: str
    responsible_staff_id: str
    low_balance_threshold: int | None
    threshold: int = Field(
        description="the low-balance threshold that applies: low_balance_threshold, else the "
        "schedule's, else the company's (a balance at or below it is low)"
    )
    version: Count
    created_at: str
    updated_at: str


# A ledger entry, with its ids laid over it by its view (api/enrollments.py).
class LedgerEntryOut(Out):
    id: str
    enrollment_id: str
    seq: int
    at: str
    delta: int
    balance_after: int
    kind: str
    actor: str
    reference: str | None
    note: str | None
