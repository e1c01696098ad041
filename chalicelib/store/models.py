"""Every item type of the OptClass table, with its keys.

One table, one base class (`Item`); the `type` discriminator makes a query over an item
collection come back as the right classes. Each item type builds its own keys
(`key(...)` from ids, `index()` for its index keys from its own fields), so a key is made
in exactly one place, next to the item it names (the DynamoDB Book's habit). Each type
also maps to and from its record (`chalicelib/domain/records.py`): services only ever see
records. Every item carries `company_id` as a field (items of no company leave it empty).

The file is the table's whole catalogue on purpose: a newcomer reads it once and knows
every item, its partition and its indexes.
"""

import dataclasses
import zlib
from typing import TYPE_CHECKING, Any, ClassVar

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

from .. import ids
from ..domain import names, records, thresholds
from . import schema

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Key = tuple[str, str]


# --- the partitions several item types share ----------------------------------------------


def company_partition(cid: str) -> str:
    """The company, its staff, students, schedules and user refs."""
    return f"C#{cid}"


def schedule_partition(cid: str, schedule_id: str) -> str:
    """A schedule's enrollments, ledgers, sessions, marks and plan: everything one mark touches."""
    return f"C#{cid}#S#{schedule_id}"


def person_partition(cid: str, student_id: str) -> str:
    """GSI1 `ByPerson`: one student's enrollments, marks and seats."""
    return f"C#{cid}#P#{student_id}"


def teacher_partition(cid: str, teacher_id: str) -> str:
    """GSI2 `ByTeacher`: one teacher's schedules and sessions."""
    return f"C#{cid}#T#{teacher_id}"


def email_partition(cid: str, email: str) -> str:
    """GSI3 `ByEmail`: staff and students by email within a company."""
    return f"C#{cid}#EMAIL#{email.strip().lower()}"


def shard_of(text: str, shards: int) -> int:
    return zlib.crc32(text.encode()) % shards


# --- indexes ---------------------------------------------------------------------------------


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
    attrs = {"Meta": meta, pk: UnicodeAttribute(hash_key=True), sk: UnicodeAttribute(range_key=True)}
    return type(f"_{name}", (GlobalSecondaryIndex,), attrs)


class Item(Model):
    """Base of every item: keys, index keys, the type discriminator and the record mapping."""

    class Meta:
        # Bound at run time by `engine.ensure_bound` from the stage configuration.
        table_name = "unbound"
        host: str | None = None
        region = "us-east-1"
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        # Retries live in one layer, the unit of work (store/unit_of_work.py): botocore sends once.
        max_retry_attempts = 0

    RECORD: ClassVar["type[DataclassInstance] | None"] = None

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
    company_id = UnicodeAttribute(null=True)

    timeline = _Timeline()
    open_sessions = _OpenSessions()
    by_person = _gsi(schema.BY_PERSON, "GSI1PK", "GSI1SK")()
    by_teacher = _gsi(schema.BY_TEACHER, "GSI2PK", "GSI2SK")()
    by_email = _gsi(schema.BY_EMAIL, "GSI3PK", "GSI3SK")()
    sessions_in_time = by_email  # the same GSI3: in a schedule's partition it holds only sessions
    # GSI1 and GSI2 in a company's `STUDENTS#NAME` / `STUDENTS#SURNAME` partitions: students by name
    students_by_name, students_by_surname = by_person, by_teacher
    attention = _gsi(schema.ATTENTION, "GSI4PK", "GSI4SK")()

    # Subclasses: `key(*ids) -> (PK, SK)` and `KEY_FIELDS`, the record's fields that are
    # those ids in order; `index()` sets index keys.
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def key(cls, *ids: Any) -> Key:
        raise NotImplementedError

    @classmethod
    def key_of(cls, record: Any) -> Key:
        """The (PK, SK) of the item that stores `record`."""
        return cls.key(*(getattr(record, name) for name in cls.KEY_FIELDS))

    def index(self) -> None:
        """Set this item's index keys from its own fields (none by default)."""

    def record(self) -> Any:
        """The item as its record."""
        record_type = self.RECORD
        if record_type is None:
            raise TypeError(f"{type(self).__name__} items have no record")
        values = {}
        for f in dataclasses.fields(record_type):
            value = getattr(self, f.name, None)
            values[f.name] = _plain(f.name, value)
        return record_type(**values)

    @classmethod
    def of(cls, record: Any) -> "Item":
        """The item that stores `record` (its version left at the one it was read at)."""
        pk, sk = cls.key_of(record)
        attributes = cls.get_attributes()
        values = {}
        for f in dataclasses.fields(record):
            if f.name in attributes and f.name not in ("PK", "SK"):
                values[f.name] = _stored(getattr(record, f.name))
        if not values.get("version"):
            values.pop("version", None)  # PynamoDB: no version means "not stored yet"
        item = cls(pk, sk, **values)
        item.index()
        return item


