"""Schedules: a group class or a 1:1 series, with its teacher, time zone and policy."""

from dataclasses import replace
from typing import Any

from .. import clock, ids
from ..domain import records
from ..errors import Conflict, Forbidden, InvalidInput, NotFound, VersionMismatch
from ..store import enrollments as enrollment_store
from ..store import reads
from ..store import schedules as store
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import UnitOfWork
from . import sessions
from .company import DEFAULT_TIMEZONE
from .context import TEACHER, Actor
from .people import own_staff_id


def _no_teacher() -> InvalidInput:
    return InvalidInput(
        "the teacher is not a staff member of this company",
        [{"field": "teacher_id", "message": "no staff member with this id"}],
    )


def _teacher(actor: Actor, teacher_id: str) -> records.StaffMember:
    member = reads.get(reads.staff(actor.company_id, teacher_id)) if ids.is_id(teacher_id) else None
    if member is None:
        raise _no_teacher()
    return member


def _recurrence(values: dict | None) -> records.Recurrence | None:
    if not values:
        return None
    return records.Recurrence(**{**values, "weekdays": tuple(values["weekdays"])})


def create_schedule(
    actor: Actor,
    *,
    name: str,
    kind: str,
    teacher_id: str,
    capacity: int | None,
    timezone: str | None,
    recurrence: dict | None,
    policy: dict | None,
    low_balance_threshold: int | None,
    lot_valid_days: int | None = None,
) -> records.Schedule:
    cid = actor.company_id

    def step(uow: UnitOfWork) -> records.Schedule:
        wanted = [reads.staff(cid, teacher_id), reads.company(cid)] if ids.is_id(teacher_id) else []
        found = reads.load(wanted)
        teacher = found.get(wanted[0]) if wanted else None
        if teacher is None:
            raise _no_teacher()
        company = found.get(wanted[1])
        now = clock.now_iso()
        schedule = records.Schedule(
            company_id=cid,
            schedule_id=ids.new_id(),
            name=name,
            kind=kind,
            teacher_id=teacher_id,
            teacher_name=teacher.name,
            capacity=capacity or 1,
            timezone=timezone or (company.timezone if company else DEFAULT_TIMEZONE),
            recurrence=_recurrence(recurrence),
            policy=records.Policy(**(policy or {})),
            low_balance_threshold=low_balance_threshold,
            lot_valid_days=lot_valid_days,
            created_at=now,
            updated_at=now,
        )
        return store.add_schedule(uow, schedule)

    schedule = uow_.run(step, company_id=cid)
    if schedule.recurrence is not None:
        sessions.after_schedule_saved(cid, schedule, replan=False)
    return schedule


def get_schedule(actor: Actor, schedule_id: str) -> records.Schedule:
    """A schedule of the caller's company; a teacher only reaches the schedules they teach."""
    schedule = store.get_schedule(actor.company_id, schedule_id) if ids.is_id(schedule_id) else None
    if schedule is None:
        raise NotFound("schedule", schedule_id)
    return visible_schedule(actor, schedule)


def visible_schedule(actor: Actor, schedule: records.Schedule) -> records.Schedule:
    """The schedule, if the caller may see it: a teacher only the schedules they teach."""
    if actor.role == TEACHER and schedule.teacher_id != own_staff_id(actor):
        raise Forbidden("a teacher may only see the schedules they teach")
    return schedule


def list_schedules(actor: Actor, limit: int, cursor: str | None) -> Page[records.Schedule]:
    if actor.role == TEACHER:
        staff_id = own_staff_id(actor)
        if staff_id is None:
            return Page(items=[], next=None)
        return store.list_teacher_schedules(actor.company_id, staff_id, limit, cursor)
    return store.list_schedules(actor.company_id, limit, cursor)


def update_schedule(actor: Actor, schedule_id: str, changes: dict[str, Any], if_match: int | None) -> records.Schedule:
    """Apply the given fields, over the version read (and If-Match, if sent); a change of
    recurrence, time zone or teacher then re-plans the schedule's future sessions."""
    cid = actor.company_id

    def step(uow: UnitOfWork) -> records.Schedule:
        schedule = get_schedule(actor, schedule_id)
        if if_match is not None and schedule.version != if_match:
            raise VersionMismatch(f"the schedule is at version {schedule.version}, not {if_match}")
        fields: dict[str, Any] = {
            k: changes[k] for k in ("name", "timezone", "low_balance_threshold", "lot_valid_days") if k in changes
        }
        if "teacher_id" in changes:
            fields["teacher_id"] = changes["teacher_id"]
            fields["teacher_name"] = _teacher(actor, changes["teacher_id"]).name
        if "policy" in changes:
            fields["policy"] = replace(schedule.policy, **(changes["policy"] or {}))
        if "recurrence" in changes:
            fields["recurrence"] = _recurrence(changes["recurrence"])
        if "capacity" in changes:
            if changes["capacity"] is None:
                raise InvalidInput("a schedule needs a capacity", [{"field": "capacity", "message": "required"}])
            taken = enrollment_store.seats_taken(schedule)
            if changes["capacity"] < taken:
                raise Conflict(
                    f"{taken} students are enrolled; end enrollments before "
                    f"lowering the capacity to {changes['capacity']}",
                    [{"field": "capacity", "message": "below the active enrollments"}],
                )
            fields["capacity"] = changes["capacity"]
        after = replace(schedule, **fields)
        # No capacity (a schedule of an earlier layout) holds one, as the seats count it (store.take_seat).
        if after.kind == "one_to_one" and (after.capacity or 1) > 1 and after.recurrence is not None:
            raise InvalidInput(
                "a recurring one_to_one series holds one student (capacity 1)",
                [{"field": "capacity", "message": "more than 1 with a recurrence"}],
            )
        stored = store.save_schedule(uow, replace(schedule, updated_at=clock.now_iso(), **fields))
        if "low_balance_threshold" in changes:
            enrollment_store.record_threshold_change(uow, cid, schedule.schedule_id)
        return stored

    schedule = uow_.run(step, company_id=cid)
    if {"recurrence", "timezone", "teacher_id"} & set(changes) and (schedule.recurrence or "recurrence" in changes):
        sessions.after_schedule_saved(cid, schedule, replan=True)
    return schedule
