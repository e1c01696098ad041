"""Staff members and students of a company, and resolving a login to one of them."""
from .. import clock, ids
from ..errors import AlreadyExists, Forbidden, NotFound
from ..store import people as store
from ..store.models import StaffMember, Student
from ..store.pages import Page
from .context import STUDENT, Actor


def _user_id_taken(user_id: str) -> AlreadyExists:
    return AlreadyExists(f"user_id {user_id!r} already belongs to someone in this company",
                         [{"field": "user_id", "message": "already in use"}])


def create_staff(actor: Actor, *, name: str, email: str, role: str, user_id: str | None) -> StaffMember:
    staff_id = ids.new_id()
    member = store.new_staff(actor.company_id, staff_id, name=name, email=email, role=role,
                             user_id=user_id, created_at=clock.now_iso())
    try:
        store.create_person(actor.company_id, member, "staff", staff_id)
    except store.UserIdTaken:
        raise _user_id_taken(user_id)
    return member


def get_staff(actor: Actor, staff_id: str) -> StaffMember:
    member = store.get_staff(actor.company_id, staff_id) if ids.is_id(staff_id) else None
    if member is None:
        raise NotFound("staff member", staff_id)
    return member


def list_staff(actor: Actor, limit: int, cursor: str | None) -> Page[StaffMember]:
    return store.list_staff(actor.company_id, limit, cursor)


def create_student(actor: Actor, *, name: str, email: str, user_id: str | None) -> Student:
    student_id = ids.new_id()
    student = store.new_student(actor.company_id, student_id, name=name, email=email,
                                user_id=user_id, created_at=clock.now_iso())
    try:
        store.create_person(actor.company_id, student, "student", student_id)
    except store.UserIdTaken:
        raise _user_id_taken(user_id)
    return student


def get_student(actor: Actor, student_id: str) -> Student:
    student = store.get_student(actor.company_id, student_id) if ids.is_id(student_id) else None
    if student is None:
        raise NotFound("student", student_id)
    return student


def list_students(actor: Actor, limit: int, cursor: str | None) -> Page[Student]:
    return store.list_students(actor.company_id, limit, cursor)


def own_student(actor: Actor) -> Student:
    """The student record of a student's login (the portal's `me`)."""
    if actor.role != STUDENT:
        raise Forbidden("only a student has a portal")
    ref = store.get_user_ref(actor.company_id, actor.subject)
    student = store.get_student(actor.company_id, ref.person_id) if ref and ref.person_kind == "student" else None
    if student is None:
        raise NotFound("student for this login")
    return student


def own_staff_id(actor: Actor) -> str | None:
    """The staff id of a staff or teacher login, if the login is registered as staff."""
    ref = store.get_user_ref(actor.company_id, actor.subject)
    return ref.person_id if ref and ref.person_kind == "staff" else None
