"""Attendance boards and the student portal: read-only views over sessions and marks.

- A schedule's board is one page of its timeline (sessions with their marks, one query)
  plus its roster (one query).
- A student's board and the portal's session lists merge, per enrollment, the sessions
  open to the schedule's roster with the student's own booked sessions, then fetch the
  student's marks for the page's time span (one query). Their cost follows the sessions
  on the page and the number of the student's schedules, never the length of history.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from .. import clock, ids
from ..domain.records import Enrollment, Mark, Schedule, Session
from ..errors import InvalidInput, NotFound
from ..store import enrollments as enrollment_store
from ..store import pages
from ..store import people as people_store
from ..store import sessions as store
from ..store.pages import decode_cursor
from .context import Actor
from .people import own_student
from .schedules import get_schedule
from .sessions import day_range

FAR = 366


@dataclass
class BoardSession:
    session: Session
    marks: dict[str, Mark]


@dataclass
class ScheduleBoard:
    schedule: Schedule
    roster: list[Enrollment]
    sessions: list[BoardSession]
    next: str | None


def schedule_board(actor: Actor, schedule_id: str, start: date | None, end: date | None, limit: int,
                   cursor: str | None) -> ScheduleBoard:
    schedule = get_schedule(actor, schedule_id)  # a teacher: only the schedules they teach
    cid = actor.company_id
    low, high = day_range(schedule.timezone, start, end)
    roster = enrollment_store.roster(cid, schedule_id)
    cursor_key = decode_cursor(cursor, "PK", store.timeline_partition(cid, schedule_id)) if cursor else None
    sessions, marks, next_cursor = store.timeline(cid, schedule_id, low, high, limit, len(roster), cursor_key)
    by_session: dict[str, dict[str, Mark]] = {}
    for mark in marks:
        by_session.setdefault(mark.session_key, {})[mark.student_id] = mark
    marked = {m.student_id for m in marks}
    shown = [e for e in roster if e.status == "active" or e.student_id in marked]
    rows = [BoardSession(s, by_session.get(s.session_key, {})) for s in sessions]
    return ScheduleBoard(schedule, shown, rows, next_cursor)


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
    if (isinstance(position, list) and len(position) == 2 and all(isinstance(p, str) for p in position)
            and len(position[0]) == 24 and position[0].endswith("Z") and ids.parse_session_id(position[1])):
        return position[0], position[1]
    raise InvalidInput("the cursor is not valid for this list", [{"field": "next", "message": "invalid cursor"}])


def student_timeline(cid: str, student_id: str, enrollments: list[Enrollment], low: str, high: str, limit: int,
                     cursor: str | None, descending: bool) -> StudentTimeline:
    position = _decode_position(cursor) if cursor else None
    lo, hi = low, high
    if position is not None:
        lo, hi = (position[0], high) if not descending else (low, position[0] + "~")
    fetch = limit + 5  # a little slack for sessions that start at the very same instant as the cursor
    found: list[Session] = []
    for e in enrollments:
        found += store.open_sessions(cid, e.schedule_id, lo, hi, fetch, descending)
    found += store.own_sessions(cid, student_id, lo, hi, fetch, descending)

    def order(s: Session) -> tuple[str, str]:
        return s.starts_at, ids.session_id(s.schedule_id, s.session_key)

    found.sort(key=order, reverse=descending)
    if position is not None:
        found = [s for s in found if (order(s) > position if not descending else order(s) < position)]
    page, more = found[:limit], len(found) > limit
    names = {e.schedule_id: e.schedule_name for e in enrollments}
    marks: dict[str, Mark] = {}
    if page:
        first, last = sorted((page[0].starts_at, page[-1].starts_at))
        marks = {ids.session_id(m.schedule_id, m.session_key): m for m in store.student_marks(cid, student_id, first, last)}
    items = [StudentSession(s, names.get(s.schedule_id, ""), marks.get(ids.session_id(s.schedule_id, s.session_key)))
             for s in page]
    next_cursor = _encode_position(*order(page[-1])) if more and page else None
    return StudentTimeline(items, next_cursor)


def student_board(actor: Actor, student_id: str, start: date | None, end: date | None, limit: int,
                  cursor: str | None) -> StudentTimeline:
    student = people_store.get_student(actor.company_id, student_id) if ids.is_id(student_id) else None
    if student is None:
        raise NotFound("student", student_id)
    enrollments = enrollment_store.list_student_enrollments(actor.company_id, student_id, 200, None).items
    tz = _company_timezone(actor)
    low, high = day_range(tz, start, end)
    return student_timeline(actor.company_id, student_id, enrollments, low, high, limit, cursor, descending=False)


def _company_timezone(actor: Actor) -> str:
    company = people_store.get_company(actor.company_id)
    return company.timezone if company else "UTC"


# --- the portal --------------------------------------------------------------------------

def my_enrollments(actor: Actor, limit: int, cursor: str | None):
    student = own_student(actor)
    return enrollment_store.list_student_enrollments(actor.company_id, student.student_id, limit, cursor)


def my_sessions(actor: Actor, when: str, limit: int, cursor: str | None) -> StudentTimeline:
    """Past sessions (newest first) or upcoming ones (soonest first), with my status."""
    student = own_student(actor)
    enrollments = enrollment_store.list_student_enrollments(actor.company_id, student.student_id, 200, None).items
    now = clock.now()
    if when == "upcoming":
        enrollments = [e for e in enrollments if e.status == "active"]
        low, high = clock.iso(now), clock.iso(now + timedelta(days=FAR))
        return student_timeline(actor.company_id, student.student_id, enrollments, low, high, limit, cursor, False)
    low, high = clock.iso(now - timedelta(days=FAR)), clock.iso(now)
    return student_timeline(actor.company_id, student.student_id, enrollments, low, high, limit, cursor, True)

