"""Enrollments, balances and the ledger."""

from typing import Literal

from pydantic import AliasPath, Field, field_validator, model_validator

from ..fields import Balance, Currency, Day, Id, Instant, Note, Price, Sessions, Threshold, ValidDays
from .common import Count, In, Out, PatchIn, Query


class Expiring(In):
    """When a new lot lapses: a date (usable through that day in the schedule's zone) or an
    instant; or a number of days from now; neither: the schedule's or company's default."""

    expires_at: Day | Instant | None = Field(
        None, description="a date (the lot is usable through that day, in the schedule's zone) or an instant"
    )
    valid_days: ValidDays | None = None

    @model_validator(mode="after")
    def _one_expiry(self):
        if self.expires_at is not None and self.valid_days is not None:
            raise ValueError("give expires_at or valid_days, not both")
        return self


class EnrollmentIn(Expiring):
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


class TopUpIn(Expiring):
    sessions: Sessions
    note: Note | None = None
    source: Literal["top_up", "sale"] = "top_up"
    unit_price: Price | None = Field(None, description="the price of one session, a decimal such as 12.50")
    currency: Currency | None = None

    @model_validator(mode="after")
    def _priced(self):
        if (self.unit_price is None) != (self.currency is None):
            raise ValueError("give unit_price and currency together")
        return self


class PauseIn(In):
    starts_on: Day
    ends_on: Day = Field(description="the last day of the pause (inclusive)")
    reason: Note


class PauseEndIn(In):
    on: Day | None = Field(None, description="the pause's last day now (default: today)")


class LotOut(Out):
    id: str = Field(validation_alias="lot_id")
    source: str
    sessions: int
    remaining: int
    used: int
    expired: int
    settled: int = Field(description="sessions of it that paid for sessions owed when it came")
    bought_at: str = Field(validation_alias="at")
    expires_at: str | None
    expired_at: str | None
    state: Literal["active", "used_up", "expired"]
    warned_at: str | None = Field(description="when its coming lapse was announced")
    timezone: str | None = Field(description="the zone its days are shown in (its schedule's; null: UTC)")
    unit_price: str | None
    currency: str | None
    note: str | None


class PauseOut(Out):
    id: str = Field(validation_alias="pause_id")
    starts: str
    ends: str
    reason: str
    ended_early_at: str | None


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
    lots: list[LotOut] = Field(validation_alias="packages", description="the packages, soonest to expire used first")
    owed: int = Field(validation_alias="owed_sessions", description="sessions charged beyond every lot (balance < 0)")
    pauses: list[PauseOut]
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
    lot_id: str | None = Field(description="the lot it moved (null: sessions owed)")


class StatementQuery(Query):
    as_of: Day | None = Field(
        None, description="the day the statement is drawn up to, in the schedule's zone (default: now)"
    )
    format: Literal["json", "csv", "html"] = "json"


class StatementLineOut(Out):
    seq: int
    at: str
    kind: str
    delta: int
    balance_after: int
    reference: str | None = Field(description="what caused it: `session:{id}` for a charge or its reversal")
    note: str | None


class StatementLotOut(Out):
    id: str = Field(validation_alias=AliasPath("lot", "lot_id"))
    source: str = Field(validation_alias=AliasPath("lot", "source"))
    sessions: int = Field(validation_alias=AliasPath("lot", "sessions"))
    bought_at: str = Field(validation_alias=AliasPath("lot", "at"))
    expires_at: str | None = Field(validation_alias=AliasPath("lot", "expires_at"))
    unit_price: str | None = Field(validation_alias=AliasPath("lot", "unit_price"))
    currency: str | None = Field(validation_alias=AliasPath("lot", "currency"))
    used: int
    given_back: int
    expired: int
    settled: int
    remaining: int
    lines: list[StatementLineOut]


class StatementOut(Out):
    enrollment_id: str
    student_name: str = Field(validation_alias=AliasPath("enrollment", "student_name"))
    schedule_name: str = Field(validation_alias=AliasPath("enrollment", "schedule_name"))
    as_of: str | None
    until: str | None = Field(description="the instant the statement is drawn up to (null: now)")
    timezone: str
    balance: int = Field(description="the balance then: the balance_after of the last entry before `until`")
    owed: int
    lots: list[StatementLotOut]
    owed_lines: list[StatementLineOut]
