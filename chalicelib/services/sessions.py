"""Sessions: made ahead from a schedule's recurrence, added one-off, moved, given a
substitute teacher; and the daily job that keeps the horizon filled."""
from datetime import date, datetime, timedelta
from typing import Any

from .. import clock, ids
from ..domain import recurrence as rec
from ..errors import Conflict, Forbidden, InvalidInput, NotFound, VersionMismatch
from ..observability import log_event
from ..store import batch
from ..store import people as people_store
from ..store import schedules as schedules_store
from ..store import sessions as store
from ..store.models import Mark, Schedule, Session
from ..store.pages import Page
from ..domain import stats as stats_domain
from ..store.tx import ConditionFailed, Transaction, retrying
from . import counters
from .context import TEACHER, Actor, commit_with_claim
from .people import own_staff_id

SCHEDULED, CANCELLED = "scheduled", "cancelled"
MAX_RANGE_DAYS = 366


def parse_session_id(session_id: str) -> tuple[str, str]:
    parsed = ids.parse_session_id(session_id)
    if parsed is None:
        raise NotFound("session", session_id)
    return parsed


def local_today(tz: str, now: datetime | None = None) -> date:
    from zoneinfo import ZoneInfo

    return (now or clock.now()).astimezone(ZoneInfo(tz)).date()


def day_range(tz: str, start: date | None, end: date | None, *, default_back: int = 28,
              default_ahead: int = 28) -> tuple[str, str]:
    """[start, end] as local calendar dates in `tz`, as UTC instants [start 00:00, end+1 00:00)."""
    today = local_today(tz)
    start = start or today - timedelta(days=default_back)
    end = end or today + timedelta(days=default_ahead)
    if end < start:
        raise InvalidInput("`to` must not be before `from`", [{"field": "to", "message": "before from"}])
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"a range covers at most {MAX_RANGE_DAYS} days", [{"field": "to", "message": "range too long"}])
    return (clock.iso(rec.local_instant(start, "00:00", tz)),
            clock.iso(rec.local_instant(end + timedelta(days=1), "00:00", tz)))


def require_teaches(actor: Actor, teacher_id: str, what: str = "session") -> None:
    """A teacher reaches only what they teach (a substitute teaches that session)."""
    if actor.role == TEACHER and teacher_id != own_staff_id(actor):
        raise Forbidden(f"a teacher may only reach the {what}s they teach")


def load_session(actor: Actor, session_id: str) -> tuple[Schedule, Session]:
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    wanted = [schedules_store.schedule_key(cid, schedule_id), store.session_key_of(cid, schedule_id, key)]
    found = batch.load(wanted)
    schedule, session = found.get(wanted[0]), found.get(wanted[1])
    if schedule is None or session is None:
        raise NotFound("session", session_id)
    require_teaches(actor, session.teacher_id)
    return schedule, session


def get_session(actor: Actor, session_id: str) -> Session:
    return load_session(actor, session_id)[1]


def _schedule(actor: Actor, schedule_id: str) -> Schedule:
    schedule = schedules_store.get_schedule(actor.company_id, schedule_id) if ids.is_id(schedule_id) else None
    if schedule is None:
        raise NotFound("schedule", schedule_id)
    return schedule


def list_sessions(actor: Actor, schedule_id: str, start: date | None, end: date | None, limit: int,
                  cursor: str | None) -> Page[Session]:
    schedule = _schedule(actor, schedule_id)
    require_teaches(actor, schedule.teacher_id, "schedule")
    low, high = day_range(schedule.timezone, start, end)
    return store.list_schedule_sessions(actor.company_id, schedule_id, low, high, limit, cursor)


def teacher_sessions(actor: Actor, staff_id: str, start: date | None, end: date | None, limit: int,
                     cursor: str | None) -> Page[Session]:
    """A teacher's agenda across schedules (substitutions included): staff see anyone's,
    a teacher their own."""
    member = people_store.get_staff(actor.company_id, staff_id) if ids.is_id(staff_id) else None
    if member is None:
        raise NotFound("staff member", staff_id)
    require_teaches(actor, staff_id, "agenda")
    company = people_store.get_company(actor.company_id)
    low, high = day_range(company.timezone if company else "UTC", start, end, default_back=0, default_ahead=7)
    return store.teacher_sessions(actor.company_id, staff_id, low, high, limit, cursor)


