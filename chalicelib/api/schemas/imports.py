"""Imports: a CSV from another system, its rows, its progress."""

from typing import Literal

from pydantic import Field

from .common import Count, ListQuery, Out, Query


class ImportQuery(Query):
    name: str | None = Field(None, max_length=200, description="what to call the import (e.g. the file's name)")


class ImportRowsQuery(ListQuery):
    status: (
        Literal["ready", "needs_information", "duplicate", "error", "applied", "failed", "undone", "kept"] | None
    ) = None


class ImportOut(Out):
    id: str = Field(validation_alias="import_id")
    name: str
    status: Literal["validating", "validated", "committing", "committed", "undoing", "undone", "failed"]
    rows: int
    ready: int
    needs_information: int
    duplicate: int
    error: int
    applied: int
    failed: int = Field(description="ready rows that could not be applied after all (each row says why)")
    undone: int
    kept: int = Field(description="rows an undo kept: changed since the import")
    progress: float = Field(description="the share of the current stage's rows worked through, 0 to 1")
    created_by: str
    created_at: str
    updated_at: str
    committed_at: str | None
    undo_until: str | None
    problem: str | None
    version: Count


class ImportRowOut(Out):
    row: int = Field(description="the line of the file (the header is line 1)")
    status: str
    reason: str | None
    name: str | None
    email: str | None
    schedule: str | None
    schedule_id: str | None
    sessions: int
    expires_at: str | None
    responsible_staff_id: str | None
    student_id: str | None
