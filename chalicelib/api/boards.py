"""Attendance boards and the student portal."""

from chalice import Blueprint

from ..services import boards, people
from .routing import STAFF_ROLES, STUDENT_ONLY, TEACHING_ROLES, route
from .schemas import (
    MeOut,
    MyEnrollmentOut,
    MySessionsQuery,
    RangeQuery,
    ScheduleBoardOut,
    StudentTimelineOut,
)

bp = Blueprint(__name__)


@route(
    bp,
    "/schedules/{schedule_id}/board",
    "GET",
    roles=TEACHING_ROLES,
    query=RangeQuery,
    summary="Attendance board of a group or 1:1 schedule",
    response=ScheduleBoardOut,
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
)
def my_sessions(req):
    q = req.query
    return boards.my_sessions(req.actor, q.when, q.limit, q.next)
