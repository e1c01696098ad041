"""Imports from another system: upload a CSV (the dry run follows), read its rows, commit, undo."""

from chalice import Blueprint

from ..domain import records
from ..services import imports
from .routing import ADMIN_ONLY, route
from .schemas.common import Overlay
from .schemas.imports import ImportOut, ImportQuery, ImportRowOut, ImportRowsQuery

bp = Blueprint(__name__)


def import_out(x: records.Import) -> ImportOut:
    """The import with how far its current stage has come."""
    if x.status in ("validating",):
        progress = 0.0
    elif x.status in ("committing", "undoing"):
        progress = min(x.next_row / (x.rows + 2), 1.0) if x.rows else 1.0
    else:
        progress = 1.0
    return ImportOut.model_validate(Overlay(x, progress=round(progress, 4)))


@route(
    bp,
    "/imports",
    "POST",
    roles=ADMIN_ONLY,
    query=ImportQuery,
    summary="Upload a CSV of students, enrollments and opening packages; the dry run follows in the background",
    response=ImportOut,
    presenter=import_out,
    status=202,
    content_types=("text/csv", "application/octet-stream"),
    max_body=imports.MAX_BYTES,
)
def start(req):
    return imports.start(req.actor, req.query.name, req.raw_body or b"")


@route(
    bp,
    "/imports",
    "GET",
    roles=ADMIN_ONLY,
    summary="The company's imports, newest first",
    response=ImportOut,
    presenter=import_out,
    many=True,
)
def list_imports(req):
    return imports.list_imports(req.actor, req.query.limit, req.query.next)


@route(
    bp,
    "/imports/{import_id}",
    "GET",
    roles=ADMIN_ONLY,
    summary="An import and its progress",
    response=ImportOut,
    presenter=import_out,
)
def get_import(req):
    return imports.get_import(req.actor, req.params["import_id"])


@route(
    bp,
    "/imports/{import_id}/rows",
    "GET",
    roles=ADMIN_ONLY,
    query=ImportRowsQuery,
    summary="The import's rows with what the dry run made of each and what became of it",
    response=ImportRowOut,
    many=True,
)
def rows(req):
    q = req.query
    return imports.list_rows(req.actor, req.params["import_id"], q.status, q.limit, q.next)


@route(
    bp,
    "/imports/{import_id}/commit",
    "POST",
    roles=ADMIN_ONLY,
    optional_body=True,
    summary="Apply the ready rows of a validated import (in the background)",
    response=ImportOut,
    presenter=import_out,
    status=202,
)
def commit(req):
    return imports.commit(req.actor, req.params["import_id"])


@route(
    bp,
    "/imports/{import_id}/undo",
    "POST",
    roles=ADMIN_ONLY,
    optional_body=True,
    summary="Undo a committed import within 24 hours (what changed since is kept)",
    response=ImportOut,
    presenter=import_out,
    status=202,
)
def undo(req):
    return imports.undo(req.actor, req.params["import_id"])
