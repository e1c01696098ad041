"""Staff members and students."""

from chalice import Blueprint

from ..services import people
from .routing import ADMIN_ONLY, STAFF_ROLES, route
from .schemas.people import StaffIn, StaffOut, StudentIn, StudentOut, StudentsQuery

bp = Blueprint(__name__)


@route(
    bp, "/staff", "POST", roles=ADMIN_ONLY, summary="Add a staff member", body=StaffIn, response=StaffOut, status=201
)
def create_staff(req):
    return people.create_staff(req.actor, **req.body.model_dump())


@route(bp, "/staff", "GET", roles=STAFF_ROLES, summary="List staff", response=StaffOut, many=True)
def list_staff(req):
    return people.list_staff(req.actor, req.query.limit, req.query.next)


@route(bp, "/staff/{staff_id}", "GET", roles=STAFF_ROLES, summary="A staff member", response=StaffOut)
def get_staff(req):
    return people.get_staff(req.actor, req.params["staff_id"])


@route(
    bp, "/students", "POST", roles=STAFF_ROLES, summary="Add a student", body=StudentIn, response=StudentOut, status=201
)
def create_student(req):
    return people.create_student(req.actor, **req.body.model_dump())


@route(
    bp,
    "/students",
    "GET",
    roles=STAFF_ROLES,
    summary="List students, or search them by name, surname or email (?q=)",
    query=StudentsQuery,
    response=StudentOut,
    many=True,
)
def list_students(req):
    return people.list_students(req.actor, req.query.limit, req.query.next, req.query.q)


@route(bp, "/students/{student_id}", "GET", roles=STAFF_ROLES, summary="A student", response=StudentOut)
def get_student(req):
    return people.get_student(req.actor, req.params["student_id"])