def create_one_off(actor: Actor, schedule_id: str, *, starts_at: datetime, ends_at: datetime | None,
                   duration_minutes: int | None, teacher_id: str | None, student_id: str | None,
                   origin: str = "one_off", session_key: str | None = None) -> Session:
    cid = actor.company_id
    wanted = {"schedule": schedules_store.schedule_key(cid, schedule_id)}
    if teacher_id:
        wanted["teacher"] = people_store.staff_key(cid, teacher_id)
    if student_id:
        wanted["student"] = people_store.student_key(cid, student_id)
    found = batch.load(wanted.values()) if ids.is_id(schedule_id) else {}
    schedule = found.get(wanted["schedule"])
    if schedule is None:
        raise NotFound("schedule", schedule_id)
    if teacher_id and found.get(wanted["teacher"]) is None:
        raise InvalidInput("the teacher is not a staff member", [{"field": "teacher_id", "message": "unknown"}])
    if student_id and found.get(wanted["student"]) is None:
        raise InvalidInput("the student does not exist", [{"field": "student_id", "message": "unknown"}])
    if ends_at is None:
        minutes = duration_minutes or (int(schedule.recurrence.duration_minutes) if schedule.recurrence else 60)
        ends_at = starts_at + timedelta(minutes=minutes)
    if ends_at <= starts_at:
        raise InvalidInput("a session must end after it starts", [{"field": "ends_at", "message": "not after starts_at"}])
    teacher = found.get(wanted.get("teacher")) if teacher_id else None
    now = clock.now_iso()
    session = new_session_of(cid, schedule, session_key or ids.new_id(), teacher_id=teacher_id or schedule.teacher_id,
                             teacher_name=teacher.name if teacher else schedule.teacher_name, student_id=student_id,
                             starts_at=starts_at, ends_at=ends_at, origin=origin, now=now)
    if not create_counted(cid, session):
        raise Conflict("that session exists already")
    session.version = 1
    return session


def new_session_of(cid: str, schedule: Schedule, key: str, *, teacher_id: str, teacher_name: str | None,
                   student_id: str | None, starts_at: datetime, ends_at: datetime, origin: str, now: str) -> Session:
    """A new session of the schedule, carrying what the report counters need of it."""
    return store.new_session(
        cid, schedule.schedule_id, key, kind=schedule.kind, teacher_id=teacher_id, teacher_name=teacher_name,
        student_id=student_id, starts_at=clock.iso(starts_at), ends_at=clock.iso(ends_at), status=SCHEDULED,
        origin=origin, timezone=schedule.timezone, seats=int(schedule.capacity or 0) if schedule.kind == "group" else 0,
        created_at=now, updated_at=now)


def create_counted(cid: str, session: Session, tx: Transaction | None = None) -> bool:
    """Put a new session (if absent) with its report counters; False if it existed."""
    tx = tx or Transaction()
    tx.put(session, condition=Session.PK.does_not_exist())
    counters.add(tx, cid, counters.session_change(None, session))
    try:
        tx.commit()
    except ConditionFailed:
        return False
    return True


def _retime_marks(tx: Transaction, cid: str, session: Session, marks: list[Mark]) -> None:
    for mark in marks:
        mark.starts_at, mark.teacher_id, mark.teacher_name = session.starts_at, session.teacher_id, session.teacher_name
        store.index_mark(cid, mark)
        tx.put(mark)


def update_session(actor: Actor, session_id: str, changes: dict[str, Any], if_match: int | None,
                   claim=None) -> Session:
    """Reschedule (`starts_at`, `ends_at`) or give a substitute (`teacher_id`).

    The session and the time keys of its marks move in one transaction.
    """
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    session, marks = store.session_with_marks(cid, schedule_id, key)
    if session is None:
        raise NotFound("session", session_id)
    if if_match is not None and session.version != if_match:
        raise VersionMismatch(f"the session is at version {session.version}, not {if_match}")
    if session.status == CANCELLED:
        raise Conflict("the school cancelled this session; it cannot be changed")
    before = Session.from_raw_data(session.serialize())
    before_marks = [Mark.from_raw_data(m.serialize()) for m in marks]
    if "teacher_id" in changes:
        teacher = people_store.get_staff(cid, changes["teacher_id"]) if ids.is_id(changes["teacher_id"]) else None
        if teacher is None:
            raise InvalidInput("the teacher is not a staff member", [{"field": "teacher_id", "message": "unknown"}])
        session.teacher_id, session.teacher_name = teacher.staff_id, teacher.name
    starts = datetime.fromisoformat(session.starts_at.replace("Z", "+00:00"))
    ends = datetime.fromisoformat(session.ends_at.replace("Z", "+00:00"))
    if "starts_at" in changes:
        length = ends - starts
        starts = changes["starts_at"]
        ends = changes.get("ends_at") or starts + length
    elif "ends_at" in changes:
        ends = changes["ends_at"]
    if ends <= starts:
        raise InvalidInput("a session must end after it starts", [{"field": "ends_at", "message": "not after starts_at"}])
    session.starts_at, session.ends_at = clock.iso(starts), clock.iso(ends)
    session.updated_at = clock.now_iso()
    store.index_session(cid, session)
    tx = Transaction().put(session)
    _retime_marks(tx, cid, session, marks)
    tz = session.timezone or "UTC"
    change = stats_domain.merge(counters.session_change(before, session),
                                *(counters.mark_change(old, new, tz) for old, new in zip(before_marks, marks)))
    if len(marks) + len(change) > 95:
        raise Conflict("this session has too many marks to move in one step; clear some marks first")
    counters.add(tx, cid, change)
    commit_with_claim(tx, claim, session)
    return session


# --- sessions made from the recurrence -------------------------------------------------