def _plain(name: str, value: Any) -> Any:
    """A stored attribute as a record field: maps become records, lists tuples, numbers int."""
    if name == "version":
        return int(value or 0)
    if isinstance(value, Policy):
        return records.Policy(
            cancelled=value.cancelled,
            no_show=value.no_show,
            late_cancel_hours=None if value.late_cancel_hours is None else int(value.late_cancel_hours),
            overdraft=int(value.overdraft or 0),
        )
    if isinstance(value, Recurrence):
        return records.Recurrence(
            weekdays=tuple(value.weekdays),
            start_time=value.start_time,
            duration_minutes=int(value.duration_minutes),
            start_date=value.start_date,
            end_date=value.end_date,
        )
    if isinstance(value, (Lot, Pause)):
        kind = records.Lot if isinstance(value, Lot) else records.Pause
        return kind(**{f.name: _plain(f.name, getattr(value, f.name, None)) for f in dataclasses.fields(kind)})
    if isinstance(value, list) and name in ("lots", "pauses"):
        return tuple(_plain(name, v) for v in value)
    if isinstance(value, MapAttribute):
        return dict(value.as_dict())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _stored(value: Any) -> Any:
    if isinstance(value, records.Policy):
        return Policy(**dataclasses.asdict(value))
    if isinstance(value, records.Recurrence):
        return Recurrence(**{**dataclasses.asdict(value), "weekdays": list(value.weekdays)})
    if isinstance(value, records.Lot):
        return Lot(**{k: v for k, v in dataclasses.asdict(value).items() if v is not None})
    if isinstance(value, records.Pause):
        return Pause(**{k: v for k, v in dataclasses.asdict(value).items() if v is not None})
    if isinstance(value, tuple) and value and isinstance(value[0], (records.Lot, records.Pause)):
        return [_stored(v) for v in value]
    return value


# --- the company partition ---------------------------------------------------------------------


class Company(Item, discriminator="company"):
    RECORD = records.Company
    name = UnicodeAttribute()
    timezone = UnicodeAttribute()
    low_balance_threshold = NumberAttribute()
    min_marks = NumberAttribute(null=True)
    decline_points = NumberAttribute(null=True)
    no_show_streak = NumberAttribute(null=True)
    rate_below = NumberAttribute(null=True)
    teacher_cancellation_threshold = NumberAttribute(null=True)
    teacher_min_sessions = NumberAttribute(null=True)
    lot_valid_days = NumberAttribute(null=True)
    lot_warning_days = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    @staticmethod
    def key(cid: str) -> Key:
        return company_partition(cid), "#COMPANY"

    KEY_FIELDS = ("company_id",)


class CountedThrough(Item, discriminator="counted_through"):
    """How fresh the company's report counters are (written by the counters' stream handler)."""

    RECORD = records.CountedThrough
    counted_through = UnicodeAttribute(null=True)
    counted_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(cid: str) -> Key:
        return company_partition(cid), "#COUNTED"

    KEY_FIELDS = ("company_id",)


class Person(Item):
    """A staff member or a student: in the company partition under its prefix and id, found
    by email (GSI3)."""

    name = UnicodeAttribute()
    email = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()

    PREFIX: ClassVar[str]

    @classmethod
    def key(cls, cid: str, person_id: str) -> Key:
        return company_partition(cid), f"{cls.PREFIX}{person_id}"

    def index(self) -> None:
        self.GSI3PK, self.GSI3SK = email_partition(self.company_id, self.email), self.SK


class StaffMember(Person, discriminator="staff"):
    RECORD = records.StaffMember
    PREFIX = "STAFF#"
    KEY_FIELDS = ("company_id", "staff_id")
    staff_id = UnicodeAttribute()
    role = UnicodeAttribute()


