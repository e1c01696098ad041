"""Attendance boards and the student portal: read-only views over sessions and marks.

- A schedule's board is its header with its active roster (one query of LSI1 `R#`) and one
  page of its timeline (sessions with their marks, one query). Ended enrollments are never
  read: a student who left shows on a page where they have marks, from those marks.
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
from ..store import pages, reads
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


def schedule_board(actor: Actor, schedule_id: str, start: date | None, end: date | None, limit: int,
                   cursor: str | None) -> ScheduleBoard:
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
    if not ids.is_id(student_id):
        raise NotFound("student", student_id)
    wanted = (reads.student(actor.company_id, student_id), reads.company(actor.company_id))
    found = reads.load(wanted)  # one BatchGetItem: the student and the company's time zone
    student, company = (found.get(ref) for ref in wanted)
    if student is None:
        raise NotFound("student", student_id)
    enrollments = enrollment_store.list_student_enrollments(actor.company_id, student_id, 200, None).items
    low, high = day_range(company.timezone if company else "UTC", start, end)
    return student_timeline(actor.company_id, student_id, enrollments, low, high, limit, cursor, descending=False)


# --- the portal --------------------------------------------------------------------------

def my_enrollments(actor: Actor, limit: int, cursor: str | None):
    return enrollment_store.list_student_enrollments(actor.company_id, own_student_id(actor), limit, cursor)


def my_sessions(actor: Actor, when: str, limit: int, cursor: str | None) -> StudentTimeline:
    """Past sessions (newest first) or upcoming ones (soonest first), with my status."""
    student_id = own_student_id(actor)
    enrollments = enrollment_store.list_student_enrollments(actor.company_id, student_id, 200, None).items
    now = clock.now()
    if when == "upcoming":
        enrollments = [e for e in enrollments if e.status == "active"]
        low, high = clock.iso(now), clock.iso(now + timedelta(days=FAR))
        return student_timeline(actor.company_id, student_id, enrollments, low, high, limit, cursor, False)
    low, high = clock.iso(now - timedelta(days=FAR)), clock.iso(now)
    return student_timeline(actor.company_id, student_id, enrollments, low, high, limit, cursor, True)

