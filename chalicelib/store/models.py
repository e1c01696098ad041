"""PynamoDB models of every item in the OptClass table.

All items share one table and one base class, `Item`; the `type` discriminator lets a
query over an item collection come back as the right classes. Key attributes are set by
the repositories from `keys.py`; nothing else builds keys.
"""
from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import Model

from . import schema


class _Timeline(LocalSecondaryIndex):
    class Meta:
        index_name = schema.TIMELINE
        projection = AllProjection()

    PK = UnicodeAttribute(hash_key=True)
    LSI1SK = UnicodeAttribute(range_key=True)


class _OpenSessions(LocalSecondaryIndex):
    class Meta:
        index_name = schema.OPEN_SESSIONS
        projection = AllProjection()

    PK = UnicodeAttribute(hash_key=True)
    LSI2SK = UnicodeAttribute(range_key=True)


def _gsi(name: str, pk: str, sk: str) -> type[GlobalSecondaryIndex]:
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    attrs = {
        "Meta": meta,
        pk: UnicodeAttribute(hash_key=True),
        sk: UnicodeAttribute(range_key=True),
    }
    return type(f"_{name}", (GlobalSecondaryIndex,), attrs)


class Item(Model):
    """Base of every item: keys, index keys and the type discriminator."""

    class Meta:
        # Bound at run time by `engine.bind` from the stage configuration.
        table_name = "unbound"
        host = None
        region = "us-east-1"
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        max_retry_attempts = 2

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    LSI1SK = UnicodeAttribute(null=True)
    LSI2SK = UnicodeAttribute(null=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    type = DiscriminatorAttribute(attr_name="type")

    timeline = _Timeline()
    open_sessions = _OpenSessions()
    by_person = _gsi(schema.BY_PERSON, "GSI1PK", "GSI1SK")()
    by_teacher = _gsi(schema.BY_TEACHER, "GSI2PK", "GSI2SK")()
    by_email = _gsi(schema.BY_EMAIL, "GSI3PK", "GSI3SK")()
    attention = _gsi(schema.ATTENTION, "GSI4PK", "GSI4SK")()


class Company(Item, discriminator="company"):
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    timezone = UnicodeAttribute()
    low_balance_threshold = NumberAttribute()
    # Report thresholds (unset: the defaults of chalicelib/domain/reports.py).
    min_marks = NumberAttribute(null=True)
    decline_points = NumberAttribute(null=True)
    no_show_streak = NumberAttribute(null=True)
    rate_below = NumberAttribute(null=True)
    teacher_cancellation_threshold = NumberAttribute(null=True)
    teacher_min_sessions = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class StaffMember(Item, discriminator="staff"):
    staff_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class Student(Item, discriminator="student"):
    student_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class UserRef(Item, discriminator="user_ref"):
    """Makes `user_id` unique in a company and maps a token's `sub` to a person."""

    user_id = UnicodeAttribute()
    person_kind = UnicodeAttribute()  # "staff" or "student"
    person_id = UnicodeAttribute()


class Policy(MapAttribute):
    cancelled = UnicodeAttribute()
    no_show = UnicodeAttribute()
    late_cancel_hours = NumberAttribute(null=True)
    overdraft = NumberAttribute()


class Recurrence(MapAttribute):
    weekdays = ListAttribute(of=UnicodeAttribute)
    start_time = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    start_date = UnicodeAttribute()
    end_date = UnicodeAttribute(null=True)


class Schedule(Item, discriminator="schedule"):
    schedule_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    teacher_id = UnicodeAttribute()
    teacher_name = UnicodeAttribute(null=True)
    capacity = NumberAttribute(null=True)
    timezone = UnicodeAttribute()
    recurrence = Recurrence(null=True)
    policy = Policy()
    low_balance_threshold = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class Enrollment(Item, discriminator="enrollment"):
    schedule_id = UnicodeAttribute()
    student_id = UnicodeAttribute()
    student_name = UnicodeAttribute()
    schedule_name = UnicodeAttribute()
    initial_balance = NumberAttribute()
    balance = NumberAttribute()
    seq = NumberAttribute()  # sequence number of the latest ledger entry
    status = UnicodeAttribute()
    responsible_staff_id = UnicodeAttribute()
    low_balance_threshold = NumberAttribute(null=True)  # the enrollment's own, if set
    threshold = NumberAttribute(default=2)  # the one that applies (own, schedule's, company's)
    alert_level = NumberAttribute(default=0)  # low-balance level already announced (0, 1, 2)
    last_session_at = UnicodeAttribute(null=True)  # start of the latest session charged
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class LedgerEntry(Item, discriminator="ledger"):
    schedule_id = UnicodeAttribute()
    student_id = UnicodeAttribute()
    seq = NumberAttribute()
    at = UnicodeAttribute()
    delta = NumberAttribute()
    balance_after = NumberAttribute()
    kind = UnicodeAttribute()
    actor = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)


class IdempotencyRecord(Item, discriminator="idempotency"):
    fingerprint = UnicodeAttribute()
    status_code = NumberAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # TTL, epoch seconds


class RecurringPlan(Item, discriminator="plan"):
    """How far ahead a recurring schedule's sessions exist. Kept apart from the schedule so
    the daily job never changes the schedule's version."""

    company_id = UnicodeAttribute()
    schedule_id = UnicodeAttribute()
    horizon_until = UnicodeAttribute()  # local date


