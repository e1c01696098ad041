"""Moving a school in from another system: a CSV of students, enrollments and opening
packages (lots), checked (import_checks.py), committed, and undone within 24 hours.

`start` stores the file (in parts under 300 KB) and the import, `validating`; the work is
done in background steps, each started by the table's stream when the import item
changes (its `step` moves on), so no request or function run holds a whole file. A commit
applies the ready rows `ROWS_PER_STEP` a step, rows of one schedule `GROUP` to a
transaction, each row marked applied over its version, so a row is applied once however
often a step runs; a group refused as a whole goes row by row, and a row that cannot be
applied is `failed` with the reason. A re-upload finds every row a duplicate. Undo removes
what is still as the import left it and `kept`s the rest. docs/architecture.md, "Imports".
"""

import csv
from dataclasses import replace
from datetime import timedelta
from typing import Any

from .. import clock, ids
from ..domain import lots, records, thresholds
from ..errors import Conflict, InvalidInput, NotFound, OptClassError, StoreUnavailable
from ..observability import log_event
from ..store import enrollments as enrollment_store
from ..store import imports as store
from ..store import people as people_store
from ..store import reads
from ..store import stream
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import UnitOfWork
from .context import Actor
from . import import_checks

REQUIRED = ("name", "email", "schedule", "sessions")
OPTIONAL = ("expires_on", "responsible_staff_email", "user_id")
MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 20_000
PART_CHARS = 300_000  # a part item stays well under DynamoDB's 400 KB
ROWS_PER_STEP = 1000
GROUP = 20  # rows per transaction: 4 items each and the schedule's seats, under 100 actions
UNDO_HOURS = 24
WORKING = ("validating", "committing", "undoing")


class ImportNotReady(Conflict):
    code = "import_not_ready"


class _RowTaken(Exception):
    """The row was applied or undone by another run of the same step."""


# --- starting ----------------------------------------------------------------------------------


def start(actor: Actor, name: str | None, raw: bytes) -> records.Import:
    """Store the file and the import (status `validating`); the dry run follows in the background."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"the file is over {MAX_BYTES} bytes", [{"field": "body", "message": "too large"}])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", [{"field": "body", "message": "not UTF-8"}]) from None
    lines = text.splitlines(keepends=True)
    try:
        header = import_checks.columns(next(csv.reader(lines[:1]))) if lines else []
    except csv.Error as exc:
        raise InvalidInput(f"the header cannot be read: {exc}", [{"field": "body", "message": "bad header"}]) from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            f"the header lacks {', '.join(missing)} (columns: {', '.join(REQUIRED + OPTIONAL)})",
            [{"field": "body", "message": f"missing column {c}"} for c in missing],
        )
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise InvalidInput(
            f"unknown columns: {', '.join(unknown)}",
            [{"field": "body", "message": f"unknown column {c}"} for c in unknown],
        )
    rows = sum(1 for line in lines[1:] if line.strip())
    if not rows:
        raise InvalidInput("the file has no rows under its header", [{"field": "body", "message": "no rows"}])
    if rows > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows a file", [{"field": "body", "message": f"{rows} rows"}])
    cid, import_id, now = actor.company_id, ids.new_id(), clock.now_iso()
    chunks, current = [], ""
    for line in lines:
        if len(current) + len(line) > PART_CHARS and current:
            chunks.append(current)
            current = ""
        if len(line) > PART_CHARS:
            raise InvalidInput("a line is over 300,000 characters", [{"field": "body", "message": "line too long"}])
        current += line
    chunks.append(current)
    made_parts = [records.ImportPart(company_id=cid, import_id=import_id, part=i, text=t) for i, t in enumerate(chunks)]
    uow_.reading(lambda: store.put_parts(made_parts), company_id=cid)  # idempotent overwrites: retried as reads are
    made = records.Import(
        company_id=cid,
        import_id=import_id,
        name=(name or "import")[:200],
        status="validating",
        created_by=actor.label,
        created_at=now,
        updated_at=now,
        parts=len(chunks),
        rows=rows,
    )
    return uow_.run(lambda uow: uow.create(made), company_id=cid)


def get_import(actor: Actor, import_id: str) -> records.Import:
    found = store.get_import(actor.company_id, import_id) if ids.is_id(import_id) else None
    if found is None:
        raise NotFound("import", import_id)
    return found


def list_imports(actor: Actor, limit: int, cursor: str | None) -> Page:
    return store.list_imports(actor.company_id, limit, cursor)


def list_rows(actor: Actor, import_id: str, status: str | None, limit: int, cursor: str | None) -> Page:
    get_import(actor, import_id)
    return store.list_rows(actor.company_id, import_id, status, limit, cursor)


def _move(actor: Actor, import_id: str, wanted: str, to: str) -> records.Import:
    def step(uow: UnitOfWork) -> records.Import:
        current = get_import(actor, import_id)
        if current.status != wanted:
            raise ImportNotReady(
                f"the import is {current.status}; this needs it {wanted}",
                [{"field": "status", "message": current.status}],
            )
        if to == "undoing" and (current.undo_until or "") < clock.now_iso():
            raise ImportNotReady(
                f"an import can be undone until {current.undo_until}", [{"field": "status", "message": "too late"}]
            )
        return store.save_import(
            uow, replace(current, status=to, next_row=0, step=current.step + 1, updated_at=clock.now_iso())
        )

    return uow_.run(step, company_id=actor.company_id)


def commit(actor: Actor, import_id: str) -> records.Import:
    """Apply the ready rows (in the background); the import must have been validated."""
    return _move(actor, import_id, "validated", "committing")


def undo(actor: Actor, import_id: str) -> records.Import:
    return _move(actor, import_id, "committed", "undoing")


# --- the background steps ----------------------------------------------------------------------


def apply_stream_records(stream_records: list[dict]) -> dict[str, int]:
    """The stream's part: each import that moved to a working state or on to its next step
    gets that step run (a record handed on again finds the step done and does nothing)."""
    stepped = 0
    for r in stream_records:
        data = r.get("dynamodb", {})
        after = stream._record_of(data.get("NewImage"), stream.IMPORT_TYPES)
        before = stream._record_of(data.get("OldImage"), stream.IMPORT_TYPES)
        if not isinstance(after, records.Import) or after.status not in WORKING:
            continue
        if isinstance(before, records.Import) and (before.status, before.step) == (after.status, after.step):
            continue
        stepped += work(after.company_id, after.import_id, after.step)
    return {"import_steps": stepped}


def work(cid: str, import_id: str, step_no: int) -> int:
    """Run the import's step `step_no` if it is still the one due; 1 if a step ran."""
    imp = uow_.reading(lambda: store.get_import(cid, import_id), company_id=cid)
    if imp is None or imp.status not in WORKING or imp.step != step_no:
        return 0
    try:
        if imp.status == "validating":
            import_checks.validate(imp)
        elif imp.status == "committing":
            _commit_step(imp)
        else:
            _undo_step(imp)
    except StoreUnavailable:
        raise  # transient: the stream hands the record on again
    except import_checks.Stale:
        return 0
    except Exception as exc:  # noqa: BLE001 - a broken import must not hold the stream up; it says why
        log_event("error", message="import step failed", company_id=cid, import_id=import_id, error=type(exc).__name__)
        import_checks.finish(imp, {"status": "failed", "problem": f"{type(exc).__name__}: {exc}"[:500]})
    return 1


