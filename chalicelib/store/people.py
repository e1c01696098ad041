"""Repository of the company partition: the company, its staff, its students and the
user refs that tie a login (`user_id`) to one of them.

Access patterns (docs/architecture.md): 1-6.
"""
from pynamodb.exceptions import DoesNotExist

from . import keys
from .models import Company, StaffMember, Student, UserRef
from .pages import Page, query_page
from .tx import ConditionFailed, Transaction, translate


def company_key(cid: str) -> tuple[str, str]:
    return keys.company_pk(cid), keys.COMPANY_SK


def staff_key(cid: str, staff_id: str) -> tuple[str, str]:
    return keys.company_pk(cid), keys.staff_sk(staff_id)


def student_key(cid: str, student_id: str) -> tuple[str, str]:
    return keys.company_pk(cid), keys.student_sk(student_id)


def user_ref_key(cid: str, user_id: str) -> tuple[str, str]:
    return keys.company_pk(cid), keys.user_ref_sk(user_id)


@translate
def get_company(cid: str) -> Company | None:
    try:
        return Company.get(keys.company_pk(cid), keys.COMPANY_SK)
    except DoesNotExist:
        return None


def new_company(cid: str, **fields) -> Company:
    return Company(keys.company_pk(cid), keys.COMPANY_SK, company_id=cid, **fields)


@translate
def save_company(company: Company) -> None:
    """Put the company; the VersionAttribute makes this conditional on the version read."""
    company.save()


def _user_ref(cid: str, user_id: str, kind: str, person_id: str) -> UserRef:
    return UserRef(keys.company_pk(cid), keys.user_ref_sk(user_id), user_id=user_id,
                   person_kind=kind, person_id=person_id)


def new_staff(cid: str, staff_id: str, **fields) -> StaffMember:
    return StaffMember(
        keys.company_pk(cid), keys.staff_sk(staff_id), staff_id=staff_id,
        GSI3PK=keys.email_pk(cid, fields["email"]), GSI3SK=keys.staff_sk(staff_id), **fields,
    )


def new_student(cid: str, student_id: str, **fields) -> Student:
    return Student(
        keys.company_pk(cid), keys.student_sk(student_id), student_id=student_id,
        GSI3PK=keys.email_pk(cid, fields["email"]), GSI3SK=keys.student_sk(student_id), **fields,
    )


class UserIdTaken(Exception):
    pass


def create_person(cid: str, person, kind: str, person_id: str) -> None:
    """Put a staff member or student, and its user ref when it has a `user_id`.

    Raises UserIdTaken when the `user_id` already belongs to someone in the company.
    """
    tx = Transaction().put(person, condition=type(person).PK.does_not_exist())
    if person.user_id:
        tx.put(_user_ref(cid, person.user_id, kind, person_id), condition=UserRef.PK.does_not_exist())
    try:
        tx.commit()
    except ConditionFailed as failed:
        if failed.failed_at(1):
            raise UserIdTaken() from failed
        raise


@translate
def get_staff(cid: str, staff_id: str) -> StaffMember | None:
    try:
        return StaffMember.get(keys.company_pk(cid), keys.staff_sk(staff_id))
    except DoesNotExist:
        return None


@translate
def get_student(cid: str, student_id: str) -> Student | None:
    try:
        return Student.get(keys.company_pk(cid), keys.student_sk(student_id))
    except DoesNotExist:
        return None


def list_staff(cid: str, limit: int, cursor: str | None) -> Page[StaffMember]:
    return query_page(StaffMember, keys.company_pk(cid), StaffMember.SK.startswith(keys.staff_sk()),
                      limit=limit, cursor=cursor)


def list_students(cid: str, limit: int, cursor: str | None) -> Page[Student]:
    return query_page(Student, keys.company_pk(cid), Student.SK.startswith(keys.student_sk()),
                      limit=limit, cursor=cursor)


@translate
def get_user_ref(cid: str, user_id: str) -> UserRef | None:
    try:
        return UserRef.get(keys.company_pk(cid), keys.user_ref_sk(user_id))
    except DoesNotExist:
        return None


@translate
def students_by_email(cid: str, email: str) -> list[Student]:
    """Access pattern 6: students with this email (more than one is possible: siblings)."""
    return list(Student.by_email.query(keys.email_pk(cid, email), Student.GSI3SK.startswith(keys.student_sk()),
                                       limit=5))


@translate
def staff_by_email(cid: str, email: str) -> list[StaffMember]:
    return list(StaffMember.by_email.query(keys.email_pk(cid, email), StaffMember.GSI3SK.startswith(keys.staff_sk()),
                                           limit=5))
