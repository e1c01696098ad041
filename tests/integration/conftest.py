import pytest

from chalicelib.services import enrollments, people, schedules
from chalicelib.services.context import Actor
from tests.support import new_company_id


@pytest.fixture
def school(store):
    """A company with a staff member, a teacher, a student and a schedule, made through the services."""
    admin = Actor(new_company_id(), "admin-sub", "admin")
    staff = people.create_staff(admin, name="Sam", email="sam@x.example", role="staff", user_id="staff-sub")
    teacher = people.create_staff(admin, name="Tia", email="tia@x.example", role="teacher", user_id="teacher-sub")
    student = people.create_student(admin, name="Stu", email="stu@x.example", user_id="student-sub")
    schedule = schedules.create_schedule(
        admin,
        name="Cello",
        kind="one_to_one",
        teacher_id=teacher.staff_id,
        capacity=None,
        timezone="UTC",
        recurrence=None,
        policy=None,
        low_balance_threshold=None,
    )
    enrollment = enrollments.enroll(
        admin,
        schedule.schedule_id,
        student_id=student.student_id,
        initial_balance=5,
        responsible_staff_id=staff.staff_id,
        low_balance_threshold=None,
    )
    return {
        "actor": admin,
        "staff": staff,
        "teacher": teacher,
        "student": student,
        "schedule": schedule,
        "enrollment_id": enrollment.enrollment_id,
    }