class Student(Person, discriminator="student"):
    """Also found by the start of their name (GSI1) or of their surname (GSI2, sparse: only
    names of two words or more), within the company (domain/names.py)."""

    RECORD = records.Student
    PREFIX = "STUDENT#"
    KEY_FIELDS = ("company_id", "student_id")
    student_id = UnicodeAttribute()

    def index(self) -> None:
        super().index()
        by_name, by_surname = self.name_keys(self.company_id or "", self.name, self.student_id)
        self.GSI1PK, self.GSI1SK = by_name
        self.GSI2PK, self.GSI2SK = by_surname or (None, None)

    @staticmethod
    def names_partition(cid: str, by: str) -> str:
        """GSI1 (`by` "name") or GSI2 (`by` "surname"): a company's students in name order."""
        return f"C#{cid}#STUDENTS#{by.upper()}"

    @classmethod
    def name_keys(cls, cid: str, name: str, student_id: str) -> tuple[Key, Key | None]:
        surname = names.surname_key(name)
        return (
            (cls.names_partition(cid, "name"), f"{names.name_key(name)}#{student_id}"),
            (cls.names_partition(cid, "surname"), f"{surname}#{student_id}") if surname else None,
        )


class UserRef(Item, discriminator="user_ref"):
    """Makes `user_id` unique in a company and maps a token's `sub` to a person."""

    RECORD = records.UserRef
    user_id = UnicodeAttribute()
    person_kind = UnicodeAttribute()  # staff | student
    person_id = UnicodeAttribute()
    role = UnicodeAttribute(null=True)  # a staff member's role, so one read resolves a login

    @staticmethod
    def key(cid: str, user_id: str) -> Key:
        return company_partition(cid), f"USER#{user_id}"

    KEY_FIELDS = ("company_id", "user_id")


class Policy(MapAttribute):
    cancelled = UnicodeAttribute()
    no_show = UnicodeAttribute()
    late_cancel_hours = NumberAttribute(null=True)
    overdraft = NumberAttribute()


class Recurrence(MapAttribute):
    # PynamoDB types `of` as the element's Python type, but it takes its Attribute class (pynamodb#1246).
    weekdays: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    start_time = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    start_date = UnicodeAttribute()
    end_date = UnicodeAttribute(null=True)


class Lot(MapAttribute):
    lot_id = UnicodeAttribute()
    sessions = NumberAttribute()
    remaining = NumberAttribute()
    at = UnicodeAttribute()
    source = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)
    unit_price = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    settled = NumberAttribute(default=0)
    expired = NumberAttribute(default=0)
    expired_at = UnicodeAttribute(null=True)
    warned_at = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)


class Pause(MapAttribute):
    pause_id = UnicodeAttribute()
    starts = UnicodeAttribute()
    ends = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UnicodeAttribute()
    ended_early_at = UnicodeAttribute(null=True)


class Schedule(Item, discriminator="schedule"):
    RECORD = records.Schedule
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
    lot_valid_days = NumberAttribute(null=True)
    active_enrollments = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    PREFIX: ClassVar[str] = "SCHEDULE#"

    @classmethod
    def key(cls, cid: str, schedule_id: str) -> Key:
        return company_partition(cid), f"{cls.PREFIX}{schedule_id}"

    KEY_FIELDS = ("company_id", "schedule_id")

    def index(self) -> None:
        self.GSI2PK, self.GSI2SK = teacher_partition(self.company_id, self.teacher_id), self.SK


# --- the schedule partition ------------------------------------------------------------------------

ROSTER_PREFIX = "R#"  # LSI1 `Timeline` in a schedule partition: its header, then its active enrollments


class ScheduleHeader(Item, discriminator="schedule_header"):
    """A copy of the schedule in its own partition, written in the same transaction as every
    change of the schedule (its seat count aside), so one query reads the schedule with its
    active roster (LSI1 `R#`, the header first)."""

    RECORD = records.Schedule
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
    version = NumberAttribute(default=0)  # the schedule's, as copied (not a condition)

    @staticmethod
    def key(cid: str, schedule_id: str) -> Key:
        return schedule_partition(cid, schedule_id), "#SCHEDULE"

    KEY_FIELDS = ("company_id", "schedule_id")

    def index(self) -> None:
        self.LSI1SK = ROSTER_PREFIX


LOW_SHARDS = 8


