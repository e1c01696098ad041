"""Sessions: made ahead from a schedule's recurrence, added one-off, moved, given a
substitute teacher; and the daily job that keeps the horizon filled.

It is long because making, moving and re-planning sessions share the bounded steps that
carry a session's change to its marks; they are one concern.

A move or a substitution changes the session in one step; its marks carry the session's
time and teacher (for the indexes that show them in time order), so they follow in bounded
steps of at most `MARKS_PER_STEP`, each guarded by the session's version. Until the last
step the session is flagged (`marks_pending`); repeating the request, or the daily job,
finishes what an interrupted one left.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .. import clock, ids
from ..domain import balances, records
from ..domain import recurrence as rec
from ..errors import Conflict, Forbidden, InvalidInput, NotFound, VersionMismatch
from ..observability import log_event
from ..store import attendance as marks_store
from ..store import reads
from ..store import sessions as store
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import Idempotency, UnitOfWork
from .context import TEACHER, Actor
from .people import own_staff_id

SCHEDULED, CANCELLED = "scheduled", "cancelled"
MAX_RANGE_DAYS = 366
MARKS_PER_STEP = 90  # with the session's check: 91 actions, under DynamoDB's 100
SESSIONS_PER_STEP = 100


def parse_session_id(session_id: str) -> tuple[str, str]:
    parsed = ids.parse_session_id(session_id)
    if parsed is None:
        raise NotFound("session", session_id)
    return parsed


def local_today(tz: str, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(ZoneInfo(tz)).date()


def day_range(
    tz: str, start: date | None, end: date | None, *, default_back: int = 28, default_ahead: int = 28
) -> tuple[str, str]:
    """[start, end] as local calendar dates in `tz`, as UTC instants [start 00:00, end+1 00:00)."""
    today = local_today(tz)
    start = start or today - timedelta(days=default_back)
    end = end or today + timedelta(days=default_ahead)
    if end < start:
        raise InvalidInput("`to` must not be before `from`", [{"field": "to", "message": "before from"}])
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(
            f"a range covers at most {MAX_RANGE_DAYS} days", [{"field": "to", "message": "range too long"}]
        )
    return (
        clock.iso(rec.local_instant(start, "00:00", tz)),
        clock.iso(rec.local_instant(end + timedelta(days=1), "00:00", tz)),
    )


def require_teaches(actor: Actor, teacher_id: str, what: str = "session") -> None:
    """A teacher reaches only what they teach (a substitute teaches that session)."""
    if actor.role == TEACHER and teacher_id != own_staff_id(actor):
        raise Forbidden(f"a teacher may only reach the {what}s they teach")


def load_session(actor: Actor, session_id: str) -> tuple[records.Schedule, records.Session]:
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    wanted = [reads.schedule(cid, schedule_id), reads.session(cid, schedule_id, key)]
    found = reads.load(wanted)
    schedule, session = found.get(wanted[0]), found.get(wanted[1])
    if schedule is None or session is None:
        raise NotFound("session", session_id)
    require_teaches(actor, session.teacher_id)
    return schedule, session


def get_session(actor: Actor, session_id: str) -> records.Session:
    return load_session(actor, session_id)[1]


def _schedule(actor: Actor, schedule_id: str) -> records.Schedule:
    schedule = reads.get(reads.schedule(actor.company_id, schedule_id)) if ids.is_id(schedule_id) else None
    if schedule is None:
        raise NotFound("schedule", schedule_id)
    return schedule


def list_sessions(
    actor: Actor, schedule_id: str, start: date | None, end: date | None, limit: int, cursor: str | None
) -> Page[records.Session]:
    schedule = _schedule(actor, schedule_id)
    require_teaches(actor, schedule.teacher_id, "schedule")
    low, high = day_range(schedule.timezone, start, end)
    return store.list_schedule_sessions(actor.company_id, schedule_id, low, high, limit, cursor)


def teacher_sessions(
    actor: Actor, staff_id: str, start: date | None, end: date | None, limit: int, cursor: str | None
) -> Page[records.Session]:
    """A teacher's agenda across schedules (substitutions included): staff see anyone's,
    a teacher their own."""
    if not ids.is_id(staff_id):
        raise NotFound("staff member", staff_id)
    wanted = (reads.staff(actor.company_id, staff_id), reads.company(actor.company_id))
    found = reads.load(wanted)  # one BatchGetItem: the teacher and the company's time zone
    member, company = (found.get(ref) for ref in wanted)
    if member is None:
        raise NotFound("staff member", staff_id)
    require_teaches(actor, staff_id, "agenda")
    low, high = day_range(company.timezone if company else "UTC", start, end, default_back=0, default_ahead=7)
    return store.teacher_sessions(actor.company_id, staff_id, low, high, limit, cursor)


def new_session_of(
    cid: str,
    schedule: records.Schedule,
    key: str,
    *,
    teacher_id: str,
    teacher_name: str | None,
    student_id: str | None,
    starts_at: datetime,
    ends_at: datetime,
    origin: str,
    now: str,
) -> records.Session:
    """A new session of the schedule, carrying what the report counters need of it."""
    return records.Session(
        company_id=cid,
        schedule_id=schedule.schedule_id,
        session_key=key,
        kind=schedule.kind,
        teacher_id=teacher_id,
        teacher_name=teacher_name,
        student_id=student_id,
        starts_at=clock.iso(starts_at),
        ends_at=clock.iso(ends_at),
        status=SCHEDULED,
        origin=origin,
        timezone=schedule.timezone,
        seats=int(schedule.capacity or 0) if schedule.kind == "group" else 0,
        created_at=now,
        updated_at=now,
    )


def create_one_off(
    actor: Actor,
    schedule_id: str,
    *,
    starts_at: datetime,
    ends_at: datetime | None,
    duration_minutes: int | None,
    teacher_id: str | None,
    student_id: str | None,
    claim: Idempotency | None = None,
) -> records.Session:
    cid = actor.company_id
    key = ids.new_id()

    def step(uow: UnitOfWork) -> records.Session:
        if not ids.is_id(schedule_id):
            raise NotFound("schedule", schedule_id)
        wanted = {"schedule": reads.schedule(cid, schedule_id)}
        if teacher_id:
            wanted["teacher"] = reads.staff(cid, teacher_id)
        if student_id:
            wanted["student"] = reads.student(cid, student_id)
        loaded = reads.load(wanted.values())
        found = {name: loaded.get(ref) for name, ref in wanted.items()}
        schedule = found["schedule"]
        if schedule is None:
            raise NotFound("schedule", schedule_id)
        if teacher_id and found["teacher"] is None:
            raise InvalidInput("the teacher is not a staff member", [{"field": "teacher_id", "message": "unknown"}])
        if student_id and found["student"] is None:
            raise InvalidInput("the student does not exist", [{"field": "student_id", "message": "unknown"}])
        if schedule.kind == "one_to_one" and schedule.capacity > 1 and not student_id:
            raise InvalidInput(
                "this 1:1 schedule is booked per student: a session names its student",
                [{"field": "student_id", "message": "required"}],
            )
        ends = ends_at
        if ends is None:
            minutes = duration_minutes or (schedule.recurrence.duration_minutes if schedule.recurrence else 60)
            ends = starts_at + timedelta(minutes=minutes)
        if ends <= starts_at:
            raise InvalidInput(
                "a session must end after it starts", [{"field": "ends_at", "message": "not after starts_at"}]
            )
        teacher = found.get("teacher")
        session = new_session_of(
            cid,
            schedule,
            key,
            teacher_id=teacher_id or schedule.teacher_id,
            teacher_name=teacher.name if teacher else schedule.teacher_name,
            student_id=student_id,
            starts_at=starts_at,
            ends_at=ends,
            origin="one_off",
            now=clock.now_iso(),
        )
        return store.add_session(uow, session, refusal=lambda: Conflict("that session exists already"))

    return uow_.run(step, company_id=cid, idempotency=claim)


# --- moving a session and giving it a substitute --------------------------------------------


def moved(session: records.Session, changes: dict[str, Any], teacher: records.StaffMember | None) -> records.Session:
    """The session with the asked time and teacher (its length kept when only the start moves)."""
    starts = datetime.fromisoformat(session.starts_at.replace("Z", "+00:00"))
    ends = datetime.fromisoformat(session.ends_at.replace("Z", "+00:00"))
    if "starts_at" in changes:
        length = ends - starts
        starts = changes["starts_at"]
        ends = changes.get("ends_at") or starts + length
    elif "ends_at" in changes:
        ends = changes["ends_at"]
    if ends <= starts:
        raise InvalidInput(
            "a session must end after it starts", [{"field": "ends_at", "message": "not after starts_at"}]
        )
    fields: dict[str, Any] = {"starts_at": clock.iso(starts), "ends_at": clock.iso(ends)}
    if teacher is not None:
        fields.update(teacher_id=teacher.staff_id, teacher_name=teacher.name)
    return replace(session, **fields)


def update_session_in(
    uow: UnitOfWork, actor: Actor, session_id: str, changes: dict[str, Any], if_match: int | None
) -> tuple[records.Session, int]:
    """Stage a reschedule or a substitution. The marks follow in the same transaction when
    they are few; else the session is flagged and `settle_marks` moves them in steps.
    Returns the session as stored and how many marks are still to move."""
    schedule_id, key = parse_session_id(session_id)
    cid = actor.company_id
    session, marks = store.session_with_marks(cid, schedule_id, key)
    if session is None:
        raise NotFound("session", session_id)
    if session.status == CANCELLED:
        raise Conflict("the school cancelled this session; it cannot be changed")
    teacher = None
    if "teacher_id" in changes:
        teacher = reads.get(reads.staff(cid, changes["teacher_id"])) if ids.is_id(changes["teacher_id"]) else None
        if teacher is None:
            raise InvalidInput("the teacher is not a staff member", [{"field": "teacher_id", "message": "unknown"}])
    after = moved(session, changes, teacher)
    if after.starts_at != session.starts_at:
        balances.check_move(marks, after, now=clock.now_iso())
    # Asked again for what already holds (a retry, maybe of a move interrupted part-way):
    # If-Match named the version before the first attempt, so it no longer applies.
    if after != session and if_match is not None and session.version != if_match:
        raise VersionMismatch(f"the session is at version {session.version}, not {if_match}")
    stale = [r for r in (balances.retimed_mark(mk, after) for mk in marks) if r is not None]
    if after == session and not stale and not session.marks_pending:
        return session, 0  # asked again: nothing left to do
    if after == session:
        return session, len(stale)  # the session moved already; its marks follow in steps
    pending = len(stale) > MARKS_PER_STEP - 1
    stored = store.save_session(uow, replace(after, updated_at=clock.now_iso(), marks_pending=pending))
    if not pending:
        for mark in stale:
            uow.save(mark)
    return stored, len(stale) if pending else 0


def update_session(
    actor: Actor, session_id: str, changes: dict[str, Any], if_match: int | None, claim: Idempotency | None = None
) -> records.Session:
    """Reschedule (`starts_at`, `ends_at`) or give a substitute (`teacher_id`). A session
    removed while its marks followed is NotFound (see `settle_marks`)."""
    cid = actor.company_id

    def steps() -> records.Session:
        session, pending = uow_.run(
            lambda uow: update_session_in(uow, actor, session_id, changes, if_match), company_id=cid
        )
        if pending or session.marks_pending:
            settled = settle_marks(cid, session.schedule_id, session.session_key)
            if settled is None:
                raise NotFound("session", session_id)  # removed meanwhile
            return settled
        return session

    return uow_.in_steps(steps, company_id=cid, idempotency=claim)


def settle_marks(cid: str, schedule_id: str, session_key: str) -> records.Session | None:
    """Bring every mark of the session in line with its time and teacher, at most
    `MARKS_PER_STEP` per step, then clear the session's flag. Safe to repeat. Returns the
    session as it then is (None: it is gone)."""
    while True:

        def step(uow: UnitOfWork) -> tuple[records.Session | None, bool]:
            session, marks = store.session_with_marks(cid, schedule_id, session_key)
            if session is None:
                return None, True
            stale = [r for r in (balances.retimed_mark(mk, session) for mk in marks) if r is not None]
            if stale:
                marks_store.retime(uow, session, stale[:MARKS_PER_STEP])
                return session, False
            if session.marks_pending:
                return store.save_session(uow, replace(session, marks_pending=False)), True
            return session, True

        session, done = uow_.run(step, company_id=cid)
        if done:
            return session


def settle_pending_moves() -> int:
    """The daily job's part: finish moves that an interrupted request left (GSI4)."""
    settled = 0
    for session in uow_.reading(store.sessions_with_pending_marks, company_id=None):
        settle_marks(session.company_id, session.schedule_id, session.session_key)
        settled += 1
    return settled


