"""The school's records as the services see them: plain, immutable values.

The store turns items into these and these into items (`chalicelib/store/models.py`);
nothing here knows about DynamoDB. A record's `version` is the version it was read at
(0 for one not stored yet): the store writes a changed record only if the stored one is
still at that version. Services derive a changed record with `dataclasses.replace` and
hand it to a repository; they never edit one in place.

Every record carries its `company_id`, so nothing has to parse it out of a key.

The file is every record of the school in one place on purpose, as `store/models.py` is
every item: a newcomer reads the whole vocabulary once.
"""

from dataclasses import dataclass, field

from .. import ids


@dataclass(frozen=True)
class Company:
    company_id: str
    name: str
    timezone: str
    low_balance_threshold: int
    created_at: str
    updated_at: str
    # Report thresholds (None: the defaults of chalicelib/domain/reports.py).
    min_marks: int | None = None
    decline_points: int | None = None
    no_show_streak: int | None = None
    rate_below: int | None = None
    teacher_cancellation_threshold: int | None = None
    teacher_min_sessions: int | None = None
    # Packages (lots): the validity a top-up gets when it names none (None: no expiry), and
    # how many days ahead a lot's unused sessions are announced before they lapse.
    lot_valid_days: int | None = None
    lot_warning_days: int | None = None
    version: int = 0


@dataclass(frozen=True)
class StaffMember:
    company_id: str
    staff_id: str
    name: str
    email: str
    role: str  # admin | staff | teacher
    created_at: str
    user_id: str | None = None


@dataclass(frozen=True)
class Student:
    company_id: str
    student_id: str
    name: str
    email: str
    created_at: str
    user_id: str | None = None


@dataclass(frozen=True)
class UserRef:
    """Which person a login (`user_id`, a token's `sub`) is, within one company."""

    company_id: str
    user_id: str
    person_kind: str  # staff | student
    person_id: str
    role: str | None = None  # a staff member's role (admin, staff, teacher), kept with the login


@dataclass(frozen=True)
class Policy:
    cancelled: str = "credit"  # credit | deduct
    no_show: str = "deduct"  # deduct | hold
    late_cancel_hours: int | None = None
    overdraft: int = 0


@dataclass(frozen=True)
class Recurrence:
    weekdays: tuple[str, ...]
    start_time: str
    duration_minutes: int
    start_date: str
    end_date: str | None = None


@dataclass(frozen=True)
class Schedule:
    company_id: str
    schedule_id: str
    name: str
    kind: str  # group | one_to_one
    teacher_id: str
    timezone: str
    policy: Policy
    created_at: str
    updated_at: str
    teacher_name: str | None = None
    capacity: int | None = None
    recurrence: Recurrence | None = None
    low_balance_threshold: int | None = None
    lot_valid_days: int | None = None  # a top-up's validity here when it names none
    # Kept in the enrollments' transactions, at most `seats`; None on a schedule written before
    # seats were counted (the first enrollment change counts its roster).
    active_enrollments: int | None = 0
    version: int = 0


@dataclass(frozen=True)
class Lot:
    """One package of sessions an enrollment holds (domain/lots.py says how they are used).

    `remaining` counts what is left to use; `settled` how many of its sessions paid for
    sessions owed when it came; `expired` how many lapsed unused (written once, by the
    `expiry` entry, at `expired_at`). Instants are ISO 8601 UTC."""

    lot_id: str
    sessions: int
    remaining: int
    at: str  # bought or allocated
    source: str  # opening | top_up | sale | make_up | adjustment
    expires_at: str | None = None
    unit_price: str | None = None  # a decimal, in `currency`
    currency: str | None = None
    note: str | None = None
    settled: int = 0
    expired: int = 0
    expired_at: str | None = None
    warned_at: str | None = None  # when its coming expiry was announced
    timezone: str | None = None  # its schedule's, when it was made: the zone its days are shown in

    @property
    def used(self) -> int:
        """Sessions taken from it (by charges, corrections and paying what was owed)."""
        return self.sessions - self.remaining - self.expired

    @property
    def state(self) -> str:
        if self.expired_at is not None:
            return "expired"
        return "active" if self.remaining else "used_up"


@dataclass(frozen=True)
class Pause:
    """A freeze of an enrollment: no charge lands on a session starting in [starts, ends)."""

    pause_id: str
    starts: str  # ISO instant (the first day's midnight in the schedule's zone)
    ends: str
    reason: str
    at: str
    ended_early_at: str | None = None


