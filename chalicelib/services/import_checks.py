"""An import's dry run (services/imports.py runs it as its first background step): every
row of the file sorted into ready, needs information, duplicate or error, with its reason,
from one read of the company's students, staff and schedules (not a query per row).
Nothing of the school changes; the rows and their verdicts are written, and the import
moves on to `validated`."""

import csv
import io
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .. import clock
from ..domain import records
from ..errors import InvalidInput
from ..store import enrollments as enrollment_store
from ..store import imports as store
from ..store import people as people_store
from ..store import reads
from ..store import schedules as schedules_store
from ..store import unit_of_work as uow_
from ..store.unit_of_work import UnitOfWork
from .enrollments import expiry_of

WHOLE_PAGE = 1000


def columns(header: list[str]) -> list[str]:
    return [h.strip().lower() for h in header]


class Stale(Exception):
    """Another run moved the import on first."""


def finish(imp: records.Import, changes: dict[str, Any]) -> None:
    """Save the import's progress over the version read (a second run of the step loses)."""

    def step(uow: UnitOfWork) -> None:
        store.save_import(
            uow, replace(imp, step=imp.step + 1, updated_at=clock.now_iso(), **changes), refusal=lambda: Stale()
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


def validate(imp: records.Import) -> None:
    cid = imp.company_id
    parts = uow_.reading(lambda: store.parts(cid, imp.import_id), company_id=cid)
    text = "".join(p.text for p in sorted(parts, key=lambda p: p.part))
    reader = csv.reader(io.StringIO(text))
    header = columns(next(reader))
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
    finish(imp, {"status": "validated", "rows": len(out), **counts})


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
