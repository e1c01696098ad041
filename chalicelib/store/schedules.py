"""Repository of schedules (the schedule item lives in the company partition).

Access patterns (docs/architecture.md): 4 (list), 7, 8.
"""

from ..domain import records
from . import models as m
from . import reads
from .pages import Page, query_page
from .unit_of_work import UnitOfWork


def get_schedule(cid: str, schedule_id: str) -> records.Schedule | None:
    return reads.get(reads.schedule(cid, schedule_id))


def add_schedule(uow: UnitOfWork, schedule: records.Schedule) -> records.Schedule:
    """A new schedule, with its header (the copy its board reads with the roster)."""
    stored = uow.create(schedule)
    uow.put(m.ScheduleHeader.of(stored))
    return stored


def save_schedule(uow: UnitOfWork, schedule: records.Schedule) -> records.Schedule:
    """A changed schedule, over the version read, and its header in the same transaction."""
    stored = uow.save(schedule)
    uow.put(m.ScheduleHeader.of(stored))
    return stored


def list_schedules(cid: str, limit: int, cursor: str | None) -> Page[records.Schedule]:
    return query_page(
        m.Schedule, m.company_partition(cid), m.Schedule.SK.startswith(m.Schedule.PREFIX), limit=limit, cursor=cursor
    )


def list_teacher_schedules(cid: str, teacher_id: str, limit: int, cursor: str | None) -> Page[records.Schedule]:
    return query_page(
        m.Schedule.by_teacher,
        m.teacher_partition(cid, teacher_id),
        m.Schedule.GSI2SK.startswith(m.Schedule.PREFIX),
        hash_attr="GSI2PK",
        limit=limit,
        cursor=cursor,
    )