# --- sessions made from the recurrence -------------------------------------------------


def _occurrences(schedule: records.Schedule, today: date) -> list[rec.Occurrence]:
    r = schedule.recurrence
    if r is None:
        return []
    window = rec.generation_window(
        today, date.fromisoformat(r.start_date), date.fromisoformat(r.end_date) if r.end_date else None
    )
    if window is None:
        return []
    return rec.occurrences(
        list(r.weekdays),
        r.start_time,
        r.duration_minutes,
        date.fromisoformat(r.start_date),
        date.fromisoformat(r.end_date) if r.end_date else None,
        schedule.timezone,
        *window,
    )


def _replan(cid: str, schedule: records.Schedule, wanted: dict[str, rec.Occurrence], start: str) -> tuple[int, int]:
    """Move or remove the unmarked future sessions a changed recurrence no longer has where
    they are (sessions with marks are kept), at most SESSIONS_PER_STEP per step."""
    moved_count = removed = 0
    while True:

        def step(uow: UnitOfWork) -> tuple[int, int, bool]:
            sessions, marked = store.future_sessions(cid, schedule.schedule_id, start)
            moves, removals = [], []
            for session in sessions:
                if session.origin != "recurrence" or session.status != SCHEDULED or session.session_key in marked:
                    continue
                occurrence = wanted.get(session.session_key)
                if occurrence is None:
                    removals.append(session)
                    continue
                target = replace(
                    session,
                    starts_at=clock.iso(occurrence.starts_at),
                    ends_at=clock.iso(occurrence.ends_at),
                    teacher_id=schedule.teacher_id,
                    teacher_name=schedule.teacher_name,
                    timezone=schedule.timezone,
                )
                if target != session:
                    moves.append(replace(target, updated_at=clock.now_iso()))
            removals = removals[:SESSIONS_PER_STEP]
            moves_now = moves[: SESSIONS_PER_STEP - len(removals)]
            for session in removals:
                store.remove_session(uow, session)
            for session in moves_now:
                store.save_session(uow, session)
            return len(moves_now), len(removals), len(moves_now) == len(moves) and len(removals) < SESSIONS_PER_STEP

        m_, r_, done = uow_.run(step, company_id=cid)
        moved_count, removed = moved_count + m_, removed + r_
        if done:
            return moved_count, removed


