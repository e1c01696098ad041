"""Staff members and students of a company, and resolving a login to one of them."""

from dataclasses import replace
from typing import Callable, TypeVar

from .. import clock, ids
from ..domain import names, records
from ..errors import AlreadyExists, Forbidden, InvalidInput, NotFound
from ..store import logins
from ..store import people as store
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import Idempotency, UnitOfWork
from .context import STUDENT, Actor, Caller, actor_of

P = TypeVar("P", records.StaffMember, records.Student)


def _user_id_taken(user_id: str | None) -> AlreadyExists:
    return AlreadyExists(
        f"user_id {user_id!r} already belongs to someone in this company",
        [{"field": "user_id", "message": "already in use"}],
    )


def _add(actor: Actor, person: P, kind: str, claim: Idempotency | None) -> P:
    def step(uow: UnitOfWork) -> P:
        store.add_person(uow, person, kind, user_id_taken=lambda: _user_id_taken(person.user_id))
        return person

    return uow_.run(step, company_id=actor.company_id, idempotency=claim)


def create_staff(
    actor: Actor, *, name: str, email: str, role: str, user_id: str | None, claim: Idempotency | None = None
) -> records.StaffMember:
    member = records.StaffMember(
        company_id=actor.company_id,
        staff_id=ids.new_id(),
        name=name,
        email=email,
        role=role,
        user_id=user_id,
        created_at=clock.now_iso(),
    )
    return _add(actor, member, "staff", claim)


def get_staff(actor: Actor, staff_id: str) -> records.StaffMember:
    return _found(store.get_staff, actor, staff_id, "staff member")


def list_staff(actor: Actor, limit: int, cursor: str | None) -> Page[records.StaffMember]:
    return store.list_staff(actor.company_id, limit, cursor)


def create_student(
    actor: Actor, *, name: str, email: str, user_id: str | None, claim: Idempotency | None = None
) -> records.Student:
    student = records.Student(
        company_id=actor.company_id,
        student_id=ids.new_id(),
        name=name,
        email=email,
        user_id=user_id,
        created_at=clock.now_iso(),
    )
    return _add(actor, student, "student", claim)


def get_student(actor: Actor, student_id: str) -> records.Student:
    return _found(store.get_student, actor, student_id, "student")


def _found(get: Callable[[str, str], P | None], actor: Actor, person_id: str, what: str) -> P:
    """The company's person with this id, or NotFound (an id of the wrong form reads nothing)."""
    person = get(actor.company_id, person_id) if ids.is_id(person_id) else None
    if person is None:
        raise NotFound(what, person_id)
    return person


def list_students(actor: Actor, limit: int, cursor: str | None, q: str | None = None) -> Page[records.Student]:
    """The company's students in id order, a page at a time; with `q`, the first `limit`
    whose name or surname starts with it (or, for an email, who have it), in name order."""
    if q is None:
        return store.list_students(actor.company_id, limit, cursor)
    if cursor is not None:
        raise InvalidInput(
            "a search has one page: give q or next, not both", [{"field": "next", "message": "not with q"}]
        )
    if "@" in q:
        found = store.students_by_email(actor.company_id, q)
        return Page(items=sorted(found, key=lambda s: s.student_id)[:limit], next=None)
    folded = names.fold(q)
    if not folded:
        raise InvalidInput("q needs a letter or a digit", [{"field": "q", "message": "nothing to search for"}])
    return Page(items=store.search_students(actor.company_id, folded, limit), next=None)


def resolve(caller: Caller) -> Actor | None:
    """The actor a login is, by its user ref (one GetItem, or none when this container read
    it within the bound of store/logins.py); None when it has no record."""
    ref = logins.user_ref(caller.company_id, caller.subject)
    if ref is not None and ref.person_kind == "staff" and ref.role is None:
        member = store.get_staff(caller.company_id, ref.person_id)  # a login made before refs kept the role
        ref = replace(ref, role=member.role) if member else None
    return actor_of(caller.company_id, caller.subject, caller.claimed_role, ref)


def _person_id(actor: Actor) -> str | None:
    """The actor's staff or student id: known once resolved from a login, else looked up."""
    if actor.person_id is not None:
        return actor.person_id
    ref = store.get_user_ref(actor.company_id, actor.subject)
    return ref.person_id if ref else None


def own_student(actor: Actor) -> records.Student:
    """The student record of a student's login (the portal's `me`)."""
    if actor.role != STUDENT:
        raise Forbidden("only a student has a portal")
    person_id = _person_id(actor)
    student = store.get_student(actor.company_id, person_id) if person_id else None
    if student is None:
        raise NotFound("student for this login")
    return student


def own_student_id(actor: Actor) -> str:
    """The student id of a student's login: its user ref names it (no read when resolved);
    a student and their login's ref are written in one transaction."""
    if actor.role != STUDENT:
        raise Forbidden("only a student has a portal")
    person_id = _person_id(actor)
    if person_id is None:
        raise NotFound("student for this login")
    return person_id


def own_staff_id(actor: Actor) -> str | None:
    """The staff id of a staff or teacher login, if registered as staff."""
    if actor.role == STUDENT:
        return None
    return _person_id(actor)
