"""Reports in JSON, or CSV with `?format=csv`."""

import csv
import io

from chalice import Blueprint, Response

from ..services import reports
from .routing import STAFF_ROLES, route
from .schemas import (
    OverviewReportOut,
    ReportQuery,
    SchedulesReportOut,
    StudentsReportOut,
    TeachersReportOut,
)

bp = Blueprint(__name__)


def _answer(req, name: str, model, report: reports.Report):
    if req.query.format != "csv":
        return report
    rows = model.of(report).model_dump(mode="json", by_alias=True)["items"]
    columns = list(model.model_fields["items"].annotation.__args__[0].model_fields)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return Response(
        body=out.getvalue(),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}-{report.first}-{report.last}.csv"',
        },
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """CSV spelling of a JSON value: lists joined by ';', booleans as in JSON, null empty.
    Text that a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+cmd|...`, `@SUM`) is
    prefixed with `'`, which spreadsheets show as text; numbers stay numbers."""
    if isinstance(value, list):
        return _text(";".join(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "" if value is None else _text(str(value))


def _text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@route(
    bp,
    "/reports/students",
    "GET",
    roles=STAFF_ROLES,
    query=ReportQuery,
    response=StudentsReportOut,
    extra_media=("text/csv",),
    summary="Students: attendance and who is at risk (and why)",
)
def students(req):
    q = req.query
    return _answer(req, "students", StudentsReportOut, reports.students(req.actor, q.from_, q.to))


@route(
    bp,
    "/reports/teachers",
    "GET",
    roles=STAFF_ROLES,
    query=ReportQuery,
    response=TeachersReportOut,
    extra_media=("text/csv",),
    summary="Teachers: sessions, school cancellations, and who cancels too often",
)
def teachers(req):
    q = req.query
    return _answer(req, "teachers", TeachersReportOut, reports.teachers(req.actor, q.from_, q.to))


@route(
    bp,
    "/reports/schedules",
    "GET",
    roles=STAFF_ROLES,
    query=ReportQuery,
    response=SchedulesReportOut,
    extra_media=("text/csv",),
    summary="Schedules: utilization of groups and 1:1s, sessions used against sold",
)
def schedules(req):
    q = req.query
    return _answer(req, "schedules", SchedulesReportOut, reports.schedules(req.actor, q.from_, q.to))


@route(
    bp,
    "/reports/overview",
    "GET",
    roles=STAFF_ROLES,
    query=ReportQuery,
    response=OverviewReportOut,
    extra_media=("text/csv",),
    summary="The whole program",
)
def overview(req):
    q = req.query
    return _answer(req, "overview", OverviewReportOut, reports.overview(req.actor, q.from_, q.to))
