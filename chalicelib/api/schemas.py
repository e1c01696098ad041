"""Request and response bodies. The same models validate requests, shape responses and
generate the OpenAPI document, so the contract cannot drift from the code."""

from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import ids
from .fields import (
    Balance,
    Day,
    Email,
    Id,
    Instant,
    LocalTime,
    Name,
    Note,
    Sessions,
    Threshold,
    TimeZone,
    UserId,
)

Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class Model(BaseModel):
    """Every schema here: validators are built on first use (defer_build), so a cold start
    pays only for the models its first request needs."""

    model_config = ConfigDict(defer_build=True)


class In(Model):
    """A request body: unknown fields and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class PatchIn(In):
    """A partial update: absent fields are left alone; only `nullable` fields accept null."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self):
        bad = [name for name in self.model_fields_set if getattr(self, name) is None and name not in self.nullable]
        if bad:
            raise ValueError(f"may not be null: {', '.join(sorted(bad))}")
        if not self.model_fields_set:
            raise ValueError("at least one field must be given")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, mode="python")


class Query(Model):
    """Query parameters: all arrive as text; unknown ones are refused."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ListQuery(Query):
    limit: int = Field(50, ge=1, le=200)
    next: str | None = Field(None, max_length=2048)


class Out(Model):
    model_config = ConfigDict(from_attributes=True, defer_build=True)


T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    items: list[T]
    next: str | None


class ErrorDetail(Model):
    field: str
    message: str


class ErrorBody(Model):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorOut(Model):
    error: ErrorBody


class HealthOut(Model):
    status: Literal["ok", "unavailable"]


class OpenApiQuery(Query):
    """Query strings are ignored."""

    model_config = ConfigDict(extra="allow")


# --- company -------------------------------------------------------------------------

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
    # Only when the company is set up (its first PUT): the caller becomes its first admin,
    # under this name and email (else the token's `name` and `email` claims).
    admin_name: Name | None = None
    admin_email: Email | None = None


class CompanyOut(Out):
    id: str
    name: str
    timezone: str
    low_balance_threshold: int
    report_settings: dict[str, int]
    version: int

    @classmethod
    def of(cls, c) -> "CompanyOut":
        from ..services.reports import settings_of

        settings = settings_of(c)
        return cls(
            id=c.company_id,
            name=c.name,
            timezone=c.timezone,
            low_balance_threshold=int(c.low_balance_threshold),
            report_settings={k: getattr(settings, k) for k in settings.__dataclass_fields__},
            version=int(c.version or 0),
        )


# --- people --------------------------------------------------------------------------


class StaffIn(In):
    name: Name
    email: Email
    role: Literal["admin", "staff", "teacher"]
    user_id: UserId | None = None


class StaffOut(Out):
    id: str
    name: str
    email: str
    role: str
    user_id: str | None
    created_at: str

    @classmethod
    def of(cls, s) -> "StaffOut":
        return cls(id=s.staff_id, name=s.name, email=s.email, role=s.role, user_id=s.user_id, created_at=s.created_at)


class StudentIn(In):
    name: Name
    email: Email
    user_id: UserId | None = None


class StudentOut(Out):
    id: str
    name: str
    email: str
    user_id: str | None
    created_at: str

    @classmethod
    def of(cls, s) -> "StudentOut":
        return cls(id=s.student_id, name=s.name, email=s.email, user_id=s.user_id, created_at=s.created_at)


# --- schedules -----------------------------------------------------------------------


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
    nullable = frozenset({"recurrence", "low_balance_threshold"})
    name: Name | None = None
    teacher_id: Id | None = None
    capacity: int | None = Field(None, ge=1, le=1000)
    timezone: TimeZone | None = None
    recurrence: RecurrenceIn | None = None
    policy: PolicyPatch | None = None
    low_balance_threshold: Threshold | None = None

    def changes(self) -> dict[str, Any]:
        out = super().changes()
        if "recurrence" in out and self.recurrence is not None:
            out["recurrence"] = self.recurrence.stored()
        if "policy" in out:
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
    id: str
    name: str
    kind: str
    teacher_id: str
    teacher_name: str | None
    capacity: int | None
    timezone: str
    recurrence: RecurrenceOut | None
    policy: PolicyOut
    low_balance_threshold: int | None
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, s) -> "ScheduleOut":
        rec = s.recurrence
        recurrence = (
            None
            if rec is None
            else RecurrenceOut(
                weekdays=list(rec.weekdays),
                start_time=rec.start_time,
                duration_minutes=int(rec.duration_minutes),
                start_date=rec.start_date,
                end_date=rec.end_date,
            )
        )
        p = s.policy
        policy = PolicyOut(
            cancelled=p.cancelled,
            no_show=p.no_show,
            late_cancel_hours=None if p.late_cancel_hours is None else int(p.late_cancel_hours),
            overdraft=int(p.overdraft),
        )
        return cls(
            id=s.schedule_id,
            name=s.name,
            kind=s.kind,
            teacher_id=s.teacher_id,
            teacher_name=s.teacher_name,
            capacity=None if s.capacity is None else int(s.capacity),
            timezone=s.timezone,
            recurrence=recurrence,
            policy=policy,
            low_balance_threshold=None if s.low_balance_threshold is None else int(s.low_balance_threshold),
            version=int(s.version or 0),
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


# --- enrollments and the ledger ------------------------------------------------------


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
    id: str
    schedule_id: str
    student_id: str
    student_name: str
    schedule_name: str
    initial_balance: int
    balance: int
    status: str
    responsible_staff_id: str
    low_balance_threshold: int | None
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, e) -> "EnrollmentOut":
        return cls(
            id=ids.enrollment_id(e.schedule_id, e.student_id),
            schedule_id=e.schedule_id,
            student_id=e.student_id,
            student_name=e.student_name,
            schedule_name=e.schedule_name,
            initial_balance=int(e.initial_balance),
            balance=int(e.balance),
            status=e.status,
            responsible_staff_id=e.responsible_staff_id,
            low_balance_threshold=None if e.low_balance_threshold is None else int(e.low_balance_threshold),
            version=int(e.version or 0),
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


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

    @classmethod
    def of(cls, x) -> "LedgerEntryOut":
        enrollment_id = ids.enrollment_id(x.schedule_id, x.student_id)
        return cls(
            id=f"{enrollment_id}.{int(x.seq)}",
            enrollment_id=enrollment_id,
            seq=int(x.seq),
            at=x.at,
            delta=int(x.delta),
            balance_after=int(x.balance_after),
            kind=x.kind,
            actor=x.actor,
            reference=x.reference,
            note=x.note,
        )


# --- sessions ------------------------------------------------------------------------


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
    id: str
    schedule_id: str
    kind: str
    teacher_id: str
    teacher_name: str | None
    student_id: str | None
    starts_at: str
    ends_at: str
    status: str
    origin: str
    cancelled_at: str | None
    cancel_reason: str | None
    version: int

    @classmethod
    def of(cls, s) -> "SessionOut":
        return cls(
            id=ids.session_id(s.schedule_id, s.session_key),
            schedule_id=s.schedule_id,
            kind=s.kind,
            teacher_id=s.teacher_id,
            teacher_name=s.teacher_name,
            student_id=s.student_id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            status=s.status,
            origin=s.origin,
            cancelled_at=s.cancelled_at,
            cancel_reason=s.cancel_reason,
            version=int(s.version or 0),
        )


class CancelIn(In):
    reason: Note | None = None


# --- attendance ----------------------------------------------------------------------

Status = Literal["attended", "cancelled", "no_show"]


class MarkIn(In):
    status: Status
    note: Note | None = None
    cancelled_at: Instant | None = None
    charge: bool | None = None
    reason: Note | None = None

    @model_validator(mode="after")
    def _override(self):
        if self.charge is not None and self.reason is None:
            raise ValueError("a charge override needs a reason")
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

    @classmethod
    def of(cls, view) -> "MarkOut":
        from ..services.attendance import mark_out_fields

        return cls(**mark_out_fields(view))


class BulkError(Model):
    code: str
    message: str


class BulkOutcomeOut(Model):
    student_id: str
    ok: bool
    mark: MarkOut | None
    error: BulkError | None


class BulkOut(Out):
    session_id: str
    items: list[BulkOutcomeOut]

    @classmethod
    def of(cls, result) -> "BulkOut":
        session_id, outcomes = result.session_id, result.outcomes
        items = [
            BulkOutcomeOut(
                student_id=o.student_id,
                ok=o.error is None,
                mark=MarkOut.of(o.view) if o.view else None,
                error=BulkError(code=o.error.code, message=o.error.message) if o.error else None,
            )
            for o in outcomes
        ]
        return cls(session_id=session_id, items=items)


class RosterEntryOut(Model):
    student_id: str
    student_name: str
    enrollment_id: str
    enrollment_status: str
    balance: int | None = Field(
        description="sessions left; null for a student no longer enrolled, listed "
        "for their mark (their enrollment has it)"
    )
    status: str
    charged: bool
    held: bool
    version: int


class RosterOut(Out):
    session: SessionOut
    items: list[RosterEntryOut]

    @classmethod
    def of(cls, r) -> "RosterOut":
        sch = r.session.schedule_id
        items = [
            RosterEntryOut(
                student_id=row.student_id,
                student_name=row.student_name,
                enrollment_id=ids.enrollment_id(sch, row.student_id),
                enrollment_status=row.enrollment.status if row.enrollment else "ended",
                balance=int(row.enrollment.balance) if row.enrollment else None,
                status=row.mark.status if row.mark else "unmarked",
                charged=bool(row.mark.charged) if row.mark else False,
                held=bool(row.mark.held) if row.mark else False,
                version=int(row.mark.version or 0) if row.mark else 0,
            )
            for row in r.rows
        ]
        return cls(session=SessionOut.of(r.session), items=items)


class HeldOut(Out):
    session_id: str
    schedule_id: str
    schedule_name: str
    student_id: str
    student_name: str
    enrollment_id: str
    starts_at: str
    teacher_id: str
    version: int
    recorded_at: str

    @classmethod
    def of(cls, m) -> "HeldOut":
        return cls(
            session_id=ids.session_id(m.schedule_id, m.session_key),
            schedule_id=m.schedule_id,
            schedule_name=m.schedule_name,
            student_id=m.student_id,
            student_name=m.student_name,
            enrollment_id=ids.enrollment_id(m.schedule_id, m.student_id),
            starts_at=m.starts_at,
            teacher_id=m.teacher_id,
            version=int(m.version or 0),
            recorded_at=m.recorded_at,
        )


class CancellationOut(Out):
    session: SessionOut
    marks: list[MarkOut]

    @classmethod
    def of(cls, c) -> "CancellationOut":
        return cls(session=SessionOut.of(c.session), marks=[MarkOut.of(v) for v in c.outcomes])


# --- boards and the portal -----------------------------------------------------------


class BoardCellOut(Model):
    student_id: str
    status: str
    charged: bool
    held: bool


class BoardSessionOut(Model):
    session_id: str
    starts_at: str
    ends_at: str
    kind: str
    teacher_id: str
    teacher_name: str | None
    status: str
    attendance: list[BoardCellOut]


class BoardStudentOut(Model):
    student_id: str
    student_name: str
    enrollment_id: str
    balance: int | None = Field(
        description="sessions left; null for a student no longer enrolled, shown "
        "because they have marks on this page (their enrollment has it)"
    )
    status: str


class ScheduleBoardOut(Out):
    schedule_id: str
    schedule_name: str
    kind: str
    timezone: str
    students: list[BoardStudentOut]
    items: list[BoardSessionOut]
    next: str | None

    @classmethod
    def of(cls, b) -> "ScheduleBoardOut":
        students = [
            BoardStudentOut(
                student_id=e.student_id,
                student_name=e.student_name,
                enrollment_id=ids.enrollment_id(e.schedule_id, e.student_id),
                balance=int(e.balance),
                status=e.status,
            )
            for e in b.roster
        ]
        students += [
            BoardStudentOut(
                student_id=m.student_id,
                student_name=m.student_name,
                enrollment_id=ids.enrollment_id(m.schedule_id, m.student_id),
                balance=None,
                status="ended",
            )
            for m in b.former
        ]
        items = []
        for row in b.sessions:
            s = row.session
            who = [s.student_id] if s.student_id else [e.student_id for e in b.roster]
            who += [sid for sid in row.marks if sid not in who]
            cells = [
                BoardCellOut(
                    student_id=sid,
                    status=row.marks[sid].status if sid in row.marks else "unmarked",
                    charged=bool(row.marks[sid].charged) if sid in row.marks else False,
                    held=bool(row.marks[sid].held) if sid in row.marks else False,
                )
                for sid in who
            ]
            items.append(
                BoardSessionOut(
                    session_id=ids.session_id(s.schedule_id, s.session_key),
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    kind=s.kind,
                    teacher_id=s.teacher_id,
                    teacher_name=s.teacher_name,
                    status=s.status,
                    attendance=cells,
                )
            )
        sch = b.schedule
        return cls(
            schedule_id=sch.schedule_id,
            schedule_name=sch.name,
            kind=sch.kind,
            timezone=sch.timezone,
            students=students,
            items=items,
            next=b.next,
        )


class StudentSessionOut(Model):
    session_id: str
    schedule_id: str
    schedule_name: str
    kind: str
    teacher_id: str
    teacher_name: str | None
    starts_at: str
    ends_at: str
    session_status: str
    status: str
    charged: bool


class StudentTimelineOut(Out):
    items: list[StudentSessionOut]
    next: str | None

    @classmethod
    def of(cls, t) -> "StudentTimelineOut":
        items = []
        for row in t.items:
            s, m = row.session, row.mark
            status = "cancelled" if s.status == "cancelled" and m is None else (m.status if m else "unmarked")
            items.append(
                StudentSessionOut(
                    session_id=ids.session_id(s.schedule_id, s.session_key),
                    schedule_id=s.schedule_id,
                    schedule_name=row.schedule_name,
                    kind=s.kind,
                    teacher_id=s.teacher_id,
                    teacher_name=s.teacher_name,
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    session_status=s.status,
                    status=status,
                    charged=bool(m.charged) if m else False,
                )
            )
        return cls(items=items, next=t.next)


class MeOut(Out):
    id: str
    name: str
    email: str

    @classmethod
    def of(cls, s) -> "MeOut":
        return cls(id=s.student_id, name=s.name, email=s.email)


class MyEnrollmentOut(Out):
    id: str
    schedule_id: str
    schedule_name: str
    remaining_sessions: int
    status: str

    @classmethod
    def of(cls, e) -> "MyEnrollmentOut":
        return cls(
            id=ids.enrollment_id(e.schedule_id, e.student_id),
            schedule_id=e.schedule_id,
            schedule_name=e.schedule_name,
            remaining_sessions=int(e.balance),
            status=e.status,
        )


class MySessionsQuery(ListQuery):
    when: Literal["past", "upcoming"] = "upcoming"


class JobQuery(Query):
    on: Day | None = Field(None, alias="date")


class JobOut(Out):
    job: str
    date: str
    result: dict[str, Any]

    @classmethod
    def of(cls, r) -> "JobOut":
        return cls(**r)


# --- notifications -------------------------------------------------------------------


class NotificationsQuery(ListQuery):
    unread: bool = False


class NotificationOut(Out):
    id: str
    kind: str
    enrollment_id: str
    student_id: str
    student_name: str
    schedule_id: str
    schedule_name: str
    balance: int
    threshold: int
    last_session_at: str | None
    created_at: str
    read_at: str | None
    email: str

    @classmethod
    def of(cls, n) -> "NotificationOut":
        return cls(
            id=n.notification_id,
            kind=n.kind,
            enrollment_id=ids.enrollment_id(n.schedule_id, n.student_id),
            student_id=n.student_id,
            student_name=n.student_name,
            schedule_id=n.schedule_id,
            schedule_name=n.schedule_name,
            balance=int(n.balance),
            threshold=int(n.threshold),
            last_session_at=n.last_session_at,
            created_at=n.created_at,
            read_at=n.read_at,
            email=n.email,
        )


class OutboxOut(Out):
    id: str
    to: str
    sender: str
    subject: str
    body: str
    created_at: str

    @classmethod
    def of(cls, m) -> "OutboxOut":
        return cls(id=m.message_id, to=m.to, sender=m.sender, subject=m.subject, body=m.body, created_at=m.created_at)


# --- integrations and webhooks -------------------------------------------------------

EventTypeKey = Annotated[str, Field(min_length=1, max_length=300)]


class IntegrationIn(In):
    provider: Literal["standard", "calcom", "calendly", "acuity"]
    name: Name
    event_types: dict[EventTypeKey, Id] = Field(default_factory=dict, max_length=100)
    default_schedule_id: Id | None = None
    secret: Annotated[str, Field(min_length=8, max_length=500)] | None = None
    account_id: Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")] | None = None


class SecretIn(In):
    secret: Annotated[str, Field(min_length=8, max_length=500)] | None = None


class IntegrationOut(Out):
    id: str
    provider: str
    name: str
    event_types: dict[str, str]
    default_schedule_id: str | None
    account_id: str | None
    active: bool
    webhook_path: str
    secret_rotating: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, i) -> "IntegrationOut":
        return cls(
            id=i.integration_id,
            provider=i.provider,
            name=i.name,
            event_types=i.event_type_map(),
            default_schedule_id=i.default_schedule_id,
            account_id=i.account_id,
            active=bool(i.active),
            webhook_path=f"/webhooks/{i.integration_id}",
            secret_rotating=bool(i.previous_secret),
            created_at=i.created_at,
            updated_at=i.updated_at,
        )


class IntegrationWithSecretOut(IntegrationOut):
    secret: str

    @classmethod
    def of(cls, pair) -> "IntegrationWithSecretOut":
        integration, secret = pair
        return cls(**IntegrationOut.of(integration).model_dump(), secret=secret)


class DeliveriesQuery(ListQuery):
    status: Literal["applied", "duplicate", "ignored", "failed"] | None = None


class DeliveryOut(Out):
    id: str
    integration_id: str
    provider: str
    provider_key: str
    event: str | None
    booking_id: str | None
    status: str
    reason: str | None
    received_at: str
    updated_at: str
    repeats: int
    replays: int

    @classmethod
    def of(cls, d) -> "DeliveryOut":
        return cls(
            id=d.delivery_id,
            integration_id=d.integration_id,
            provider=d.provider,
            provider_key=d.provider_key,
            event=d.event,
            booking_id=d.booking_id,
            status=d.status,
            reason=d.reason,
            received_at=d.received_at,
            updated_at=d.updated_at,
            repeats=int(d.repeats or 0),
            replays=int(d.replays or 0),
        )


class WebhookQuery(Query):
    """Booking systems may add their own query parameters; they are ignored."""

    model_config = ConfigDict(extra="allow")


class WebhookOut(Out):
    delivery_id: str
    status: str
    reason: str | None
    repeat: bool

    @classmethod
    def of(cls, outcome) -> "WebhookOut":
        d = outcome.delivery
        return cls(delivery_id=d.delivery_id, status=d.status, reason=d.reason, repeat=outcome.repeat)


# --- reports -------------------------------------------------------------------------


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


def _report(row_model):
    class ReportOut(Out):
        from_: str = Field(serialization_alias="from")
        to: str
        as_of: str
        counted_through: str | None = Field(
            None,
            description="The newest change the counters include (they follow the table's stream, "
            "usually within a second); null before anything was counted",
        )
        items: list[row_model]
        next: str | None = None

        @classmethod
        def of(cls, r):
            return cls(
                from_=r.first,
                to=r.last,
                as_of=r.as_of,
                counted_through=r.counted_through,
                items=[row_model(**row) for row in r.rows],
            )

    ReportOut.__name__ = ReportOut.__qualname__ = f"{row_model.__name__.removesuffix('Row')}Report"
    return ReportOut


StudentsReportOut = _report(StudentReportRow)
TeachersReportOut = _report(TeacherReportRow)
SchedulesReportOut = _report(ScheduleReportRow)
OverviewReportOut = _report(OverviewRow)
