"""Repository of imports: the import, its file's parts and its rows (patterns 63-65 of
docs/architecture.md)."""

from typing import Callable

from ..domain import records
from . import models as m
from . import reads
from .failures import translate
from .pages import Page, query_page
from .unit_of_work import Ref, UnitOfWork


def ref(cid: str, import_id: str) -> Ref:
    return Ref(m.Import, m.Import.key(cid, import_id))


def get_import(cid: str, import_id: str) -> records.Import | None:
    return reads.get(ref(cid, import_id))


def list_imports(cid: str, limit: int, cursor: str | None) -> Page:
    return query_page(
        m.Import,
        m.company_partition(cid),
        m.Import.SK.startswith(m.Import.PREFIX),
        limit=limit,
        cursor=cursor,
        forward=False,
    )


def save_import(uow: UnitOfWork, imp: records.Import, refusal: Callable[[], Exception] | None = None) -> records.Import:
    """Over the version read: of two steps racing to move an import on, one wins."""
    return uow.save(imp, refusal=refusal)


@translate
def parts(cid: str, import_id: str) -> list[records.ImportPart]:
    return [
        p.record()
        for p in m.ImportPart.query(
            m.Import.partition(cid, import_id), m.ImportPart.SK.startswith("PART#"), consistent_read=True
        )
    ]


@translate
def put_parts(made: list[records.ImportPart]) -> None:
    """The file's parts, written before the import that names them (an import never names a
    part that is not there; a part of an import never made is only unused)."""
    with m.ImportPart.batch_write() as writer:
        for part in made:
            writer.save(m.ImportPart.of(part))


@translate
def put_rows(rows: list[records.ImportRow]) -> None:
    """The dry run's rows (each the same whenever the step is run again: it overwrites)."""
    with m.ImportRow.batch_write() as writer:
        for row in rows:
            writer.save(m.ImportRow.of(row))


@translate
def rows_from(cid: str, import_id: str, first: int, limit: int) -> list[records.ImportRow]:
    """Up to `limit` rows from line `first` on (a consistent Query of the import's partition)."""
    out = []
    for item in m.ImportRow.query(
        m.Import.partition(cid, import_id),
        m.ImportRow.SK.between(m.ImportRow.sk(first), m.ImportRow.sk(999999)),
        consistent_read=True,
        page_size=limit,
    ):
        out.append(item.record())
        if len(out) == limit:
            break
    return out


def list_rows(cid: str, import_id: str, status: str | None, limit: int, cursor: str | None) -> Page:
    return query_page(
        m.ImportRow,
        m.Import.partition(cid, import_id),
        m.ImportRow.SK.startswith(m.ImportRow.PREFIX),
        limit=limit,
        cursor=cursor,
        filter_condition=(m.ImportRow.status == status) if status else None,
        consistent=True,
    )


def mark_row(uow: UnitOfWork, row: records.ImportRow, refusal: Callable[[], Exception]) -> records.ImportRow:
    """Stage the row's new status over the version read (a row is applied or undone once)."""
    return uow.save(row, refusal=refusal)


def take_seats(uow: UnitOfWork, schedule: records.Schedule, count: int, full: Callable[[], Exception]) -> None:
    """Stage `count` more active students in the schedule, refused with `full()` beyond its seats."""
    seats = schedule.capacity or 1
    uow.update(
        m.Schedule.of(schedule),
        [m.Schedule.active_enrollments.add(count)],
        condition=m.Schedule.active_enrollments <= seats - count,
        versioned=False,
        refusal=full,
    )


def free_seat(uow: UnitOfWork, schedule: records.Schedule) -> None:
    uow.update(m.Schedule.of(schedule), [m.Schedule.active_enrollments.add(-1)], versioned=False)


def remove_enrollment(uow: UnitOfWork, enrollment: records.Enrollment, changed: Callable[[], Exception]) -> None:
    """Stage the enrollment's removal with its opening entry, only while it is as the import
    left it (its first version, its one entry)."""
    uow.delete(m.Enrollment.of(enrollment), condition=(m.Enrollment.seq == 1), refusal=changed)
    uow.delete(
        m.LedgerEntry(*m.LedgerEntry.key(enrollment.company_id, enrollment.schedule_id, enrollment.student_id, 1))
    )


def remove_student(uow: UnitOfWork, student: records.Student) -> None:
    uow.delete(m.Student.of(student))
    if student.user_id:
        uow.delete(m.UserRef(*m.UserRef.key(student.company_id, student.user_id)))
