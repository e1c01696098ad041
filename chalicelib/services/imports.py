"""Moving a school in from another system: a CSV of students, enrollments and their
opening packages (lots), checked first, then committed, and undone within 24 hours if it
was wrong.

- `start` stores the file (in parts of at most 300 KB, so a 10,000-row file fits) and the
  import, status `validating`. Nothing else happens in the request: the work is done in
  background steps, each started by the table's stream when the import item changes (the
  report-counters function in AWS, the local pump under `make run`), so no request or
  function run has to hold the whole file's work. `GET /imports/{id}` is the progress.
- *Validation* (the dry run) reads the company's students, staff and schedules once (not
  per row) and sorts every row into `ready`, `needs_information`, `duplicate` or `error`,
  each with its reason; then the import is `validated`. Nothing of the school changes.
- *Commit* applies the ready rows, up to `ROWS_PER_STEP` a step: rows of one schedule go
  together, up to `GROUP` a transaction (the student when new, the enrollment with its
  opening lot and `initial` entry, the seats taken, the row marked applied over its
  version). A row is applied once whatever happens: a step run again finds it applied. A
  group refused as a whole (someone enrolled meanwhile, the schedule filled up) is applied
  row by row, and a row that cannot be is marked `failed` with the reason.
- *Re-uploading* the same file makes a new import whose rows are all duplicates: the
  students are enrolled already. Nothing changes twice.
- *Undo* (until `undo_until`, 24 hours after the commit) removes what the commit made, row
  by row, while it is as the import left it (the enrollment at its first version, its one
  ledger entry); a row changed since (a session charged, a top-up) is `kept` and says so.
"""

import csv
import io
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from .. import clock, ids
from ..domain import lots, records, thresholds
from ..errors import Conflict, InvalidInput, NotFound, OptClassError, StoreUnavailable
from ..observability import log_event
from ..store import enrollments as enrollment_store
from ..store import imports as store
from ..store import people as people_store
from ..store import reads
from ..store import schedules as schedules_store
from ..store import stream
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import UnitOfWork
from .context import Actor
from .enrollments import expiry_of

REQUIRED = ("name", "email", "schedule", "sessions")
OPTIONAL = ("expires_on", "responsible_staff_email", "user_id")
MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 20_000
PART_CHARS = 300_000  # a part item stays well under DynamoDB's 400 KB
ROWS_PER_STEP = 1000
GROUP = 20  # rows per transaction: 4 items each and the schedule's seats, under 100 actions
UNDO_HOURS = 24
WORKING = ("validating", "committing", "undoing")
WHOLE_PAGE = 1000


class ImportNotReady(Conflict):
    code = "import_not_ready"


class _RowTaken(Exception):
    """The row was applied or undone by another run of the same step."""


# --- starting ----------------------------------------------------------------------------------


def _columns(header: list[str]) -> list[str]:
    return [h.strip().lower() for h in header]


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
        header = _columns(next(csv.reader(lines[:1]))) if lines else []
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
            _validate(imp)
        elif imp.status == "committing":
            _commit_step(imp)
        else:
            _undo_step(imp)
    except StoreUnavailable:
        raise  # transient: the stream hands the record on again
    except _Stale:
        return 0
    except Exception as exc:  # noqa: BLE001 - a broken import must not hold the stream up; it says why
        log_event("error", message="import step failed", company_id=cid, import_id=import_id, error=type(exc).__name__)
        _finish(imp, {"status": "failed", "problem": f"{type(exc).__name__}: {exc}"[:500]})
    return 1


class _Stale(Exception):
    """Another run moved the import on first."""


def _finish(imp: records.Import, changes: dict[str, Any]) -> None:
    """Save the import's progress over the version read (a second run of the step loses)."""

    def step(uow: UnitOfWork) -> None:
        store.save_import(
            uow, replace(imp, step=imp.step + 1, updated_at=clock.now_iso(), **changes), refusal=lambda: _Stale()
        )

    uow_.run(step, company_id=imp.company_id)


def _all(page_fn: Any, cid: str) -> list:
    items, cursor = [], None
    while True:
        page = uow_.reading(lambda: page_fn(cid, WHOLE_PAGE, cursor), company_id=cid)
        items += page.items
        cursor = page.next
        if not cursor:
            return items


@dataclass
class _School:
    company: records.Company | None
    students: dict[str, list[records.Student]]  # by email, lowercased
    staff: dict[str, records.StaffMember]  # by email, lowercased
    schedules: dict[str, records.Schedule]  # by id
    by_name: dict[str, list[records.Schedule]]  # by name, lowercased
    default_staff: str | None


def _school(imp: records.Import) -> _School:
    cid = imp.company_id
    students: dict[str, list[records.Student]] = {}
    for s in _all(people_store.list_students, cid):
        students.setdefault(s.email.strip().lower(), []).append(s)
    staff_list = _all(people_store.list_staff, cid)
    schedules = {s.schedule_id: s for s in _all(schedules_store.list_schedules, cid)}
    by_name: dict[str, list[records.Schedule]] = {}
    for s in schedules.values():
        by_name.setdefault(s.name.strip().lower(), []).append(s)
    creator = imp.created_by.split(":", 1)[-1]
    own = next((m for m in staff_list if m.user_id == creator), None)
    admins = [m for m in staff_list if m.role == "admin"]
    default = own or (admins[0] if admins else None)
    return _School(
        company=uow_.reading(lambda: reads.get(reads.company(cid)), company_id=cid),
        students=students,
        staff={m.email.strip().lower(): m for m in staff_list},
        schedules=schedules,
        by_name=by_name,
        default_staff=default.staff_id if default else None,
    )


