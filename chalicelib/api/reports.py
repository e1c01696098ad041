"""Reports in JSON, or CSV with `?format=csv`."""

import csv
import io
from typing import get_args

from chalice import Blueprint, Response

from ..services import reports
from .routing import STAFF_ROLES, Req, route
from .schemas.reports import (
    OverviewReport,
    ReportOut,
    ReportQuery,
    ScheduleReportReport,
    StudentReportReport,
    TeacherReportReport,
)

bp = Blueprint(__name__)


def _answer(req: Req, name: str, model: type[ReportOut], report: reports.Report) -> reports.Report | Response:
    """The report as JSON (the route's response model validates it), or as CSV: a column per
    field of its rows, in their order."""
    if req.query.format != "csv":
        return report
    rows = model.model_validate(report).model_dump(mode="json", by_alias=True)["items"]
    (row_model,) = get_args(model.model_fields["items"].annotation)
    columns = list(row_model.model_fields)
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


# Each report: its name (its path, its CSV's file name, its service function), its model, what
# it shows. The four routes differ in nothing else.
REPORTS: tuple[tuple[str, type[ReportOut], str], ...] = (
    ("students", StudentReportReport, "Students: attendance and who is at risk (and why)"),
    ("teachers", TeacherReportReport, "Teachers: sessions, school cancellations, and who cancels too often"),
    ("schedules", ScheduleReportReport, "Schedules: utilization of groups and 1:1s, sessions used against sold"),
    ("overview", OverviewReport, "The whole program"),
)


def _report_route(name: str, model: type[ReportOut], summary: str) -> None:
    def view(req: Req) -> reports.Report | Response:
        q = req.query
        return _answer(req, name, model, getattr(reports, name)(req.actor, q.from_, q.to))

    view.__name__ = name
    route(
        bp,
        f"/reports/{name}",
        "GET",
        roles=STAFF_ROLES,
        query=ReportQuery,
        response=model,
        extra_media=("text/csv",),
        summary=summary,
    )(view)


for _name, _model, _summary in REPORTS:
    _report_route(_name, _model, _summary)
