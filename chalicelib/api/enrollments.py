"""Enrollments, balances and the ledger."""

from chalice import Blueprint

from .. import ids
from ..domain import records
from ..services import enrollments
from .routing import STAFF_ROLES, TEACHING_ROLES, route
from .schemas.common import Overlay
from .schemas.enrollments import AdjustmentIn, EnrollmentIn, EnrollmentOut, EnrollmentPatch, LedgerEntryOut, TopUpIn

bp = Blueprint(__name__)


def ledger_entry_out(x: records.LedgerEntry) -> LedgerEntryOut:
    """A ledger entry, named by its enrollment and its place in that enrollment's ledger."""
    enrollment_id = ids.enrollment_id(x.schedule_id, x.student_id)
    return LedgerEntryOut.model_validate(Overlay(x, id=f"{enrollment_id}.{int(x.seq)}", enrollment_id=enrollment_id))


@route(
    bp,
    "/schedules/{schedule_id}/enrollments",
    "POST",
    roles=STAFF_ROLES,
    summary="Enroll a student with an initial balance",
    body=EnrollmentIn,
    response=EnrollmentOut,
    status=201,
)
def enroll(req):
    return enrollments.enroll(req.actor, req.params["schedule_id"], **req.body.model_dump())


@route(
    bp,
    "/schedules/{schedule_id}/enrollments",
    "GET",
    roles=TEACHING_ROLES,
    summary="The schedule's enrollments with balances",
    response=EnrollmentOut,
    many=True,
)
def list_schedule_enrollments(req):
    return enrollments.list_schedule_enrollments(req.actor, req.params["schedule_id"], req.query.limit, req.query.next)


@route(
    bp,
    "/students/{student_id}/enrollments",
    "GET",
    roles=STAFF_ROLES,
    summary="The student's enrollments with balances",
    response=EnrollmentOut,
    many=True,
)
def list_student_enrollments(req):
    return enrollments.list_student_enrollments(req.actor, req.params["student_id"], req.query.limit, req.query.next)


@route(bp, "/enrollments/{enrollment_id}", "GET", roles=STAFF_ROLES, summary="An enrollment", response=EnrollmentOut)
def get_enrollment(req):
    return enrollments.get_enrollment(req.actor, req.params["enrollment_id"])


@route(
    bp,
    "/enrollments/{enrollment_id}",
    "PATCH",
    roles=STAFF_ROLES,
    idempotent=True,
    summary="Change an enrollment; a new balance is recorded as an adjustment",
    body=EnrollmentPatch,
    response=EnrollmentOut,
)
def update_enrollment(req):
    return enrollments.update_enrollment(
        req.actor, req.params["enrollment_id"], req.body.changes(), req.if_match, claim=req.claim
    )


@route(
    bp,
    "/enrollments/{enrollment_id}/top-ups",
    "POST",
    roles=STAFF_ROLES,
    idempotent=True,
    summary="Add sessions to the balance",
    body=TopUpIn,
    response=EnrollmentOut,
)
def top_up(req):
    return enrollments.top_up(
        req.actor, req.params["enrollment_id"], sessions=req.body.sessions, note=req.body.note, claim=req.claim
    )


@route(
    bp,
    "/enrollments/{enrollment_id}/adjustments",
    "POST",
    roles=STAFF_ROLES,
    idempotent=True,
    summary="Correct the balance, with a reason",
    body=AdjustmentIn,
    response=EnrollmentOut,
)
def adjust(req):
    return enrollments.adjust(
        req.actor, req.params["enrollment_id"], delta=req.body.delta, reason=req.body.reason, claim=req.claim
    )


@route(
    bp,
    "/enrollments/{enrollment_id}/ledger",
    "GET",
    roles=STAFF_ROLES,
    summary="Every balance change, oldest first",
    response=LedgerEntryOut,
    presenter=ledger_entry_out,
    many=True,
)
def ledger(req):
    return enrollments.ledger_of(req.actor, req.params["enrollment_id"], req.query.limit, req.query.next)