@dataclass(frozen=True)
class Enrollment:
    company_id: str
    schedule_id: str
    student_id: str
    student_name: str
    schedule_name: str
    initial_balance: int
    balance: int
    seq: int  # sequence number of the latest ledger entry
    status: str  # active | ended
    responsible_staff_id: str
    created_at: str
    updated_at: str
    low_balance_threshold: int | None = None  # the enrollment's own, if set
    threshold: int = 2  # the one that applies (own, schedule's, company's)
    alert_level: int = 0  # low-balance level already announced (0, 1, 2)
    last_session_at: str | None = None  # start of the latest session charged
    # The packages and what is owed (sessions charged beyond every lot). An enrollment written
    # before lots held its whole balance as one lot without expiry (domain/lots.lots_of).
    lots: tuple[Lot, ...] = ()
    owed: int = 0
    pauses: tuple[Pause, ...] = ()
    version: int = 0

    @property
    def enrollment_id(self) -> str:
        return ids.enrollment_id(self.schedule_id, self.student_id)

    @property
    def packages(self) -> tuple[Lot, ...]:
        """Its lots, one written before lots read as one (domain/lots.lots_of)."""
        from .lots import lots_of

        return lots_of(self)

    @property
    def owed_sessions(self) -> int:
        from .lots import owed_of

        return owed_of(self)


@dataclass(frozen=True)
class LedgerEntry:
    company_id: str
    schedule_id: str
    student_id: str
    seq: int
    at: str
    delta: int
    balance_after: int
    kind: str
    actor: str
    reference: str | None = None
    note: str | None = None
    lot_id: str | None = None  # the lot it moved (None: what is owed)


@dataclass(frozen=True)
class Session:
    """A dated occurrence of a schedule; `session_key` is unique within the schedule."""

    company_id: str
    schedule_id: str
    session_key: str
    kind: str
    teacher_id: str
    starts_at: str
    ends_at: str
    status: str  # scheduled | cancelled
    origin: str  # recurrence | one_off | booking
    created_at: str
    updated_at: str
    teacher_name: str | None = None
    student_id: str | None = None  # set when the session is one student's own (a booked 1:1)
    timezone: str = "UTC"  # the schedule's, when the session was made (report days)
    seats: int = 0  # the group's capacity when the session was made; 0 for 1:1
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    # Set while a move or substitution has not yet reached every mark (a bounded,
    # resumable sweep follows the change; see services/sessions.py).
    marks_pending: bool = False
    version: int = 0

    @property
    def session_id(self) -> str:
        return ids.session_id(self.schedule_id, self.session_key)


@dataclass(frozen=True)
class Mark:
    """One student's attendance status for one session, and what it cost."""

    company_id: str
    schedule_id: str
    schedule_name: str
    session_key: str
    student_id: str
    student_name: str
    kind: str
    teacher_id: str
    starts_at: str
    status: str  # attended | cancelled | no_show
    charged: bool
    held: bool
    recorded_by: str
    recorded_at: str
    teacher_name: str | None = None
    timezone: str = "UTC"  # the session's, so the report counters know the mark's local day
    late: bool = False
    cancelled_at: str | None = None
    cancelled_by: str | None = None  # student | school
    charge_override: bool | None = None
    override_reason: str | None = None
    note: str | None = None
    lot_id: str | None = None  # the lot its charge took a session from (None: owed, or not charged)
    version: int = 0

    @property
    def session_id(self) -> str:
        return ids.session_id(self.schedule_id, self.session_key)


@dataclass(frozen=True)
class Seat:
    """A session as one student's: a pointer in their own collection (GSI1), so their
    sessions across schedules are one query. Kept from the table's stream
    (services/seats.py); the session itself is read by its key."""

    company_id: str
    schedule_id: str
    session_key: str
    student_id: str
    starts_at: str
    schedule_name: str = ""

    @property
    def session_id(self) -> str:
        return ids.session_id(self.schedule_id, self.session_key)


@dataclass(frozen=True)
class NoShowRun:
    """A student's latest marks down to the one that ended their no-show run, newest first,
    as (session start, code) pairs (services/runs.py); `complete`: every mark they have."""

    company_id: str
    student_id: str
    entries: tuple[tuple[str, str], ...] = ()
    complete: bool = False


@dataclass(frozen=True)
class RecurringPlan:
    """How far ahead a recurring schedule's sessions exist."""

    company_id: str
    schedule_id: str
    horizon_until: str  # local date


@dataclass(frozen=True)
class ThresholdChange:
    """A schedule's (`scope` = its id) or the company's (`scope` = COMPANY) threshold changed."""

    company_id: str
    scope: str
    changed_at: str = ""  # a fresh id per change, so the job forgets only the change it saw