def _occurrences(schedule: Schedule, today: date) -> list[rec.Occurrence]:
    r = schedule.recurrence
    if r is None:
        return []
    window = rec.generation_window(today, date.fromisoformat(r.start_date),
                                   date.fromisoformat(r.end_date) if r.end_date else None)
    if window is None:
        return []
    return rec.occurrences(list(r.weekdays), r.start_time, int(r.duration_minutes), date.fromisoformat(r.start_date),
                           date.fromisoformat(r.end_date) if r.end_date else None, schedule.timezone, *window)


def plan_recurring_sessions(cid: str, schedule: Schedule, today: date | None = None,
                            replan_from: datetime | None = None) -> dict[str, int]:
    """Make the schedule's recurring sessions up to 8 weeks ahead; with `replan_from`, also
    bring unmarked future ones in line with a changed recurrence or teacher.

    Idempotent: an occurrence's session id is fixed by its local date, and it is put only
    if absent. Sessions with marks are never moved or removed.
    """
    # "Today" is the UTC date, as for the daily job, so the horizon each records agrees
    # (the window is 8 weeks wide; a day's difference in local dates does not matter).
    today = today or clock.now().date()
    wanted = {o.key: o for o in _occurrences(schedule, today)}
    made = moved = removed = 0
    if replan_from is not None:
        sessions, marked = store.future_sessions(cid, schedule.schedule_id, clock.iso(replan_from))
        for session in sessions:
            if session.origin != "recurrence" or session.status != SCHEDULED or session.session_key in marked:
                continue
            occurrence = wanted.get(session.session_key)
            if occurrence is None:
                tx = Transaction().delete(session)  # conditional on the version read
                counters.add(tx, cid, counters.session_change(session, None))
                tx.commit()
                removed += 1
                continue
            new_start, new_end = clock.iso(occurrence.starts_at), clock.iso(occurrence.ends_at)
            if (session.starts_at, session.ends_at, session.teacher_id) != (new_start, new_end, schedule.teacher_id):
                before = Session.from_raw_data(session.serialize())
                session.starts_at, session.ends_at = new_start, new_end
                session.teacher_id, session.teacher_name = schedule.teacher_id, schedule.teacher_name
                session.timezone = schedule.timezone
                session.updated_at = clock.now_iso()
                store.index_session(cid, session)
                tx = Transaction().put(session)
                counters.add(tx, cid, counters.session_change(before, session))
                tx.commit()
                moved += 1
    now = clock.now_iso()
    existing = store.existing_session_keys(cid, schedule.schedule_id, list(wanted))
    for key, occurrence in wanted.items():
        if key in existing:
            continue
        session = new_session_of(cid, schedule, key, teacher_id=schedule.teacher_id,
                                 teacher_name=schedule.teacher_name, student_id=None, starts_at=occurrence.starts_at,
                                 ends_at=occurrence.ends_at, origin="recurrence", now=now)
        if create_counted(cid, session):
            made += 1
    return {"made": made, "moved": moved, "removed": removed, "horizon_until": _horizon(schedule, today)}


def _horizon(schedule: Schedule, today: date) -> str | None:
    """How far sessions now exist; None when the recurrence has nothing more to make."""
    r = schedule.recurrence
    if r is None:
        return None
    horizon = today + timedelta(days=rec.HORIZON_DAYS)
    if r.end_date and date.fromisoformat(r.end_date) <= horizon:
        return None
    return horizon.isoformat()


def extend_horizons(today: date, batch_size: int = 100) -> dict[str, int]:
    """The daily job: every recurring schedule whose sessions stop short of 8 weeks ahead
    gets the missing ones. Reads only the schedules that are due (GSI4), never all."""
    target = (today + timedelta(days=rec.HORIZON_DAYS)).isoformat()
    seen: set[tuple[str, str]] = set()
    made = 0
    while True:
        due = [p for p in retrying(lambda: store.plans_due(target, batch_size))
               if (p.company_id, p.schedule_id) not in seen]
        if not due:
            break
        found = retrying(lambda: batch.load(schedules_store.schedule_key(p.company_id, p.schedule_id) for p in due))
        for plan in due:
            seen.add((plan.company_id, plan.schedule_id))
            schedule = found.get(schedules_store.schedule_key(plan.company_id, plan.schedule_id))
            result = retrying(lambda: plan_recurring_sessions(plan.company_id, schedule, today)) if schedule else {}
            made += result.get("made", 0)
            retrying(lambda: store.save_plan(plan.company_id, plan.schedule_id, result.get("horizon_until")))
    log_event("job", job="session-horizon", today=today.isoformat(), schedules=len(seen), sessions_made=made)
    return {"schedules": len(seen), "sessions_made": made, "horizon_until": target}


def after_schedule_saved(cid: str, schedule: Schedule, *, replan: bool) -> dict[str, int]:
    """Make (and after a change, re-plan) the schedule's sessions and note the horizon."""
    result = plan_recurring_sessions(cid, schedule, replan_from=clock.now() if replan else None)
    store.save_plan(cid, schedule.schedule_id, result["horizon_until"])
    return result
