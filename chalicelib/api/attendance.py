"""Attendance: marks, bulk marks, the roster and held no-shows."""

from chalice import Blueprint

from .. import clock
from ..services import attendance
from .routing import STAFF_ROLES, TEACHING_ROLES, route
from .schemas import BulkIn, BulkOut, HeldOut, MarkIn, MarkOut, RosterOut

bp = Blueprint(__name__)


def _mark_request(body) -> attendance.MarkRequest:
    return attendance.MarkRequest(
        status=body.status,
        note=body.note,
        charge=body.charge,
        reason=body.reason,
        cancelled_at=clock.iso(body.cancelled_at) if body.cancelled_at else None,
    )


# The marks' routes fold the caller's login into the one read a mark makes (folds_caller).
@route(
    bp,
    "/sessions/{session_id}/attendance/{student_id}",
    "PUT",
    roles=TEACHING_ROLES,
    idempotent=True,
    summary="Record a student's attendance; the balance moves by the policy",
    body=MarkIn,
    response=MarkOut,
    folds_caller=True,
)
def record(req):
    return attendance.record(
        req.actor,
        req.params["session_id"],
        req.params["student_id"],
        _mark_request(req.body),
        req.if_match,
        claim=req.claim,
    )


@route(
    bp,
    "/sessions/{session_id}/attendance/{student_id}",
    "DELETE",
    roles=STAFF_ROLES,
    idempotent=True,
    summary="Clear a mark and reverse its charge",
    response=MarkOut,
    folds_caller=True,
)
def clear(req):
    return attendance.clear(
        req.actor, req.params["session_id"], req.params["student_id"], req.if_match, claim=req.claim
    )


@route(
    bp,
    "/sessions/{session_id}/attendance",
    "POST",
    roles=TEACHING_ROLES,
    idempotent=True,
    summary="Mark a roster; each student's mark is atomic on its own",
    body=BulkIn,
    response=BulkOut,
    folds_caller=True,
)
def record_many(req):
    requests = [(r.student_id, _mark_request(r)) for r in req.body.records]
    return attendance.record_many(req.actor, req.params["session_id"], requests, claim=req.claim)


@route(
    bp,
    "/sessions/{session_id}/attendance",
    "GET",
    roles=TEACHING_ROLES,
    summary="The roster: every student the session is for, with status or unmarked",
    response=RosterOut,
)
def roster(req):
    return attendance.roster(req.actor, req.params["session_id"])


@route(
    bp,
    "/attendance/held",
    "GET",
    roles=STAFF_ROLES,
    summary="No-shows held under a hold policy",
    response=HeldOut,
    many=True,
)
def held(req):
    return attendance.held(req.actor, req.query.limit, req.query.next)