def _validate(imp: records.Import) -> None:
    cid = imp.company_id
    parts = uow_.reading(lambda: store.parts(cid, imp.import_id), company_id=cid)
    text = "".join(p.text for p in sorted(parts, key=lambda p: p.part))
    reader = csv.reader(io.StringIO(text))
    header = _columns(next(reader))
    school = _school(imp)
    rosters: dict[str, set[str]] = {}
    planned: dict[str, int] = {}
    seen: dict[tuple[str, str], int] = {}
    now = clock.now_iso()
    out = []
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line += 1
            out.append(
                records.ImportRow(company_id=cid, import_id=imp.import_id, row=line, status="error", reason=str(exc))
            )
            continue
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        cells = dict(zip(header, (v.strip() for v in values)))
        out.append(_classify(imp, line, cells, len(values) == len(header), school, rosters, planned, seen, now))
    uow_.reading(lambda: store.put_rows(out), company_id=cid)  # overwrites: a step run again writes the same
    counts = {k: sum(1 for r in out if r.status == k) for k in ("ready", "needs_information", "duplicate", "error")}
    _finish(imp, {"status": "validated", "rows": len(out), **counts})


def _classify(
    imp: records.Import,
    line: int,
    cells: dict[str, str],
    whole: bool,
    school: _School,
    rosters: dict[str, set[str]],
    planned: dict[str, int],
    seen: dict[tuple[str, str], int],
    now: str,
) -> records.ImportRow:
    base = records.ImportRow(
        company_id=imp.company_id,
        import_id=imp.import_id,
        row=line,
        status="ready",
        name=cells.get("name") or None,
        email=cells.get("email") or None,
        schedule=cells.get("schedule") or None,
        user_id=cells.get("user_id") or None,
    )

    def sorted_as(status: str, reason: str) -> records.ImportRow:
        return replace(base, status=status, reason=reason)

    if not whole:
        return sorted_as("error", "the line does not have one value per column")
    if not base.name:
        return sorted_as("needs_information", "the name is missing")
    if not base.email:
        return sorted_as("needs_information", "the email is missing")
    if "@" not in base.email or " " in base.email or len(base.email) > 254 or len(base.name) > 200:
        return sorted_as(
            "error",
            f"{base.email!r} is not an email address" if len(base.name) <= 200 else "the name is over 200 characters",
        )
    try:
        sessions = int(cells.get("sessions", ""))
    except ValueError:
        return sorted_as("error", f"sessions {cells.get('sessions')!r} is not a whole number")
    if not 0 <= sessions <= 10000:
        return sorted_as("error", "sessions must be between 0 and 10000")
    if base.user_id and not (len(base.user_id) <= 128 and all(c.isalnum() or c in "_.@:+-" for c in base.user_id)):
        return sorted_as("error", "user_id may hold letters, digits and _.@:+- only")
    ref = base.schedule or ""
    if not ref:
        return sorted_as("needs_information", "the schedule is missing")
    matches = [school.schedules[ref]] if ref in school.schedules else school.by_name.get(ref.lower(), [])
    if not matches:
        return sorted_as("needs_information", f"no schedule named {ref!r}")
    if len(matches) > 1:
        return sorted_as("needs_information", f"{len(matches)} schedules are named {ref!r}: give the schedule's id")
    schedule = matches[0]
    staff_email = cells.get("responsible_staff_email", "").lower()
    staff = school.staff.get(staff_email) if staff_email else None
    if staff_email and staff is None:
        return sorted_as("needs_information", f"no staff member with the email {staff_email!r}")
    staff_id = staff.staff_id if staff else school.default_staff
    if staff_id is None:
        return sorted_as("needs_information", "no responsible staff member given, and the company has no admin")
    expires_at = None
    if cells.get("expires_on"):
        try:
            day = date.fromisoformat(cells["expires_on"])
        except ValueError:
            return sorted_as("error", f"expires_on {cells['expires_on']!r} is not a date (YYYY-MM-DD)")
        if sessions == 0:
            return sorted_as("needs_information", "an expiry for an opening balance of 0: nothing would expire")
        try:
            expires_at = expiry_of(day, None, schedule, school.company, now)
        except InvalidInput:
            return sorted_as("needs_information", f"the package expired on {day.isoformat()} already")
    key = (base.email.lower(), schedule.schedule_id)
    if key in seen:
        return sorted_as("duplicate", f"line {seen[key]} enrols the same student in the same schedule")
    seen[key] = line
    existing = school.students.get(base.email.lower(), [])
    if len(existing) > 1:
        return sorted_as("needs_information", f"{len(existing)} students have the email {base.email!r}")
    student_id = existing[0].student_id if existing else None
    if student_id:
        if schedule.schedule_id not in rosters:
            rosters[schedule.schedule_id] = {
                e.student_id
                for e in uow_.reading(
                    lambda: enrollment_store.roster(imp.company_id, schedule.schedule_id), company_id=imp.company_id
                )
            }
        if student_id in rosters[schedule.schedule_id]:
            return sorted_as("duplicate", "the student is enrolled in this schedule already")
    taken = (schedule.active_enrollments or 0) + planned.get(schedule.schedule_id, 0)
    if taken >= (schedule.capacity or 1):
        return sorted_as("needs_information", f"{schedule.name} is full ({schedule.capacity} seats)")
    planned[schedule.schedule_id] = planned.get(schedule.schedule_id, 0) + 1
    return replace(
        base,
        schedule_id=schedule.schedule_id,
        sessions=sessions,
        expires_at=expires_at,
        responsible_staff_id=staff_id,
        student_id=student_id,
    )


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
    _finish(imp, changes)


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
    _finish(imp, changes)


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