def _commit_step(imp: records.Import) -> None:
    cid = imp.company_id
    rows = uow_.reading(lambda: store.rows_from(cid, imp.import_id, imp.next_row, ROWS_PER_STEP), company_id=cid)
    ready = [r for r in rows if r.status == "ready"]
    applied = failed = 0
    by_schedule: dict[str, list[records.ImportRow]] = {}
    for row in ready:
        by_schedule.setdefault(row.schedule_id or "", []).append(row)
    for schedule_id, group in by_schedule.items():
        for start_at in range(0, len(group), GROUP):
            chunk = group[start_at : start_at + GROUP]
            try:
                applied += _apply(imp, schedule_id, chunk)
            except (OptClassError, _RowTaken):
                for row in chunk:  # one by one: each applied, or failed with its reason
                    try:
                        applied += _apply(imp, schedule_id, [row])
                    except _RowTaken:
                        pass
                    except OptClassError as exc:
                        failed += _fail(row, str(exc))
    done = len(rows) < ROWS_PER_STEP
    changes: dict[str, Any] = {
        "applied": imp.applied + applied,
        "failed": imp.failed + failed,
        "next_row": (rows[-1].row + 1) if rows else imp.next_row,
    }
    if done:
        now = clock.now()
        changes.update(
            status="committed",
            committed_at=clock.iso(now),
            undo_until=clock.iso(now + timedelta(hours=UNDO_HOURS)),
        )
    import_checks.finish(imp, changes)


def _fail(row: records.ImportRow, reason: str) -> int:
    def step(uow: UnitOfWork) -> int:
        current = _row(row)
        if current is None or current.status != "ready":
            return 0
        store.mark_row(uow, replace(current, status="failed", reason=reason[:500]), refusal=lambda: _RowTaken())
        return 1

    try:
        return uow_.run(step, company_id=row.company_id)
    except _RowTaken:
        return 0


def _row(row: records.ImportRow) -> records.ImportRow | None:
    found = store.rows_from(row.company_id, row.import_id, row.row, 1)
    return found[0] if found and found[0].row == row.row else None


