"""Attendance boards and the student portal: read-only views over sessions and marks.

- A schedule's board is its header with its active roster (one query of LSI1 `R#`) and one
  page of its timeline (sessions with their marks, one query). Ended enrollments are never
  read: a student who left shows on a page where they have marks, from those marks.
- A student's board and the portal's session lists read the student's own collection
  (GSI1): a seat per session that is theirs (services/seats.py keeps them from the
  stream) beside their mark of it, one query for the page; then the page's sessions by
  key, one BatchGetItem. Two requests whatever their schedules or history.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from .. import clock, ids
from ..domain.records import Enrollment, Mark, Schedule, Session
from ..errors import InvalidInput, NotFound
from ..store import enrollments as enrollment_store
from ..store import logins, pages, reads
from ..store import seats as seats_store
from ..store import sessions as store
from ..store.pages import decode_cursor
from .context import Actor
from .people import own_student_id
from .schedules import get_schedule, visible_schedule
from .sessions import day_range

FAR = 366


@dataclass
class BoardSession:
    session: Session
    marks: dict[str, Mark]


@dataclass
class ScheduleBoard:
    schedule: Schedule
    roster: list[Enrollment]  # the active enrollments
    sessions: list[BoardSession]
    next: str | None
    former: list[Mark] = field(default_factory=list)  # a mark of each student no longer enrolled, on this page


def schedule_board(
    actor: Actor, schedule_id: str, start: date | None, end: date | None, limit: int, cursor: str | None
) -> ScheduleBoard:
    cid = actor.company_id
    if not ids.is_id(schedule_id):
        raise NotFound("schedule", schedule_id)
    header, roster = enrollment_store.active_roster(cid, schedule_id)  # the schedule and who is in it
    if header is None:  # a schedule written before headers (until the upgrade's fill): as before
        schedule = get_schedule(actor, schedule_id)
        roster = [e for e in enrollment_store.roster(cid, schedule_id) if e.status == "active"]
    else:
        schedule = visible_schedule(actor, header)  # a teacher: only the schedules they teach
    low, high = day_range(schedule.timezone, start, end)
    cursor_key = decode_cursor(cursor, "PK", store.timeline_partition(cid, schedule_id)) if cursor else None
    sessions, marks, next_cursor = store.timeline(cid, schedule_id, low, high, limit, len(roster), cursor_key)
    by_session: dict[str, dict[str, Mark]] = {}
    for mark in marks:
        by_session.setdefault(mark.session_key, {})[mark.student_id] = mark
    rows = [BoardSession(s, by_session.get(s.session_key, {})) for s in sessions]
    enrolled = {e.student_id for e in roster}
    gone = {m.student_id: m for m in marks if m.student_id not in enrolled}  # left, with marks on this page
    return ScheduleBoard(schedule, roster, rows, next_cursor, [gone[sid] for sid in sorted(gone)])


# --- a student's sessions across schedules ---------------------------------------------


@dataclass
class StudentSession:
    session: Session
    schedule_name: str
    mark: Mark | None


@dataclass
class StudentTimeline:
    items: list[StudentSession] = field(default_factory=list)
    next: str | None = None


def _encode_position(starts_at: str, session_id: str) -> str:
    return pages.seal({"position": [starts_at, session_id]})


def _decode_position(cursor: str) -> tuple[str, str]:
    data = pages.unseal(cursor)
    position = data.get("position") if isinstance(data, dict) else None
    if (
        isinstance(position, list)
        and len(position) == 2
        and all(isinstance(p, str) for p in position)
        and len(position[0]) == 24
        and position[0].endswith("Z")
        and ids.parse_session_id(position[1])
    ):
        return position[0], position[1]
    raise InvalidInput("the cursor is not valid for this list", [{"field": "next", "message": "invalid cursor"}])


def student_timeline(
    cid: str, student_id: str, low: str, high: str, limit: int, cursor: str | None, descending: bool, also: tuple = ()
) -> tuple[StudentTimeline, dict]:
    """A page of the student's sessions across their schedules: one Query of their seats and
    marks (GSI1), then one BatchGetItem of the page's sessions (and of `also`, refs the
    caller needs besides). Returns the page and what `also` found."""
    position = _decode_position(cursor) if cursor else None
    lo, hi = low, high
    if position is not None:
        lo, hi = (position[0], high) if not descending else (low, position[0] + "~")
    found, more = seats_store.collection(cid, student_id, lo, hi, descending, limit, position)
    names: dict[str, str] = {}
    marks: dict[str, Mark] = {}
    order: list[tuple[str, str, str]] = []  # (session id, schedule id, key), in the page's order
    for record in found:
        sid = record.session_id
        if sid not in names:
            order.append((sid, record.schedule_id, record.session_key))
        names[sid] = names.get(sid) or record.schedule_name
        if isinstance(record, Mark):
            marks[sid] = record
    wanted = [reads.session(cid, sch, key) for _, sch, key in order]
    loaded = reads.load([*wanted, *also]) if wanted or also else {}
    items = [
        StudentSession(loaded[ref], names[sid], marks.get(sid))
        for (sid, _, _), ref in zip(order, wanted)
        if ref in loaded
    ]
    last = found[-1] if found else None  # where the query stopped (a session moved meanwhile keeps its place)
    next_cursor = _encode_position(last.starts_at, last.session_id) if more and last else None
    return StudentTimeline(items, next_cursor), {ref: loaded.get(ref) for ref in also}


def student_board(
    actor: Actor, student_id: str, start: date | None, end: date | None, limit: int, cursor: str | None
) -> StudentTimeline:
    """Two requests on a warm container: the student's seats and marks, then the page's
    sessions with the student (404 when there is none; the company's zone is remembered)."""
    if not ids.is_id(student_id):
        raise NotFound("student", student_id)
    company = logins.company(actor.company_id)
    low, high = day_range(company.timezone if company else "UTC", start, end)
    student_ref = reads.student(actor.company_id, student_id)
    page, found = student_timeline(
        actor.company_id, student_id, low, high, limit, cursor, descending=False, also=(student_ref,)
    )
    if found[student_ref] is None:
        raise NotFound("student", student_id)
    return page


# --- the portal --------------------------------------------------------------------------


def my_enrollments(actor: Actor, limit: int, cursor: str | None):
    return enrollment_store.list_student_enrollments(actor.company_id, own_student_id(actor), limit, cursor)


def my_sessions(actor: Actor, when: str, limit: int, cursor: str | None) -> StudentTimeline:
    """Past sessions (newest first) or upcoming ones (soonest first), with my status."""
    student_id = own_student_id(actor)
    now = clock.now()
    if when == "upcoming":
        low, high = clock.iso(now), clock.iso(now + timedelta(days=FAR))
        return student_timeline(actor.company_id, student_id, low, high, limit, cursor, False)[0]
    low, high = clock.iso(now - timedelta(days=FAR)), clock.iso(now)
    return student_timeline(actor.company_id, student_id, low, high, limit, cursor, True)[0]
