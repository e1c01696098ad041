"""Attendance boards and the student portal, and what their cells and rows show."""

from chalice import Blueprint

from .. import ids
from ..domain import records
from ..services import attendance, boards, people
from .routing import STAFF_ROLES, STUDENT_ONLY, TEACHING_ROLES, route
from .schemas.boards import (
    BoardCellOut,
    BoardSessionOut,
    BoardStudentOut,
    MeOut,
    MyEnrollmentOut,
    MySessionsQuery,
    ScheduleBoardOut,
    StudentSessionOut,
    StudentTimelineOut,
)
from .schemas.common import Overlay
from .schemas.sessions import RangeQuery

bp = Blueprint(__name__)


def _former_student(mk: records.Mark) -> BoardStudentOut:
    """A student no longer enrolled, shown for their marks on the page: `ended`, no balance."""
    return BoardStudentOut(
        student_id=mk.student_id,
        student_name=mk.student_name,
        enrollment_id=ids.enrollment_id(mk.schedule_id, mk.student_id),
        balance=None,
        threshold=None,
        status="ended",
    )


def _cell(student_id: str, mk: records.Mark | None) -> BoardCellOut:
    """A student's cell on a session: their mark, or `unmarked` with nothing charged or held."""
    if mk is None:
        return BoardCellOut(student_id=student_id, status=attendance.UNMARKED, charged=False, held=False)
    return BoardCellOut(student_id=student_id, status=mk.status, charged=bool(mk.charged), held=bool(mk.held))


def _board_session(roster: list[records.Enrollment], row: boards.BoardSession) -> BoardSessionOut:
    """A session's column: a cell for the student it is for (a booked 1:1) or for each student
    enrolled, then one for anybody else with a mark on it."""
    s = row.session
    who = [s.student_id] if s.student_id else [e.student_id for e in roster]
    who += [sid for sid in row.marks if sid not in who]
    return BoardSessionOut.model_validate(Overlay(s, attendance=[_cell(sid, row.marks.get(sid)) for sid in who]))


def schedule_board_out(b: boards.ScheduleBoard) -> ScheduleBoardOut:
    """The schedule's students (those enrolled, then those gone who have marks on the page)
    and its sessions with their cells."""
    students = [BoardStudentOut.model_validate(e) for e in b.roster] + [_former_student(mk) for mk in b.former]
    items = [_board_session(b.roster, row) for row in b.sessions]
    return ScheduleBoardOut.model_validate(Overlay(b, students=students, items=items))


def portal_status(row: boards.StudentSession) -> str:
    """What a student's session shows: its mark; a session the school cancelled without one
    shows `cancelled`; else `unmarked`."""
    if row.mark is not None:
        return row.mark.status
    return "cancelled" if row.session.status == "cancelled" else attendance.UNMARKED


def timeline_out(t: boards.StudentTimeline) -> StudentTimelineOut:
    """A student's sessions across schedules, each with its status and whether it was charged."""
    items = [
        StudentSessionOut.model_validate(
            Overlay(row, status=portal_status(row), charged=bool(row.mark.charged) if row.mark else False)
        )
        for row in t.items
    ]
    return StudentTimelineOut.model_validate(Overlay(t, items=items))


@route(
    bp,
    "/schedules/{schedule_id}/board",
    "GET",
    roles=TEACHING_ROLES,
    query=RangeQuery,
    summary="Attendance board of a group or 1:1 schedule",
    response=ScheduleBoardOut,
    presenter=schedule_board_out,
)
def schedule_board(req):
    q = req.query
    return boards.schedule_board(req.actor, req.params["schedule_id"], q.from_, q.to, q.limit, q.next)


@route(
    bp,
    "/students/{student_id}/board",
    "GET",
    roles=STAFF_ROLES,
    query=RangeQuery,
    summary="Attendance board of one student across schedules",
    response=StudentTimelineOut,
    presenter=timeline_out,
)
def student_board(req):
    q = req.query
    return boards.student_board(req.actor, req.params["student_id"], q.from_, q.to, q.limit, q.next)


@route(bp, "/me", "GET", roles=STUDENT_ONLY, summary="The signed-in student", response=MeOut)
def me(req):
    return people.own_student(req.actor)


@route(
    bp,
    "/me/enrollments",
    "GET",
    roles=STUDENT_ONLY,
    summary="My remaining sessions per enrollment",
    response=MyEnrollmentOut,
    many=True,
)
def my_enrollments(req):
    return boards.my_enrollments(req.actor, req.query.limit, req.query.next)


@route(
    bp,
    "/me/sessions",
    "GET",
    roles=STUDENT_ONLY,
    query=MySessionsQuery,
    summary="My past sessions (newest first) or upcoming sessions (soonest first)",
    response=StudentTimelineOut,
    presenter=timeline_out,
)
def my_sessions(req):
    q = req.query
    return boards.my_sessions(req.actor, q.when, q.limit, q.next)