class Enrollment(Item, discriminator="enrollment"):
    RECORD = records.Enrollment
    schedule_id = UnicodeAttribute()
    student_id = UnicodeAttribute()
    student_name = UnicodeAttribute()
    schedule_name = UnicodeAttribute()
    initial_balance = NumberAttribute()
    balance = NumberAttribute()
    seq = NumberAttribute()
    status = UnicodeAttribute()
    responsible_staff_id = UnicodeAttribute()
    low_balance_threshold = NumberAttribute(null=True)
    threshold = NumberAttribute(default=thresholds.DEFAULT_THRESHOLD)
    alert_level = NumberAttribute(default=0)
    last_session_at = UnicodeAttribute(null=True)
    lots: ListAttribute[Lot] = ListAttribute(of=Lot, default=list)
    owed = NumberAttribute(default=0)
    pauses: ListAttribute[Pause] = ListAttribute(of=Pause, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    PREFIX: ClassVar[str] = "ENR#"

    @classmethod
    def key(cls, cid: str, schedule_id: str, student_id: str) -> Key:
        return schedule_partition(cid, schedule_id), f"{cls.PREFIX}{student_id}"

    KEY_FIELDS = ("company_id", "schedule_id", "student_id")

    def index(self) -> None:
        self.GSI1PK = person_partition(self.company_id, self.student_id)
        self.GSI1SK = f"{self.PREFIX}{self.schedule_id}"
        self.LSI1SK = self.roster_key(self.status, self.student_id)
        record = self.record()
        self.GSI4PK, self.GSI4SK = self.low_balance_keys(record)
        self.GSI2PK, self.GSI2SK = self.lot_keys(record, LOTS_DUE)
        self.GSI3PK, self.GSI3SK = self.lot_keys(record, LOTS_WARN)

    @staticmethod
    def roster_key(status: str, student_id: str) -> str | None:
        """LSI1 (sparse): an active enrollment sorts behind its schedule's header; an ended one
        leaves, so the board never reads it."""
        return f"{ROSTER_PREFIX}{student_id}" if status == "active" else None

    @classmethod
    def low_balance_keys(cls, enrollment: records.Enrollment) -> tuple[str | None, str | None]:
        """GSI4 `Attention` (sparse): present while a low-balance crossing waits to be announced."""
        state = thresholds.alert_state(
            enrollment.balance, enrollment.threshold, enrollment.alert_level, enrollment.status == "active"
        )
        if not state.needs_alert:
            return None, None
        pk, sk = cls.key_of(enrollment)
        return f"LOW#{shard_of(f'{pk}|{sk}', LOW_SHARDS)}", f"{pk}|{sk}"

    @classmethod
    def lot_keys(cls, enrollment: records.Enrollment, which: str) -> tuple[str | None, str | None]:
        """GSI2 (`LOTS_DUE`: the earliest expiry of a lot with sessions left) and GSI3
        (`LOTS_WARN`: the earliest such expiry not yet announced), both sparse and sharded:
        the expiry job reads only the enrollments whose time has come."""
        from ..domain import lots

        when = lots.due_at(enrollment.lots) if which == LOTS_DUE else lots.warn_at(enrollment.lots)
        if when is None or enrollment.status != "active" and which == LOTS_WARN:
            return None, None
        pk, sk = cls.key_of(enrollment)
        return f"{which}{shard_of(f'{pk}|{sk}', LOW_SHARDS)}", f"{when}|{pk}|{sk}"


class LedgerEntry(Item, discriminator="ledger"):
    RECORD = records.LedgerEntry
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
    lot_id = UnicodeAttribute(null=True)

    @staticmethod
    def prefix(student_id: str) -> str:
        return f"LEDGER#{student_id}#"

    @classmethod
    def key(cls, cid: str, schedule_id: str, student_id: str, seq: int) -> Key:
        return schedule_partition(cid, schedule_id), f"{cls.prefix(student_id)}{seq:010d}"

    KEY_FIELDS = ("company_id", "schedule_id", "student_id", "seq")


LOTS_DUE, LOTS_WARN = "LOTS#DUE#", "LOTS#WARN#"  # GSI2 / GSI3 partitions of the expiry job
MARKS_PENDING_PK = "MARKSYNC"


class Session(Item, discriminator="session"):
    RECORD = records.Session
    schedule_id = UnicodeAttribute()
    session_key = UnicodeAttribute()
    kind = UnicodeAttribute()
    teacher_id = UnicodeAttribute()
    teacher_name = UnicodeAttribute(null=True)
    student_id = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    status = UnicodeAttribute()
    origin = UnicodeAttribute()
    timezone = UnicodeAttribute(default="UTC")
    seats = NumberAttribute(default=0)
    cancelled_at = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    marks_pending = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    @staticmethod
    def sk(session_key: str) -> str:
        return f"SESSION#{session_key}"

    @classmethod
    def key(cls, cid: str, schedule_id: str, session_key: str) -> Key:
        return schedule_partition(cid, schedule_id), cls.sk(session_key)

    KEY_FIELDS = ("company_id", "schedule_id", "session_key")

    @staticmethod
    def timeline_key(starts_at: str, session_key: str = "") -> str:
        """LSI1 `Timeline`: a session, right after it its marks, in time order."""
        return f"T#{starts_at}#{session_key}" if session_key else f"T#{starts_at}"

    @staticmethod
    def starts_key(starts_at: str, session_id: str = "") -> str:
        """GSI2 (a teacher's sessions), in time order."""
        return f"S#{starts_at}#{session_id}" if starts_at else "S#"

    def index(self) -> None:
        sid = ids.session_id(self.schedule_id, self.session_key)
        self.LSI1SK = self.timeline_key(self.starts_at, self.session_key)
        self.GSI2PK = teacher_partition(self.company_id, self.teacher_id)
        self.GSI2SK = self.starts_key(self.starts_at, sid)
        # GSI3: the schedule's sessions alone, in time order (its list reads no marks)
        self.GSI3PK, self.GSI3SK = self.PK, self.LSI1SK
        # A booked 1:1 is its student's through their seat (Seat, kept from the stream), not GSI1.
        self.LSI2SK = None if self.student_id else f"{self.starts_at}#{self.session_key}"  # LSI2: open to all
        self.GSI1PK = self.GSI1SK = None
        if self.marks_pending:  # GSI4 (sparse): a move that has not reached every mark yet
            self.GSI4PK, self.GSI4SK = MARKS_PENDING_PK, f"{self.updated_at}#{self.PK}#{self.SK}"
        else:
            self.GSI4PK = self.GSI4SK = None


class Mark(Item, discriminator="mark"):
    RECORD = records.Mark
    schedule_id = UnicodeAttribute()
    schedule_name = UnicodeAttribute()
    session_key = UnicodeAttribute()
    student_id = UnicodeAttribute()
    student_name = UnicodeAttribute()
    kind = UnicodeAttribute()
    teacher_id = UnicodeAttribute()
    teacher_name = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute()
    timezone = UnicodeAttribute(default="UTC")
    status = UnicodeAttribute()
    charged = BooleanAttribute()
    held = BooleanAttribute()
    late = BooleanAttribute(default=False)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    charge_override = BooleanAttribute(null=True)
    override_reason = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    lot_id = UnicodeAttribute(null=True)
    recorded_by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    version = VersionAttribute()

    @staticmethod
    def sk(session_key: str, student_id: str = "") -> str:
        return f"SESSION#{session_key}#MARK#{student_id}"

    @classmethod
    def key(cls, cid: str, schedule_id: str, session_key: str, student_id: str) -> Key:
        return schedule_partition(cid, schedule_id), cls.sk(session_key, student_id)

    KEY_FIELDS = ("company_id", "schedule_id", "session_key", "student_id")

    @staticmethod
    def person_key(starts_at: str = "", session_id: str = "") -> str:
        """GSI1 `ByPerson`: one of the student's marks, in session time order."""
        return f"M#{starts_at}#{session_id}" if starts_at else "M#"

    @staticmethod
    def held_partition(cid: str) -> str:
        return f"C#{cid}#HELD"

    def index(self) -> None:
        sid = ids.session_id(self.schedule_id, self.session_key)
        self.LSI1SK = f"{Session.timeline_key(self.starts_at, self.session_key)}#M#{self.student_id}"
        self.GSI1PK = person_partition(self.company_id, self.student_id)
        self.GSI1SK = self.person_key(self.starts_at, sid)
        if self.held:  # GSI4 (sparse): a company's held no-shows, only while held
            self.GSI4PK = self.held_partition(self.company_id)
            self.GSI4SK = f"{self.starts_at}#{sid}#{self.student_id}"
        else:
            self.GSI4PK = self.GSI4SK = None


RECURRING_PK = "RECURRING"


class Seat(Item, discriminator="seat"):
    """A session in one student's GSI1 collection, sorting right after their mark of it."""

    RECORD = records.Seat
    schedule_id = UnicodeAttribute()
    session_key = UnicodeAttribute()
    student_id = UnicodeAttribute()
    starts_at = UnicodeAttribute()
    schedule_name = UnicodeAttribute(default="")

    @staticmethod
    def prefix(student_id: str) -> str:
        return f"SEAT#{student_id}#"

    @classmethod
    def key(cls, cid: str, schedule_id: str, student_id: str, session_key: str) -> Key:
        return schedule_partition(cid, schedule_id), f"{cls.prefix(student_id)}{session_key}"

    KEY_FIELDS = ("company_id", "schedule_id", "student_id", "session_key")

    @staticmethod
    def person_key(starts_at: str, session_id: str) -> str:
        """GSI1: beside the student's mark of the session (`M#{starts_at}#{session_id}`)."""
        return f"{Mark.person_key(starts_at, session_id)}#SEAT"

    def index(self) -> None:
        self.GSI1PK = person_partition(self.company_id, self.student_id)
        self.GSI1SK = self.person_key(self.starts_at, ids.session_id(self.schedule_id, self.session_key))


class NoShowRun(Item, discriminator="no_show_run"):
    """A student's latest no-show run, one item per student in the company's runs partition."""

    RECORD = records.NoShowRun
    student_id = UnicodeAttribute()
    entries = UnicodeAttribute(default="")  # "starts_at|code;..." newest first
    complete = BooleanAttribute(default=False)

    @staticmethod
    def partition(cid: str) -> str:
        return f"C#{cid}#RUNS"

    @classmethod
    def key(cls, cid: str, student_id: str) -> Key:
        return cls.partition(cid), student_id

    KEY_FIELDS = ("company_id", "student_id")

    @classmethod
    def of(cls, record) -> "NoShowRun":
        pk, sk = cls.key_of(record)
        return cls(
            pk,
            sk,
            company_id=record.company_id,
            student_id=record.student_id,
            entries=";".join(f"{at}|{code}" for at, code in record.entries),
            complete=record.complete,
        )

    def record(self) -> records.NoShowRun:
        entries = tuple((at, code) for at, code in (e.split("|", 1) for e in (self.entries or "").split(";") if e))
        return records.NoShowRun(
            company_id=self.company_id, student_id=self.student_id, entries=entries, complete=bool(self.complete)
        )


class RecurringPlan(Item, discriminator="plan"):
    """How far ahead a recurring schedule's sessions exist; apart from the schedule, so the
    daily job never changes the schedule's version."""

    RECORD = records.RecurringPlan
    schedule_id = UnicodeAttribute()
    horizon_until = UnicodeAttribute()

    @staticmethod
    def key(cid: str, schedule_id: str) -> Key:
        return schedule_partition(cid, schedule_id), "#PLAN"

    KEY_FIELDS = ("company_id", "schedule_id")

    def index(self) -> None:
        """GSI4: recurring schedules of every company, by how far ahead their sessions exist."""
        self.GSI4PK, self.GSI4SK = RECURRING_PK, f"{self.horizon_until}#{self.company_id}#{self.schedule_id}"


# --- low-balance notifications ------------------------------------------------------------------

THRESHOLD_CHANGES_PK = "RETHRESHOLD"


class ThresholdChange(Item, discriminator="threshold_change"):
    RECORD = records.ThresholdChange
    scope = UnicodeAttribute()
    changed_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(cid: str, scope: str) -> Key:
        return f"{company_partition(cid)}#RETHRESHOLD", scope

    KEY_FIELDS = ("company_id", "scope")

    def index(self) -> None:
        self.GSI4PK, self.GSI4SK = THRESHOLD_CHANGES_PK, f"{self.company_id}#{self.scope}"


MAIL_SHARDS = 8


class Notification(Item, discriminator="notification"):
    RECORD = records.Notification
    notification_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    kind = UnicodeAttribute()
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
    email = UnicodeAttribute(default="pending")
    expiring = NumberAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    runs_out_on = UnicodeAttribute(null=True)
    booked_after = NumberAttribute(null=True)

    @staticmethod
    def partition(cid: str, staff_id: str) -> str:
        return f"C#{cid}#N#{staff_id}"

    @classmethod
    def key(cls, cid: str, staff_id: str, notification_id: str = "") -> Key:
        return cls.partition(cid, staff_id), f"N#{notification_id}"

    KEY_FIELDS = ("company_id", "staff_id", "notification_id")

    @staticmethod
    def mail_queue(shard: int) -> str:
        return f"MAILQ#{shard}"

    def index(self) -> None:
        """GSI4 (sparse): queued for the job's email until the email is settled."""
        if self.email == "pending":
            self.GSI4PK = self.mail_queue(shard_of(self.notification_id, MAIL_SHARDS))
            self.GSI4SK = f"{self.company_id}#{self.staff_id}#{self.notification_id}"
        else:
            self.GSI4PK = self.GSI4SK = None


class EmailRecord(Item, discriminator="email"):
    """One email to one staff member by one job run, recorded before it is sent."""

    staff_id = UnicodeAttribute()
    to = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    notification_ids = ListAttribute(of=UnicodeAttribute)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(cid: str, staff_id: str, run_date: str, digest: str) -> Key:
        return f"C#{cid}#MAIL#{staff_id}", f"{run_date}#{digest}"


OUTBOX_PK = "LOCAL#OUTBOX"


class OutboxMessage(Item, discriminator="outbox"):
    RECORD = records.OutboxMessage
    message_id = UnicodeAttribute()
    to = UnicodeAttribute()
    sender = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(message_id: str) -> Key:
        return OUTBOX_PK, message_id

    KEY_FIELDS = ("message_id",)


# --- booking systems -----------------------------------------------------------------------------


class Integration(Item, discriminator="integration"):
    """Stored under its own id (a webhook URL names only that), listed per company (GSI1)."""

    RECORD = records.Integration
    integration_id = UnicodeAttribute()
    provider = UnicodeAttribute()
    name = UnicodeAttribute()
    event_types: MapAttribute[str, str] = MapAttribute(default=dict)
    default_schedule_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    secret = UnicodeAttribute()
    previous_secret = UnicodeAttribute(null=True)
    previous_secret_until = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    @staticmethod
    def key(integration_id: str) -> Key:
        return f"INTEGRATION#{integration_id}", "#INTEGRATION"

    KEY_FIELDS = ("integration_id",)

    @staticmethod
    def company_list(cid: str) -> str:
        return f"C#{cid}#INTEGRATIONS"

    def index(self) -> None:
        self.GSI1PK, self.GSI1SK = self.company_list(self.company_id), self.integration_id


class Booking(Item, discriminator="booking"):
    RECORD = records.Booking
    integration_id = UnicodeAttribute(null=True)
    booking_id = UnicodeAttribute()
    state = UnicodeAttribute()
    schedule_id = UnicodeAttribute(null=True)
    session_key = UnicodeAttribute(null=True)
    student_id = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    replaced_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(cid: str, integration_id: str, booking_id: str) -> Key:
        return f"C#{cid}#I#{integration_id}#B", booking_id

    KEY_FIELDS = ("company_id", "integration_id", "booking_id")


class Delivery(Item, discriminator="delivery"):
    RECORD = records.Delivery
    delivery_id = UnicodeAttribute()
    integration_id = UnicodeAttribute()
    provider = UnicodeAttribute()
    provider_key = UnicodeAttribute()
    event = UnicodeAttribute(null=True)
    booking_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)  # only on deliveries stored before bodies were kept apart
    content_type = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    repeats = NumberAttribute(default=0)
    replays = NumberAttribute(default=0)

    @staticmethod
    def partition(cid: str, integration_id: str) -> str:
        return f"C#{cid}#I#{integration_id}#D"

    @classmethod
    def key(cls, cid: str, integration_id: str, delivery_id: str) -> Key:
        return cls.partition(cid, integration_id), delivery_id

    KEY_FIELDS = ("company_id", "integration_id", "delivery_id")

    @staticmethod
    def failed_partition(cid: str, integration_id: str) -> str:
        return f"C#{cid}#I#{integration_id}#FAILED"

    def index(self) -> None:
        self.LSI1SK = f"{self.received_at}#{self.delivery_id}"  # newest first from the timeline
        if self.status == "failed":  # GSI4 (sparse): only while failed
            self.GSI4PK = self.failed_partition(self.company_id, self.integration_id)
            self.GSI4SK = self.LSI1SK
        else:
            self.GSI4PK = self.GSI4SK = None


