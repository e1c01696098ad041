"""Enrollments, balances, their packages (lots), pauses, the ledger and statements."""

import csv
import html
import io

from chalice import Blueprint, Response

from .. import ids
from ..domain import records
from ..services import enrollments, lots
from .reports import _cell
from .routing import STAFF_ROLES, STUDENT_ONLY, TEACHING_ROLES, Req, route
from .schemas.common import Overlay
from .schemas.enrollments import (
    AdjustmentIn,
    EnrollmentIn,
    EnrollmentOut,
    EnrollmentPatch,
    LedgerEntryOut,
    PauseEndIn,
    PauseIn,
    StatementOut,
    StatementQuery,
    TopUpIn,
)

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
    summary="Add a package (lot) of sessions, with an expiry; sessions owed are paid from it first",
    body=TopUpIn,
    response=EnrollmentOut,
)
def top_up(req):
    return enrollments.top_up(req.actor, req.params["enrollment_id"], **req.body.model_dump(), claim=req.claim)


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


@route(
    bp,
    "/enrollments/{enrollment_id}/pauses",
    "POST",
    roles=STAFF_ROLES,
    idempotent=True,
    summary="Pause an enrollment (no charges in it; every package's expiry moves by its length)",
    body=PauseIn,
    response=EnrollmentOut,
    status=201,
)
def pause(req):
    return lots.pause(req.actor, req.params["enrollment_id"], **req.body.model_dump(), claim=req.claim)


@route(
    bp,
    "/enrollments/{enrollment_id}/pauses/{pause_id}/end",
    "POST",
    roles=STAFF_ROLES,
    idempotent=True,
    optional_body=True,
    summary="End a pause early: the days not used come off the expiries it moved",
    body=PauseEndIn,
    response=EnrollmentOut,
)
def end_pause(req):
    on = req.body.on if req.body is not None else None
    return lots.end_pause(req.actor, req.params["enrollment_id"], req.params["pause_id"], on=on, claim=req.claim)


def _statement_answer(req: Req, statement: lots.Statement) -> lots.Statement | Response:
    """The statement as JSON, CSV (a row per entry, by lot) or a printable HTML page."""
    fmt = req.query.format
    if fmt == "json":
        return statement
    body = StatementOut.model_validate(statement).model_dump(mode="json")
    name = f"statement-{statement.enrollment_id}-{statement.as_of or 'now'}"
    if fmt == "csv":
        out = io.StringIO()
        columns = [
            "lot_id",
            "source",
            "sessions",
            "expires_at",
            "seq",
            "at",
            "kind",
            "delta",
            "balance_after",
            "reference",
            "note",
        ]
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for lot in body["lots"]:
            head = {
                "lot_id": lot["id"],
                "source": lot["source"],
                "sessions": lot["sessions"],
                "expires_at": lot["expires_at"],
            }
            for line in lot["lines"]:
                writer.writerow({k: _cell(v) for k, v in {**head, **{c: line[c] for c in columns[4:]}}.items()})
        for line in body["owed_lines"]:
            writer.writerow({k: _cell(v) for k, v in {"lot_id": "owed", **{c: line[c] for c in columns[4:]}}.items()})
        return Response(
            body=out.getvalue(),
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{name}.csv"',
            },
        )
    return Response(body=_statement_html(body), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


def _statement_html(body: dict) -> str:
    e = html.escape
    when = f"as of {body['as_of']}" if body["as_of"] else "today"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Statement: {e(body['student_name'])}, {e(body['schedule_name'])}</title></head><body>",
        f"<h1>{e(body['student_name'])}: {e(body['schedule_name'])}</h1>",
        f"<p>Statement {e(when)} (times in {e(body['timezone'])} are shown in UTC). "
        f"Balance: <strong>{body['balance']}</strong>" + (f"; owed: {body['owed']}" if body["owed"] else "") + "</p>",
    ]
    for lot in body["lots"]:
        expiry = f"expires {e(lot['expires_at'])}" if lot["expires_at"] else "no expiry"
        parts.append(
            f"<h2>Package {e(lot['id'])}: {lot['sessions']} session(s), {e(lot['source'])}, bought "
            f"{e(lot['bought_at'][:10])}, {expiry}</h2>"
            f"<p>Used {lot['used']}, given back {lot['given_back']}, expired {lot['expired']}, "
            f"paid for owed {lot['settled']}, left {lot['remaining']}.</p>"
        )
        parts.append(_lines_html(lot["lines"]))
    if body["owed_lines"]:
        parts.append("<h2>Sessions owed</h2>" + _lines_html(body["owed_lines"]))
    parts.append("</body></html>")
    return "".join(parts)


def _lines_html(lines: list[dict]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(x['at'])}</td><td>{e(x['kind'])}</td><td>{x['delta']:+d}</td><td>{x['balance_after']}</td>"
        f"<td>{e(x['reference'] or '')}</td><td>{e(x['note'] or '')}</td></tr>"
        for x in lines
    )
    return (
        "<table><thead><tr><th>When</th><th>What</th><th>Sessions</th><th>Balance after</th><th>For</th>"
        f"<th>Note</th></tr></thead><tbody>{rows}</tbody></table>"
    )


@route(
    bp,
    "/enrollments/{enrollment_id}/statement",
    "GET",
    roles=STAFF_ROLES,
    query=StatementQuery,
    summary="Every package with what was used from it, when and for which session, what expired and what is left",
    response=StatementOut,
    extra_media=("text/csv", "text/html"),
)
def statement(req):
    return _statement_answer(req, lots.statement(req.actor, req.params["enrollment_id"], req.query.as_of))


@route(
    bp,
    "/me/enrollments/{enrollment_id}/statement",
    "GET",
    roles=STUDENT_ONLY,
    query=StatementQuery,
    summary="My statement for one enrollment",
    response=StatementOut,
    extra_media=("text/csv", "text/html"),
)
def my_statement(req):
    return _statement_answer(req, lots.my_statement(req.actor, req.params["enrollment_id"], req.query.as_of))