def _apply(imp: records.Import, schedule_id: str, chunk: list[records.ImportRow]) -> int:
    """One transaction: the rows' students (the new ones), enrollments with their opening lots
    and entries, the seats they take, and each row marked applied over its version."""
    cid = imp.company_id

    def step(uow: UnitOfWork) -> int:
        schedule = reads.get(reads.schedule(cid, schedule_id))
        if schedule is None:
            raise NotFound("schedule", schedule_id)
        now = clock.now_iso()
        for row in chunk:
            student_id, created = row.student_id, False
            if student_id is None:
                student = records.Student(
                    company_id=cid,
                    student_id=ids.new_id(),
                    name=row.name or "",
                    email=row.email or "",
                    user_id=row.user_id,
                    created_at=now,
                )
                people_store.add_person(
                    uow, student, "student", user_id_taken=lambda: Conflict(f"the user id {row.user_id!r} is taken")
                )
                student_id, created = student.student_id, True
            opening: tuple[records.Lot, ...] = ()
            if row.sessions:
                opening = (
                    records.Lot(
                        lot_id="L1",
                        sessions=row.sessions,
                        remaining=row.sessions,
                        at=now,
                        source=lots.OPENING,
                        expires_at=row.expires_at,
                        note=f"imported ({imp.name}, line {row.row})",
                        timezone=schedule.timezone,
                    ),
                )
            enrollment = records.Enrollment(
                company_id=cid,
                schedule_id=schedule_id,
                student_id=student_id,
                student_name=row.name or "",
                schedule_name=schedule.name,
                initial_balance=row.sessions,
                balance=row.sessions,
                seq=1,
                status="active",
                responsible_staff_id=row.responsible_staff_id or "",
                threshold=thresholds.effective_threshold(None, schedule.low_balance_threshold, None),
                created_at=now,
                updated_at=now,
                lots=opening,
            )
            enrollment_store.add_enrollment(
                uow,
                enrollment,
                actor=f"import:{imp.import_id}",
                already=lambda: Conflict("the student was enrolled in this schedule meanwhile"),
            )
            store.mark_row(
                uow,
                replace(row, status="applied", student_id=student_id, created_student=created, reason=None),
                refusal=lambda: _RowTaken(),
            )
        store.take_seats(
            uow, schedule, len(chunk), full=lambda: Conflict(f"{schedule.name} has no seat left for this row")
        )
        return len(chunk)

    return uow_.run(step, company_id=cid)


def _undo_step(imp: records.Import) -> None:
    cid = imp.company_id
    rows = uow_.reading(lambda: store.rows_from(cid, imp.import_id, imp.next_row, ROWS_PER_STEP), company_id=cid)
    undone = kept = 0
    for row in rows:
        if row.status != "applied":
            continue
        try:
            if _undo_row(imp, row):
                undone += 1
            else:
                kept += 1
        except _RowTaken:
            pass
    changes: dict[str, Any] = {
        "undone": imp.undone + undone,
        "kept": imp.kept + kept,
        "next_row": (rows[-1].row + 1) if rows else imp.next_row,
    }
    if len(rows) < ROWS_PER_STEP:
        changes["status"] = "undone"
    import_checks.finish(imp, changes)


class _Changed(Exception):
    pass


def _undo_row(imp: records.Import, row: records.ImportRow) -> bool:
    """Remove what the row made while it is as the import left it; else keep it (False)."""
    cid = imp.company_id
    schedule_id, student_id = row.schedule_id or "", row.student_id or ""  # an applied row names both

    def step(uow: UnitOfWork) -> bool:
        wanted = [
            reads.enrollment(cid, schedule_id, student_id),
            reads.schedule(cid, schedule_id),
            reads.student(cid, student_id),
        ]
        found = reads.load(wanted)
        enrollment, schedule, student = (found.get(r) for r in wanted)
        if enrollment is None or schedule is None or enrollment.seq != 1 or enrollment.version != 1:
            store.mark_row(
                uow, replace(row, status="kept", reason="changed since the import: kept"), refusal=lambda: _RowTaken()
            )
            return False
        store.remove_enrollment(uow, enrollment, changed=lambda: _Changed())
        if enrollment.status == "active":
            store.free_seat(uow, schedule)
        if row.created_student and student is not None:
            others = enrollment_store.list_student_enrollments(cid, student_id, 2, None).items
            if all(e.schedule_id == row.schedule_id for e in others):
                store.remove_student(uow, student)
        store.mark_row(uow, replace(row, status="undone", reason=None), refusal=lambda: _RowTaken())
        return True

    try:
        return uow_.run(step, company_id=cid)
    except _Changed:
        _keep(row)
        return False


def _keep(row: records.ImportRow) -> None:
    def step(uow: UnitOfWork) -> None:
        store.mark_row(
            uow, replace(row, status="kept", reason="changed since the import: kept"), refusal=lambda: _RowTaken()
        )

    uow_.run(step, company_id=row.company_id)