class DeliveryBody(Item, discriminator="delivery_body"):
    """A delivery's raw body (it names people), kept for replays until its TTL; the
    delivery's outcome outlives it."""

    body = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(cid: str, integration_id: str, delivery_id: str) -> Key:
        return Delivery.partition(cid, integration_id), f"{delivery_id}#BODY"


# --- report counters and the records of the write path ------------------------------------------


class Stats(Item, discriminator="stats"):
    """Report counters of one entity for one day (kept by the counters' stream handler)."""

    RECORD = records.Counters
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
    forfeited = NumberAttribute(default=0)

    @staticmethod
    def partition(cid: str, dimension: str) -> str:
        return f"C#{cid}#STATS#{dimension}"

    @classmethod
    def key(cls, cid: str, dimension: str, day: str, entity: str = "") -> Key:
        return cls.partition(cid, dimension), f"{day}#{entity}"

    KEY_FIELDS = ("company_id", "dimension", "day", "entity")


class AppliedChange(Item, discriminator="applied_change"):
    """A stream record already added to the report counters (so a redelivery adds nothing)."""

    expires_at = NumberAttribute()

    @staticmethod
    def key(event_id: str) -> Key:
        return f"CHANGE#{event_id}", "#APPLIED"


class IdempotencyRecord(Item, discriminator="idempotency"):
    """The answer of a request sent with an Idempotency-Key, written with its effect."""

    fingerprint = UnicodeAttribute()
    status_code = NumberAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # TTL, epoch seconds

    @staticmethod
    def key(cid: str, subject: str, key: str) -> Key:
        return f"C#{cid}#IDEM#{subject}#{key}", "IDEM"