@dataclass(frozen=True)
class Notification:
    company_id: str
    staff_id: str
    notification_id: str
    kind: str  # low_balance | balance_exhausted
    schedule_id: str
    schedule_name: str
    student_id: str
    student_name: str
    balance: int
    threshold: int
    created_at: str
    run_date: str
    last_session_at: str | None = None
    read_at: str | None = None
    email: str = "pending"  # pending | sent | skipped
    expiring: int | None = None  # sessions_expiring: how many lapse unused, the first at `expires_at`
    expires_at: str | None = None
    runs_out_on: str | None = None  # low balance: the day it runs out at the recent pace (None: no pace)
    booked_after: int | None = None  # low balance: sessions scheduled in the 8 weeks after that day


@dataclass(frozen=True)
class OutboxMessage:
    """An email "sent" in the local stage."""

    message_id: str
    company_id: str
    to: str
    sender: str
    subject: str
    body: str
    created_at: str


@dataclass(frozen=True)
class Integration:
    integration_id: str
    company_id: str
    provider: str
    name: str
    secret: str
    created_at: str
    updated_at: str
    event_types: dict[str, str] = field(default_factory=dict)  # provider event type -> schedule id
    default_schedule_id: str | None = None
    account_id: str | None = None  # Acuity: the user id for its API
    previous_secret: str | None = None  # still accepted during a rotation
    previous_secret_until: str | None = None
    active: bool = True
    version: int = 0

    def event_type_map(self) -> dict[str, str]:
        return dict(self.event_types)


@dataclass(frozen=True)
class Booking:
    """What a booking system's booking became here."""

    company_id: str
    integration_id: str
    booking_id: str
    state: str  # booked | cancelled | moved | moving
    updated_at: str
    schedule_id: str | None = None
    session_key: str | None = None
    student_id: str | None = None
    cancelled_at: str | None = None
    cancelled_by: str | None = None
    replaced_by: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery and its outcome."""

    company_id: str
    integration_id: str
    delivery_id: str
    provider: str
    provider_key: str
    status: str  # applied | duplicate | ignored | failed
    received_at: str
    updated_at: str
    body: str | None = None  # the raw body, kept apart for a limited time (DeliveryBody)
    event: str | None = None
    booking_id: str | None = None
    reason: str | None = None
    content_type: str | None = None
    repeats: int = 0
    replays: int = 0


@dataclass(frozen=True)
class Counters:
    """Report counters of one entity (a student, teacher, schedule, or the company) for one day."""

    company_id: str
    dimension: str
    entity: str
    day: str
    sessions: int = 0
    cancelled: int = 0
    seats: int = 0
    attended: int = 0
    no_show: int = 0
    cancelled_student: int = 0
    cancelled_school: int = 0
    charged: int = 0
    sold: int = 0
    forfeited: int = 0  # sessions of packages that expired unused


@dataclass(frozen=True)
class Import:
    """A CSV of students, enrollments and opening lots from another system, worked through in
    background steps (services/imports.py): validated, then committed, then perhaps undone."""

    company_id: str
    import_id: str
    name: str
    status: str  # validating | validated | committing | committed | undoing | undone | failed
    created_by: str
    created_at: str
    updated_at: str
    parts: int = 0
    rows: int = 0
    ready: int = 0
    needs_information: int = 0
    duplicate: int = 0
    error: int = 0
    applied: int = 0
    undone: int = 0
    kept: int = 0
    failed: int = 0  # ready rows that could not be applied after all (the row says why)
    next_row: int = 0  # where the running step goes on from
    step: int = 0
    committed_at: str | None = None
    undo_until: str | None = None
    problem: str | None = None
    version: int = 0


@dataclass(frozen=True)
class ImportPart:
    company_id: str
    import_id: str
    part: int
    text: str


@dataclass(frozen=True)
class ImportRow:
    """One line of an import: what it says, what the dry run made of it, what became of it."""

    company_id: str
    import_id: str
    row: int  # the line of the file (the header is line 1)
    status: str  # ready | needs_information | duplicate | error | applied | failed | undone | kept
    name: str | None = None
    email: str | None = None
    schedule: str | None = None  # as written
    schedule_id: str | None = None
    sessions: int = 0
    expires_at: str | None = None
    responsible_staff_id: str | None = None
    user_id: str | None = None
    student_id: str | None = None  # an existing student's, or the one the commit made
    created_student: bool = False
    reason: str | None = None
    version: int = 0


@dataclass(frozen=True)
class CountedThrough:
    """How fresh a company's report counters are: the newest change they include."""

    company_id: str
    counted_through: str | None = None  # when that change was made
    counted_at: str | None = None  # when the counters took it in
