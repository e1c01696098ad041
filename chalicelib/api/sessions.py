"""Sessions: one-off sessions, lists by date range, reschedule and substitute, and the
school's cancellation of a whole session."""

from chalice import Blueprint

from ..services import attendance, sessions
from .attendance import mark_out
from .routing import STAFF_ROLES, TEACHING_ROLES, route
from .schemas.attendance import CancellationOut
from .schemas.sessions import CancelIn, RangeQuery, SessionIn, SessionOut, SessionPatch

bp = Blueprint(__name__)


def cancellation_out(c: attendance.Cancellation) -> CancellationOut:
    """The cancelled session, and each student's mark as the cancellation left it."""
    return CancellationOut(session=SessionOut.model_validate(c.session), marks=[mark_out(v) for v in c.outcomes])


@route(
    bp,
    "/schedules/{schedule_id}/sessions",
    "POST",
    roles=STAFF_ROLES,
    summary="Add a one-off session",
    body=SessionIn,
    response=SessionOut,
    status=201,
)
def create_session(req):
    return sessions.create_one_off(req.actor, req.params["schedule_id"], **req.body.model_dump())


@route(
    bp,
    "/schedules/{schedule_id}/sessions",
    "GET",
    roles=TEACHING_ROLES,
    summary="The schedule's sessions between two dates",
    query=RangeQuery,
    response=SessionOut,
    many=True,
)
def list_sessions(req):
    q = req.query
    return sessions.list_sessions(req.actor, req.params["schedule_id"], q.from_, q.to, q.limit, q.next)


@route(bp, "/sessions/{session_id}", "GET", roles=TEACHING_ROLES, summary="A session", response=SessionOut)
def get_session(req):
    return sessions.get_session(req.actor, req.params["session_id"])


@route(
    bp,
    "/sessions/{session_id}",
    "PATCH",
    roles=STAFF_ROLES,
    summary="Reschedule or give a substitute teacher",
    body=SessionPatch,
    response=SessionOut,
)
def update_session(req):
    return sessions.update_session(req.actor, req.params["session_id"], req.body.changes(), req.if_match)


@route(
    bp,
    "/sessions/{session_id}/cancel",
    "POST",
    roles=STAFF_ROLES,
    idempotent=True,
    summary="The school cancels the session: everyone cancelled, nobody charged, charges reversed",
    body=CancelIn,
    response=CancellationOut,
    presenter=cancellation_out,
    optional_body=True,
)
def cancel_session(req):
    return attendance.cancel_session(
        req.actor, req.params["session_id"], req.body.reason if req.body else None, claim=req.claim
    )


@route(
    bp,
    "/staff/{staff_id}/sessions",
    "GET",
    roles=TEACHING_ROLES,
    query=RangeQuery,
    response=SessionOut,
    many=True,
    summary="A teacher's sessions between two dates, across schedules (default: the next 7 days)",
)
def teacher_sessions(req):
    q = req.query
    return sessions.teacher_sessions(req.actor, req.params["staff_id"], q.from_, q.to, q.limit, q.next)