# --- imports -------------------------------------------------------------------------------------


class Import(Item, discriminator="import"):
    """In the company partition; its file's parts and rows in a partition of its own."""

    RECORD = records.Import
    import_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    parts = NumberAttribute(default=0)
    rows = NumberAttribute(default=0)
    ready = NumberAttribute(default=0)
    needs_information = NumberAttribute(default=0)
    duplicate = NumberAttribute(default=0)
    error = NumberAttribute(default=0)
    applied = NumberAttribute(default=0)
    undone = NumberAttribute(default=0)
    kept = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    next_row = NumberAttribute(default=0)
    step = NumberAttribute(default=0)
    committed_at = UnicodeAttribute(null=True)
    undo_until = UnicodeAttribute(null=True)
    problem = UnicodeAttribute(null=True)
    version = VersionAttribute()

    PREFIX: ClassVar[str] = "IMPORT#"

    @classmethod
    def key(cls, cid: str, import_id: str) -> Key:
        return company_partition(cid), f"{cls.PREFIX}{import_id}"

    KEY_FIELDS = ("company_id", "import_id")

    @staticmethod
    def partition(cid: str, import_id: str) -> str:
        """The import's file parts and rows."""
        return f"C#{cid}#IMPORT#{import_id}"


class ImportPart(Item, discriminator="import_part"):
    RECORD = records.ImportPart
    import_id = UnicodeAttribute()
    part = NumberAttribute()
    text = UnicodeAttribute()

    @classmethod
    def key(cls, cid: str, import_id: str, part: int) -> Key:
        return Import.partition(cid, import_id), f"PART#{part:04d}"

    KEY_FIELDS = ("company_id", "import_id", "part")


class ImportRow(Item, discriminator="import_row"):
    RECORD = records.ImportRow
    import_id = UnicodeAttribute()
    row = NumberAttribute()
    status = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    schedule = UnicodeAttribute(null=True)
    schedule_id = UnicodeAttribute(null=True)
    sessions = NumberAttribute(default=0)
    expires_at = UnicodeAttribute(null=True)
    responsible_staff_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    student_id = UnicodeAttribute(null=True)
    created_student = BooleanAttribute(default=False)
    reason = UnicodeAttribute(null=True)
    version = VersionAttribute()

    PREFIX: ClassVar[str] = "ROW#"

    @staticmethod
    def sk(row: int) -> str:
        return f"ROW#{row:06d}"

    @classmethod
    def key(cls, cid: str, import_id: str, row: int) -> Key:
        return Import.partition(cid, import_id), cls.sk(row)

    KEY_FIELDS = ("company_id", "import_id", "row")
