"""Packages (lots) beyond top-ups: pauses, statements, and the daily expiry job.

- A pause is one write of the enrollment: the pause and every lot's moved expiry together,
  over the version read (domain/lots.py says which expiries move).
- A statement is worked out from the ledger (every entry names its lot) as of any day:
  nothing is stored for it, so it always agrees with the balance of that day.
- The expiry job reads only the enrollments whose earliest expiry has come (the sparse
  `LOTS#DUE#` index, sharded) and expires each lapsed lot with one `expiry` entry, in one
  transaction per enrollment over its version: a rerun or a run after a crash finds the
  lot expired and the enrollment out of the index, so nothing expires twice. Before that,
  the `LOTS#WARN#` index names the enrollments with a lot lapsing within the company's
  warning days: the responsible staff member is told once per lot (the lot notes when),
  and the portal shows it from the lot.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import clock, ids
from ..domain import lots, records
from ..errors import InvalidInput, NotFound
from ..observability import count, log_event
from ..store import enrollments as store
from ..store import notifications as notification_store
from ..store import reads
from ..store import unit_of_work as uow_
from ..store.unit_of_work import Idempotency, UnitOfWork
from .context import Actor
from .people import own_student_id

DEFAULT_WARNING_DAYS = 14
MAX_WARNING_DAYS = 30  # the warning index is read this far ahead
NO_FLOOR = -(10**9)  # an expiry is never refused by a floor: it only records what lapsed


def _zone(schedule: records.Schedule | None, company: records.Company | None) -> ZoneInfo:
    return ZoneInfo(schedule.timezone if schedule else company.timezone if company else "UTC")


def _midnight(day: date, zone: ZoneInfo) -> str:
    return clock.iso(datetime.combine(day, time.min, zone))


# --- pauses ----------------------------------------------------------------------------------


def _load(actor: Actor, enrollment_id: str):
    parsed = ids.parse_enrollment_id(enrollment_id)
    if parsed is None:
        raise NotFound("enrollment", enrollment_id)
    cid = actor.company_id
    wanted = [reads.enrollment(cid, *parsed), reads.schedule(cid, parsed[0]), reads.company(cid)]
    found = reads.load(wanted)
    enrollment = found.get(wanted[0])
    if enrollment is None:
        raise NotFound("enrollment", enrollment_id)
    return enrollment, found.get(wanted[1]), found.get(wanted[2])


def pause(
    actor: Actor, enrollment_id: str, *, starts_on: date, ends_on: date, reason: str, claim: Idempotency | None = None
) -> records.Enrollment:
    """Pause the enrollment from `starts_on` through `ends_on` (days in the schedule's zone):
    no charge lands on a session starting in it, and every lot's expiry moves by its length."""

    def step(uow: UnitOfWork) -> records.Enrollment:
        enrollment, schedule, company = _load(actor, enrollment_id)
        if ends_on < starts_on:
            raise InvalidInput(
                "a pause ends on or after its first day", [{"field": "ends_on", "message": "before starts_on"}]
            )
        if (ends_on - starts_on).days > 366:
            raise InvalidInput("a pause lasts at most a year", [{"field": "ends_on", "message": "over 366 days"}])
        zone, now = _zone(schedule, company), clock.now_iso()
        made = records.Pause(
            pause_id=f"P{len(enrollment.pauses) + 1}",
            starts=_midnight(starts_on, zone),
            ends=_midnight(ends_on + timedelta(days=1), zone),
            reason=reason,
            at=now,
        )
        plan, pauses = lots.add_pause(enrollment, made, now)
        after, _ = uow.move_balance(
            enrollment,
            plan,
            floor=NO_FLOOR,
            actor=actor.label,
            at=now,
            reference=f"pause:{made.pause_id}",
            pauses=pauses,
        )
        return after

    return uow_.run(step, company_id=actor.company_id, idempotency=claim)


def end_pause(
    actor: Actor, enrollment_id: str, pause_id: str, *, on: date | None, claim: Idempotency | None = None
) -> records.Enrollment:
    """End a pause after the day `on` (default: today): the days not used come off the
    expiries it moved."""

    def step(uow: UnitOfWork) -> records.Enrollment:
        enrollment, schedule, company = _load(actor, enrollment_id)
        zone, now = _zone(schedule, company), clock.now_iso()
        last = on or clock.now().astimezone(zone).date()
        if not any(p.pause_id == pause_id for p in enrollment.pauses):
            raise NotFound("pause", pause_id)
        moved, pauses = lots.end_pause(enrollment, pause_id, _midnight(last + timedelta(days=1), zone))
        plan = lots.Plan(moved, lots.owed_of(enrollment), ())
        after, _ = uow.move_balance(
            enrollment, plan, floor=NO_FLOOR, actor=actor.label, at=now, reference=f"pause:{pause_id}", pauses=pauses
        )
        return after

    return uow_.run(step, company_id=actor.company_id, idempotency=claim)


# --- statements ------------------------------------------------------------------------------


@dataclass
class LotLine:
    seq: int
    at: str
    kind: str
    delta: int
    balance_after: int
    reference: str | None
    note: str | None


@dataclass
class LotStatement:
    lot: records.Lot
    lines: list[LotLine] = field(default_factory=list)
    remaining: int = 0
    used: int = 0
    given_back: int = 0
    expired: int = 0
    settled: int = 0

    @property
    def lot_id(self) -> str:
        return self.lot.lot_id


@dataclass
class Statement:
    enrollment: records.Enrollment
    as_of: str | None  # the day (YYYY-MM-DD), None: now
    until: str | None  # the instant it is drawn up to
    timezone: str
    lots: list[LotStatement]
    owed: int
    owed_lines: list[LotLine]
    balance: int

    @property
    def enrollment_id(self) -> str:
        return self.enrollment.enrollment_id


def draw_up(
    enrollment: records.Enrollment, entries: list[records.LedgerEntry], until: str | None, zone: str, as_of: str | None
) -> Statement:
    """Every lot with what was taken from it, when and for what, what was given back, what
    expired and what is left, from the ledger up to `until` (an instant; None: all)."""
    packages = lots.lots_of(enrollment)
    legacy = next((lot for lot in packages if lot.lot_id == lots.LEGACY_LOT), None)
    legacy_seq = enrollment.seq if legacy is not None and not enrollment.lots else 0
    if legacy is not None and enrollment.lots:
        legacy_seq = _legacy_seq(entries)
    by_id = {lot.lot_id: LotStatement(lot) for lot in packages}
    owed_lines: list[LotLine] = []
    owed, before, balance = 0, 0, 0
    for entry in sorted(entries, key=lambda e: e.seq):
        if until is not None and entry.at >= until:
            break
        balance = entry.balance_after
        line = LotLine(entry.seq, entry.at, entry.kind, entry.delta, entry.balance_after, entry.reference, entry.note)
        if entry.lot_id is None and entry.seq <= legacy_seq:
            before += entry.delta  # before packages: the opening lot L0 holds what they left
            continue
        if entry.lot_id is None and not entry.delta:
            continue  # an opening of no sessions: nothing held, nothing owed
        if entry.lot_id is None or entry.lot_id not in by_id:
            owed -= entry.delta
            owed_lines.append(line)
            continue
        lot = by_id[entry.lot_id]
        lot.lines.append(line)
        lot.remaining += entry.delta
        if entry.kind == lots.EXPIRY:
            lot.expired -= entry.delta
        elif entry.kind == lots.SETTLEMENT:
            lot.settled -= entry.delta
        elif entry.delta < 0:
            lot.used -= entry.delta
        elif entry.kind in ("reversal",):
            lot.given_back += entry.delta
    if legacy is not None:
        held = by_id[lots.LEGACY_LOT]
        held.remaining += max(before, 0)
        owed += max(-before, 0)
    shown = [
        lot
        for lot in by_id.values()
        if until is None or lot.lot.at < until or lot.lines or lot.lot_id == lots.LEGACY_LOT and legacy_seq
    ]
    return Statement(
        enrollment=enrollment,
        as_of=as_of,
        until=until,
        timezone=zone,
        lots=shown,
        owed=owed,
        owed_lines=owed_lines,
        balance=balance,
    )


def _legacy_seq(entries: list[records.LedgerEntry]) -> int:
    """The last entry written before the enrollment held lots: the one before the first that names a lot."""
    first = min((e.seq for e in entries if e.lot_id is not None), default=None)
    return (first - 1) if first is not None else max((e.seq for e in entries), default=0)


def _ledger(enrollment: records.Enrollment) -> list[records.LedgerEntry]:
    """The enrollment's whole ledger (a consistent Query of its entries, page by page)."""
    out: list[records.LedgerEntry] = []
    cursor = None
    while True:
        page = store.list_ledger(enrollment.company_id, enrollment.schedule_id, enrollment.student_id, 200, cursor)
        out += page.items
        cursor = page.next
        if not cursor:
            return out


def statement(actor: Actor, enrollment_id: str, as_of: date | None) -> Statement:
    enrollment, schedule, company = _load(actor, enrollment_id)
    return _statement(enrollment, schedule, company, as_of)


def my_statement(actor: Actor, enrollment_id: str, as_of: date | None) -> Statement:
    """The signed-in student's own statement; another student's enrollment is not found."""
    parsed = ids.parse_enrollment_id(enrollment_id)
    if parsed is None or parsed[1] != own_student_id(actor):
        raise NotFound("enrollment", enrollment_id)
    return statement(actor, enrollment_id, as_of)


def _statement(
    enrollment: records.Enrollment,
    schedule: records.Schedule | None,
    company: records.Company | None,
    as_of: date | None,
) -> Statement:
    zone = _zone(schedule, company)
    until = _midnight(as_of + timedelta(days=1), zone) if as_of else None
    entries = _ledger(enrollment)
    return draw_up(enrollment, entries, until, zone.key, as_of.isoformat() if as_of else None)


# --- the daily expiry job --------------------------------------------------------------------


@dataclass
class ExpiryRun:
    date: str
    enrollments_due: int = 0
    lots_expired: int = 0
    sessions_expired: int = 0
    enrollments_warned: int = 0
    lots_warned: int = 0
    notifications: int = 0


def run_expiry(today: date) -> dict:
    """Expire what lapsed by now; then announce what lapses within each company's warning days."""
    summary = ExpiryRun(date=today.isoformat())
    now = clock.now_iso()
    for shard in store.low_shards():
        for due in uow_.reading(lambda: store.lots_due(shard, now), company_id=None):
            summary.enrollments_due += 1
            expired = _expire_one(due, now)
            summary.lots_expired += len(expired)
            summary.sessions_expired += sum(-m.delta for m in expired)
    horizon = clock.iso(clock.now() + timedelta(days=MAX_WARNING_DAYS))
    companies: dict[str, records.Company | None] = {}
    for shard in store.low_shards():
        for due in uow_.reading(lambda: store.lots_to_warn(shard, horizon), company_id=None):
            if due.company_id not in companies:
                companies[due.company_id] = uow_.reading(
                    lambda: reads.get(reads.company(due.company_id)), company_id=due.company_id
                )
            company = companies[due.company_id]
            days = (company.lot_warning_days if company else None) or DEFAULT_WARNING_DAYS
            made, warned = _warn_one(due, now, days, today)
            summary.enrollments_warned += bool(warned)
            summary.lots_warned += warned
            summary.notifications += made
    count("LotsExpired", summary.lots_expired)
    log_event("job", job="lot-expiry", **summary.__dict__)
    return summary.__dict__


def _expire_one(due: records.Enrollment, now: str) -> list[lots.Move]:
    cid = due.company_id

    def step(uow: UnitOfWork) -> list[lots.Move]:
        current = store.get_enrollment(cid, due.schedule_id, due.student_id)  # the index's copy may be stale
        if current is None:
            return []
        plan = lots.expire_lapsed(current, now)
        if plan.lots == current.lots and not plan.moves:
            return []
        uow.move_balance(current, plan, floor=NO_FLOOR, actor="job:lot-expiry", at=now)
        return [m for m in plan.moves if m.kind == lots.EXPIRY]

    return uow_.run(step, company_id=cid)


def _warn_one(due: records.Enrollment, now: str, days: int, today: date) -> tuple[int, int]:
    cid = due.company_id

    def step(uow: UnitOfWork) -> tuple[int, int]:
        current = store.get_enrollment(cid, due.schedule_id, due.student_id)
        if current is None:
            return 0, 0
        which = lots.to_warn(current.lots, now, days)
        if not which:
            return 0, 0
        plan = lots.Plan(lots.warned(current.lots, which, now), current.owed, ())
        uow.move_balance(current, plan, floor=NO_FLOOR, actor="job:lot-expiry", at=now)
        expiring = sum(lot.remaining for lot in which)
        first = min(lot.expires_at or "" for lot in which)
        notice = records.Notification(
            company_id=cid,
            staff_id=current.responsible_staff_id,
            notification_id=ids.new_id(),
            kind="sessions_expiring",
            schedule_id=current.schedule_id,
            schedule_name=current.schedule_name,
            student_id=current.student_id,
            student_name=current.student_name,
            balance=current.balance,
            threshold=current.threshold,
            created_at=now,
            run_date=today.isoformat(),
            last_session_at=current.last_session_at,
            expiring=expiring,
            expires_at=first,
            email="skipped",
        )
        notification_store.add_notification(uow, notice)
        return 1, len(which)

    return uow_.run(step, company_id=cid)
