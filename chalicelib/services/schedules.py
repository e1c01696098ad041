"""Schedules: a group class or a 1:1 series, with its teacher, time zone and policy."""
from typing import Any

from .. import clock, ids
from ..errors import Forbidden, InvalidInput, NotFound, VersionMismatch
from ..store import batch
from ..store import enrollments as enrollment_store
from ..store import people as people_store
from ..store import schedules as store
from ..store.models import Policy, Recurrence, Schedule
from ..store.pages import Page
from . import sessions
from .company import DEFAULT_TIMEZONE
from .context import TEACHER, Actor
from .people import own_staff_id

DEFAULT_POLICY = {"cancelled": "credit", "no_show": "deduct", "late_cancel_hours": None, "overdraft": 0}


def _no_teacher() -> InvalidInput:
    return InvalidInput("the teacher is not a staff member of this company",
                        [{"field": "teacher_id", "message": "no staff member with this id"}])


def _teacher(actor: Actor, teacher_id: str):
    member = people_store.get_staff(actor.company_id, teacher_id) if ids.is_id(teacher_id) else None
    if member is None:
        raise _no_teacher()
    return member


def _policy(values: dict[str, Any] | None) -> Policy:
    merged = {**DEFAULT_POLICY, **(values or {})}
    return Policy(**merged)


def create_schedule(actor: Actor, *, name: str, kind: str, teacher_id: str, capacity: int | None,
                    timezone: str | None, recurrence: dict | None, policy: dict | None,
                    low_balance_threshold: int | None) -> Schedule:
    cid = actor.company_id
    wanted = {"teacher": people_store.staff_key(cid, teacher_id), "company": people_store.company_key(cid)}
    found = batch.load(wanted.values()) if ids.is_id(teacher_id) else {}
    teacher = found.get(wanted["teacher"])
    if teacher is None:
        raise _no_teacher()
    company = found.get(wanted["company"])
    now = clock.now_iso()
    schedule = store.new_schedule(
        actor.company_id, ids.new_id(), name=name, kind=kind, teacher_id=teacher_id,
        teacher_name=teacher.name, capacity=capacity if kind == "group" else 1,
        timezone=timezone or (company.timezone if company else DEFAULT_TIMEZONE),
        recurrence=Recurrence(**recurrence) if recurrence else None,
        policy=_policy(policy), low_balance_threshold=low_balance_threshold,
        created_at=now, updated_at=now,
    )
    store.create_schedule(schedule)
    if schedule.recurrence is not None:
        sessions.after_schedule_saved(cid, schedule, replan=False)
    return schedule


def get_schedule(actor: Actor, schedule_id: str) -> Schedule:
    """A schedule of the caller's company; a teacher only reaches the schedules they teach."""
    schedule = store.get_schedule(actor.company_id, schedule_id) if ids.is_id(schedule_id) else None
    if schedule is None:
        raise NotFound("schedule", schedule_id)
    if actor.role == TEACHER and schedule.teacher_id != own_staff_id(actor):
        raise Forbidden("a teacher may only see the schedules they teach")
    return schedule


def list_schedules(actor: Actor, limit: int, cursor: str | None) -> Page[Schedule]:
    if actor.role == TEACHER:
        staff_id = own_staff_id(actor)
        if staff_id is None:
            return Page(items=[], next=None)
        return store.list_teacher_schedules(actor.company_id, staff_id, limit, cursor)
    return store.list_schedules(actor.company_id, limit, cursor)


def update_schedule(actor: Actor, schedule_id: str, changes: dict[str, Any], if_match: int | None) -> Schedule:
    """Apply the given fields; conditional on the version read (and on If-Match if sent)."""
    schedule = get_schedule(actor, schedule_id)
    if if_match is not None and schedule.version != if_match:
        raise VersionMismatch(f"the schedule is at version {schedule.version}, not {if_match}")
    if "teacher_id" in changes:
        schedule.teacher_id = changes["teacher_id"]
        schedule.teacher_name = _teacher(actor, changes["teacher_id"]).name
        store.index_by_teacher(actor.company_id, schedule)
    if "policy" in changes:
        current = {k: getattr(schedule.policy, k) for k in DEFAULT_POLICY}
        schedule.policy = _policy({**current, **(changes["policy"] or {})})
    if "recurrence" in changes:
        schedule.recurrence = Recurrence(**changes["recurrence"]) if changes["recurrence"] else None
    for name in ("name", "timezone", "low_balance_threshold"):
        if name in changes:
            setattr(schedule, name, changes[name])
    if "capacity" in changes and schedule.kind == "group":
        if changes["capacity"] is None:
            raise InvalidInput("a group needs a capacity", [{"field": "capacity", "message": "required for a group"}])
        schedule.capacity = changes["capacity"]
    schedule.updated_at = clock.now_iso()
    store.save_schedule(schedule)
    if "low_balance_threshold" in changes:
        enrollment_store.record_threshold_change(actor.company_id, schedule.schedule_id)
    if {"recurrence", "timezone", "teacher_id"} & set(changes) and (schedule.recurrence or "recurrence" in changes):
        sessions.after_schedule_saved(actor.company_id, schedule, replan=True)
    return schedule