def plan_recurring_sessions(
    cid: str,
    schedule: records.Schedule,
    today: date | None = None,
    replan_from: datetime | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Make the schedule's recurring sessions up to 8 weeks ahead; with `replan_from`, also
    bring unmarked future ones in line with a changed recurrence or teacher.

    Idempotent: an occurrence's session id is fixed by its local date, and it is put only
    if absent. Sessions with marks are never moved or removed. With `limit`, only that many
    occurrences are considered, the coming ones first, then the past ones from the most
    recent back; the rest is left to the daily job (the plan is then due at once).
    """
    # "Today" is the UTC date, as for the daily job, so the horizon each records agrees.
    today = today or clock.now().date()
    wanted = {o.key: o for o in _occurrences(schedule, today)}
    moved_count = removed = made = 0
    if replan_from is not None:
        moved_count, removed = _replan(cid, schedule, wanted, clock.iso(replan_from))
    coming = [k for k, o in wanted.items() if o.local_date >= today]
    past = [k for k, o in wanted.items() if o.local_date < today][::-1]
    keys = coming + past
    backlog = limit is not None and len(keys) > limit
    keys = keys[:limit] if limit is not None else keys
    for start in range(0, len(keys), SESSIONS_PER_STEP):
        chunk = keys[start : start + SESSIONS_PER_STEP]

        def step(uow: UnitOfWork) -> int:
            existing = store.existing_session_keys(cid, schedule.schedule_id, chunk)
            now = clock.now_iso()
            for key in chunk:
                if key not in existing:
                    o = wanted[key]
                    store.add_session(
                        uow,
                        new_session_of(
                            cid,
                            schedule,
                            key,
                            teacher_id=schedule.teacher_id,
                            teacher_name=schedule.teacher_name,
                            student_id=None,
                            starts_at=o.starts_at,
                            ends_at=o.ends_at,
                            origin="recurrence",
                            now=now,
                        ),
                    )
            return len(uow)

        made += uow_.run(step, company_id=cid)
    horizon = today.isoformat() if backlog else _horizon(schedule, today)  # a backlog: due for the job
    return {"made": made, "moved": moved_count, "removed": removed, "horizon_until": horizon, "backlog": backlog}


def _horizon(schedule: records.Schedule, today: date) -> str | None:
    """How far sessions now exist; None when the recurrence has nothing more to make."""
    r = schedule.recurrence
    if r is None:
        return None
    horizon = today + timedelta(days=rec.HORIZON_DAYS)
    if r.end_date and date.fromisoformat(r.end_date) <= horizon:
        return None
    return horizon.isoformat()


def _save_plan(cid: str, schedule_id: str, horizon_until: str | None) -> None:
    uow_.run(lambda uow: store.save_plan(uow, cid, schedule_id, horizon_until), company_id=cid)


def extend_horizons(today: date, batch_size: int = 100) -> dict[str, Any]:
    """The daily job: every recurring schedule whose sessions stop short of 8 weeks ahead
    gets the missing ones (read through GSI4: only the schedules that are due, never all);
    and moves an interrupted request left half done are finished."""
    target = (today + timedelta(days=rec.HORIZON_DAYS)).isoformat()
    seen: set[tuple[str, str]] = set()
    made = 0
    while True:
        due = [
            p
            for p in uow_.reading(lambda: store.plans_due(target, batch_size), company_id=None)
            if (p.company_id, p.schedule_id) not in seen
        ]
        if not due:
            break
        refs = {(p.company_id, p.schedule_id): reads.schedule(p.company_id, p.schedule_id) for p in due}
        found = uow_.reading(lambda: reads.load(refs.values()), company_id=None)
        for plan in due:
            seen.add((plan.company_id, plan.schedule_id))
            schedule = found.get(refs[(plan.company_id, plan.schedule_id)])
            result = plan_recurring_sessions(plan.company_id, schedule, today) if schedule else {}
            made += result.get("made", 0)
            _save_plan(plan.company_id, plan.schedule_id, result.get("horizon_until"))
    settled = settle_pending_moves()
    log_event(
        "job",
        job="session-horizon",
        today=today.isoformat(),
        schedules=len(seen),
        sessions_made=made,
        moves_settled=settled,
    )
    return {"schedules": len(seen), "sessions_made": made, "horizon_until": target, "moves_settled": settled}


SYNC_SESSIONS = 100  # occurrences a request that creates or changes a schedule makes itself


def after_schedule_saved(cid: str, schedule: records.Schedule, *, replan: bool) -> dict[str, Any]:
    """Make (and after a change, re-plan) the schedule's sessions and note the horizon. The
    request makes at most SYNC_SESSIONS, the coming ones first; the daily job makes the rest."""
    result = plan_recurring_sessions(cid, schedule, replan_from=clock.now() if replan else None, limit=SYNC_SESSIONS)
    _save_plan(cid, schedule.schedule_id, result["horizon_until"])
    return result
