"""Schedules: group classes and 1:1 series."""

from chalice import Blueprint

from ..services import schedules
from .routing import STAFF_ROLES, TEACHING_ROLES, route
from .schemas.schedules import ScheduleIn, ScheduleOut, SchedulePatch

bp = Blueprint(__name__)


@route(
    bp,
    "/schedules",
    "POST",
    roles=STAFF_ROLES,
    summary="Create a schedule",
    body=ScheduleIn,
    response=ScheduleOut,
    status=201,
)
def create_schedule(req):
    data = req.body.model_dump(exclude={"recurrence", "policy"})
    recurrence = req.body.recurrence.stored() if req.body.recurrence else None
    policy = req.body.policy.model_dump() if req.body.policy else None
    return schedules.create_schedule(req.actor, **data, recurrence=recurrence, policy=policy)


@route(
    bp,
    "/schedules",
    "GET",
    roles=TEACHING_ROLES,
    summary="List schedules (a teacher: the ones they teach)",
    response=ScheduleOut,
    many=True,
)
def list_schedules(req):
    return schedules.list_schedules(req.actor, req.query.limit, req.query.next)


@route(bp, "/schedules/{schedule_id}", "GET", roles=TEACHING_ROLES, summary="A schedule", response=ScheduleOut)
def get_schedule(req):
    return schedules.get_schedule(req.actor, req.params["schedule_id"])


@route(
    bp,
    "/schedules/{schedule_id}",
    "PATCH",
    roles=STAFF_ROLES,
    summary="Change a schedule",
    body=SchedulePatch,
    response=ScheduleOut,
)
def update_schedule(req):
    return schedules.update_schedule(req.actor, req.params["schedule_id"], req.body.changes(), req.if_match)
