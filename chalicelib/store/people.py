"""Repository of the company partition's people: the company, its staff, its students and
the user refs that tie a login (`user_id`) to one of them.

Access patterns (docs/architecture.md): 1-6, 60.
"""

from typing import Callable

from ..domain import names, records
from . import models as m
from . import reads
from .failures import translate
from .pages import Page, query_page
from .unit_of_work import UnitOfWork


def get_company(cid: str) -> records.Company | None:
    return reads.get(reads.company(cid))


def save_company(uow: UnitOfWork, company: records.Company) -> records.Company:
    """The company's settings, over the version read (a company set up once: if absent)."""
    return uow.save(company)


def add_person(
    uow: UnitOfWork, person: records.StaffMember | records.Student, kind: str, *, user_id_taken: Callable[[], Exception]
) -> None:
    """Stage a new staff member or student, and the user ref of their login when they have
    one: the step fails with `user_id_taken()` when that `user_id` already belongs to
    someone in the company."""
    uow.create(person)
    if person.user_id:
        role: str | None
        if isinstance(person, records.StaffMember):  # kind "staff"
            person_id, role = person.staff_id, person.role
        else:  # kind "student"
            person_id, role = person.student_id, None
        uow.create(
            records.UserRef(
                company_id=person.company_id,
                user_id=person.user_id,
                person_kind=kind,
                person_id=person_id,
                role=role,
            ),
            refusal=user_id_taken,
        )


def get_staff(cid: str, staff_id: str) -> records.StaffMember | None:
    return reads.get(reads.staff(cid, staff_id))


def get_student(cid: str, student_id: str) -> records.Student | None:
    return reads.get(reads.student(cid, student_id))


def get_user_ref(cid: str, user_id: str) -> records.UserRef | None:
    return reads.get(reads.user(cid, user_id))


def list_staff(cid: str, limit: int, cursor: str | None) -> Page[records.StaffMember]:
    return _list(m.StaffMember, cid, limit, cursor)


def list_students(cid: str, limit: int, cursor: str | None) -> Page[records.Student]:
    return _list(m.Student, cid, limit, cursor)


def _list(model: type[m.Person], cid: str, limit: int, cursor: str | None) -> Page:
    """A page of the company's people of one kind, in id order."""
    return query_page(model, m.company_partition(cid), model.SK.startswith(model.PREFIX), limit=limit, cursor=cursor)


@translate
def search_students(cid: str, folded: str, limit: int) -> list[records.Student]:
    """Up to `limit` students whose name, or whose surname, starts with `folded` (a query
    folded as names are, domain/names.py), in name order: one Query of each index (GSI1 by
    name, GSI2 by surname), each at most `limit` items."""
    found: dict[str, records.Student] = {}
    searches = (
        (m.Student.students_by_name, "name", m.Student.GSI1SK),
        (m.Student.students_by_surname, "surname", m.Student.GSI2SK),
    )
    for index, by, sort_key in searches:
        partition = m.Student.names_partition(cid, by)
        for item in index.query(partition, sort_key.startswith(folded), limit=limit, page_size=limit):
            student = item.record()
            found.setdefault(student.student_id, student)
    ordered = sorted(found.values(), key=lambda s: (names.name_key(s.name), s.student_id))
    return ordered[:limit]


def students_by_email(cid: str, email: str) -> list[records.Student]:
    """Students with this email (more than one is possible: siblings)."""
    return _by_email(m.Student, cid, email)


def staff_by_email(cid: str, email: str) -> list[records.StaffMember]:
    return _by_email(m.StaffMember, cid, email)


@translate
def _by_email(model: type[m.Person], cid: str, email: str) -> list:
    """A few people of one kind by email (GSI3)."""
    found = model.by_email.query(m.email_partition(cid, email), model.GSI3SK.startswith(model.PREFIX), limit=5)
    return [item.record() for item in found]