class Session(Item, discriminator="session"):
    """A dated occurrence of a schedule. `session_key` is unique within the schedule."""

    schedule_id = UnicodeAttribute()
    session_key = UnicodeAttribute()
    kind = UnicodeAttribute()
    teacher_id = UnicodeAttribute()
    teacher_name = UnicodeAttribute(null=True)
    student_id = UnicodeAttribute(null=True)  # set when the session is one student's own (a booked 1:1)
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    status = UnicodeAttribute()  # scheduled | cancelled
    origin = UnicodeAttribute()  # recurrence | one_off | booking
    timezone = UnicodeAttribute(default="UTC")  # the schedule's, when the session was made (report days)
    seats = NumberAttribute(default=0)  # the group's capacity when the session was made; 0 for 1:1
    cancelled_at = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class Mark(Item, discriminator="mark"):
    """One student's attendance status for one session, and what it cost."""

    schedule_id = UnicodeAttribute()
    schedule_name = UnicodeAttribute()
    session_key = UnicodeAttribute()
    student_id = UnicodeAttribute()
    student_name = UnicodeAttribute()
    kind = UnicodeAttribute()
    teacher_id = UnicodeAttribute()
    teacher_name = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute()
    status = UnicodeAttribute()  # attended | cancelled | no_show
    charged = BooleanAttribute()
    held = BooleanAttribute()
    late = BooleanAttribute(default=False)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)  # student | school
    charge_override = BooleanAttribute(null=True)
    override_reason = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    recorded_by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    version = VersionAttribute()


class ThresholdChange(Item, discriminator="threshold_change"):
    """A schedule's (`scope` = schedule id) or the company's (`scope` = COMPANY) threshold
    changed; the enrollments under it still carry the old one until the job catches up."""

    company_id = UnicodeAttribute()
    scope = UnicodeAttribute()


class Notification(Item, discriminator="notification"):
    """An in-app notification for one staff member."""

    notification_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # low_balance | balance_exhausted
    schedule_id = UnicodeAttribute()
    schedule_name = UnicodeAttribute()
    student_id = UnicodeAttribute()
    student_name = UnicodeAttribute()
    balance = NumberAttribute()
    threshold = NumberAttribute()
    last_session_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    run_date = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)
    email = UnicodeAttribute(default="pending")  # pending | sent | skipped


class EmailRecord(Item, discriminator="email"):
    """One email sent to one staff member by one job run: written before sending, so a
    rerun never sends the same email twice."""

    company_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    to = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    notification_ids = ListAttribute(of=UnicodeAttribute)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()


class OutboxMessage(Item, discriminator="outbox"):
    """An email "sent" in the local stage: kept here instead of going to SES."""

    company_id = UnicodeAttribute()
    to = UnicodeAttribute()
    sender = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()


class Integration(Item, discriminator="integration"):
    """A booking-system connection. Stored under its own id (the webhook URL names only
    that), listed per company through GSI1."""

    integration_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    provider = UnicodeAttribute()
    name = UnicodeAttribute()
    event_types = MapAttribute(default=dict)  # provider event type -> schedule id
    default_schedule_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)  # Acuity: the user id for its API
    secret = UnicodeAttribute()
    previous_secret = UnicodeAttribute(null=True)  # still accepted during a rotation
    previous_secret_until = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    def event_type_map(self) -> dict[str, str]:
        raw = self.event_types
        return dict(raw.as_dict() if hasattr(raw, "as_dict") else raw or {})


class Booking(Item, discriminator="booking"):
    """What a booking system's booking became here: its session, or a cancellation that
    came first, or the half of a move that is waiting for its other half."""

    booking_id = UnicodeAttribute()
    state = UnicodeAttribute()  # booked | cancelled | moved | moving
    schedule_id = UnicodeAttribute(null=True)
    session_key = UnicodeAttribute(null=True)
    student_id = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    replaced_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()


class Delivery(Item, discriminator="delivery"):
    """One webhook delivery and its outcome. Its key is derived from the provider's
    delivery id (or a digest of the body), so a repeat finds it."""

    delivery_id = UnicodeAttribute()
    integration_id = UnicodeAttribute()
    provider = UnicodeAttribute()
    provider_key = UnicodeAttribute()
    event = UnicodeAttribute(null=True)
    booking_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # applied | duplicate | ignored | failed
    reason = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    content_type = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    repeats = NumberAttribute(default=0)
    replays = NumberAttribute(default=0)


class Stats(Item, discriminator="stats"):
    """Report counters of one entity (student, teacher, schedule, or the company) for one day."""

    dimension = UnicodeAttribute()
    entity = UnicodeAttribute()
    day = UnicodeAttribute()
    sessions = NumberAttribute(default=0)
    cancelled = NumberAttribute(default=0)
    seats = NumberAttribute(default=0)
    attended = NumberAttribute(default=0)
    no_show = NumberAttribute(default=0)
    cancelled_student = NumberAttribute(default=0)
    cancelled_school = NumberAttribute(default=0)
    charged = NumberAttribute(default=0)
    sold = NumberAttribute(default=0)
