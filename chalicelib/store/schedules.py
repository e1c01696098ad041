"""Repository of schedules (the schedule item lives in the company partition).

Access patterns (docs/architecture.md): 4 (list), 7, 8.
"""
from pynamodb.exceptions import DoesNotExist

from . import keys
from .models import Schedule
from .pages import Page, query_page
from .tx import translate


def new_schedule(cid: str, schedule_id: str, **fields) -> Schedule:
    schedule = Schedule(keys.company_pk(cid), keys.schedule_sk(schedule_id), schedule_id=schedule_id, **fields)
    index_by_teacher(cid, schedule)
    return schedule


def index_by_teacher(cid: str, schedule: Schedule) -> None:
    schedule.GSI2PK = keys.teacher_pk(cid, schedule.teacher_id)
    schedule.GSI2SK = keys.schedule_sk(schedule.schedule_id)


def schedule_key(cid: str, schedule_id: str) -> tuple[str, str]:
    return keys.company_pk(cid), keys.schedule_sk(schedule_id)


@translate
def get_schedule(cid: str, schedule_id: str) -> Schedule | None:
    try:
        return Schedule.get(keys.company_pk(cid), keys.schedule_sk(schedule_id))
    except DoesNotExist:
        return None


@translate
def create_schedule(schedule: Schedule) -> None:
    schedule.save(condition=Schedule.PK.does_not_exist())


@translate
def save_schedule(schedule: Schedule) -> None:
    """Put a changed schedule; conditional on the version that was read."""
    schedule.save()


def list_schedules(cid: str, limit: int, cursor: str | None) -> Page[Schedule]:
    return query_page(Schedule, keys.company_pk(cid), Schedule.SK.startswith(keys.schedule_sk()),
                      limit=limit, cursor=cursor)


def list_teacher_schedules(cid: str, teacher_id: str, limit: int, cursor: str | None) -> Page[Schedule]:
    return query_page(Schedule.by_teacher, keys.teacher_pk(cid, teacher_id),
                      Schedule.GSI2SK.startswith(keys.schedule_sk()), hash_attr="GSI2PK",
                      limit=limit, cursor=cursor)
