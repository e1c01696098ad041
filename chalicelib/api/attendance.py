"""Attendance: marks, bulk marks, the roster and held no-shows, and how a mark is shown
(`mark_out`: also the cancellation's, api/sessions.py)."""

from chalice import Blueprint

from .. import clock, ids
from ..domain import records
from ..services import attendance
from .routing import STAFF_ROLES, TEACHING_ROLES, route
from .schemas.attendance import (
    BulkIn,
    BulkOut,
    BulkOutcomeOut,
    HeldOut,
    MarkIn,
    MarkOut,
    RosterEntryOut,
    RosterOut,
)
from .schemas.common import Overlay

bp = Blueprint(__name__)


def mark_out(view: attendance.MarkView) -> MarkOut:
    """A student's mark with the balance after it; without a mark, `unmarked`, nothing
    charged or held, version 0 and no recorder (services/attendance.py: `mark_out_fields`)."""
    return MarkOut.model_validate(attendance.mark_out_fields(view))


def bulk_out(bulk: attendance.Bulk) -> BulkOut:
    """Each student's outcome: their mark, or the error that kept it from being recorded."""
    items = [
        BulkOutcomeOut.model_validate(
            Overlay(o, ok=o.error is None, mark=mark_out(o.view) if o.view is not None else None)
        )
        for o in bulk.outcomes
    ]
    return BulkOut(session_id=bulk.session_id, items=items)


def _roster_entry(schedule_id: str, row: attendance.RosterRow) -> RosterEntryOut:
    """A student on the roster: an enrollment that has ended (or is gone) shows `ended` and no
    balance; no mark shows `unmarked`, nothing charged or held, version 0."""
    e, mk = row.enrollment, row.mark
    return RosterEntryOut(
        student_id=row.student_id,
        student_name=row.student_name,
        enrollment_id=ids.enrollment_id(schedule_id, row.student_id),
        enrollment_status=e.status if e else "ended",
        balance=e.balance if e else None,
        threshold=e.threshold if e else None,
        status=mk.status if mk else attendance.UNMARKED,
        charged=bool(mk.charged) if mk else False,
        held=bool(mk.held) if mk else False,
        version=int(mk.version or 0) if mk else 0,
    )


def roster_out(r: attendance.Roster) -> RosterOut:
    items = [_roster_entry(r.session.schedule_id, row) for row in r.rows]
    return RosterOut.model_validate(Overlay(r, items=items))


def held_out(mk: records.Mark) -> HeldOut:
    """A held no-show, with the id of the enrollment it is held on."""
    return HeldOut.model_validate(Overlay(mk, enrollment_id=ids.enrollment_id(mk.schedule_id, mk.student_id)))


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
    presenter=mark_out,
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
    presenter=mark_out,
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
    presenter=bulk_out,
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
    presenter=roster_out,
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
    presenter=held_out,
    many=True,
)
def held(req):
    return attendance.held(req.actor, req.query.limit, req.query.next)
