"""The demo school that `make run` loads: an admin, two staff, two teachers, six
students, a group schedule and two 1:1 series, and enrollments with balances.

Loaded through the same services the API uses. Loading twice changes nothing: the
company's name marks it as loaded.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chalicelib.api.local import DEMO_COMPANY_ID, DEMO_USERS  # noqa: E402
from chalicelib.services import company, enrollments, people, schedules  # noqa: E402
from chalicelib.services.context import Actor  # noqa: E402
from chalicelib.store import unit_of_work  # noqa: E402

# The demo ids live with the local stage's token route, so the tokens `make run` prints and
# the page's demo picker name the people loaded here.
COMPANY_ID, USERS = DEMO_COMPANY_ID, DEMO_USERS


def load() -> dict:
    admin = Actor(COMPANY_ID, USERS["admin"], "admin")
    if unit_of_work.reading(lambda: company.settings_of(admin), company_id=COMPANY_ID).name:
        return {"loaded": False}
    # Setting the school up makes its first admin, Ada (her login: the demo admin token).
    company.put_company(
        Actor(COMPANY_ID, USERS["admin"], None),
        name="Demo Music School",
        timezone="Europe/Berlin",
        low_balance_threshold=2,
        admin_name="Ada Admin",
        admin_email="ada@demo.optclass.example",
    )
    staff = [
        people.create_staff(admin, name=name, email=email, role="staff", user_id=uid)
        for name, email, uid in (
            ("Sam Staff", "sam@demo.optclass.example", "demo-staff-1"),
            ("Sky Staff", "sky@demo.optclass.example", "demo-staff-2"),
        )
    ]
    teachers = [
        people.create_staff(admin, name=name, email=email, role="teacher", user_id=uid)
        for name, email, uid in (
            ("Tina Teacher", "tina@demo.optclass.example", "demo-teacher-1"),
            ("Theo Teacher", "theo@demo.optclass.example", "demo-teacher-2"),
        )
    ]
    names = ["Mia Meyer", "Leo Laurent", "Ana Alves", "Ben Becker", "Ivy Ito", "Noah Novak"]
    students = [
        people.create_student(
            admin, name=name, email=f"{name.split()[0].lower()}@students.example", user_id=f"demo-student-{i + 1}"
        )
        for i, name in enumerate(names)
    ]
    group = schedules.create_schedule(
        admin,
        name="Beginners Guitar (group)",
        kind="group",
        teacher_id=teachers[0].staff_id,
        capacity=8,
        timezone="Europe/Berlin",
        recurrence={
            "weekdays": ["MO", "WE"],
            "start_time": "17:00",
            "duration_minutes": 60,
            "start_date": "2026-11-02",
            "end_date": None,
        },
        policy={"cancelled": "credit", "no_show": "deduct", "late_cancel_hours": 24, "overdraft": 0},
        low_balance_threshold=None,
    )
    one_to_one = schedules.create_schedule(
        admin,
        name="Piano 1:1",
        kind="one_to_one",
        teacher_id=teachers[1].staff_id,
        capacity=None,
        timezone="Europe/Berlin",
        recurrence={
            "weekdays": ["TU"],
            "start_time": "16:00",
            "duration_minutes": 45,
            "start_date": "2026-11-03",
            "end_date": None,
        },
        policy={"cancelled": "deduct", "no_show": "hold", "late_cancel_hours": None, "overdraft": 1},
        low_balance_threshold=3,
    )
    # A 1:1 series holds one student; Noah has his own slot.
    violin = schedules.create_schedule(
        admin,
        name="Violin 1:1",
        kind="one_to_one",
        teacher_id=teachers[1].staff_id,
        capacity=None,
        timezone="Europe/Berlin",
        recurrence={
            "weekdays": ["TH"],
            "start_time": "16:00",
            "duration_minutes": 45,
            "start_date": "2026-11-05",
            "end_date": None,
        },
        policy={"cancelled": "deduct", "no_show": "hold", "late_cancel_hours": None, "overdraft": 1},
        low_balance_threshold=3,
    )
    made = []
    for student, balance in zip(students[:4], (10, 6, 2, 1)):
        made.append(
            enrollments.enroll(
                admin,
                group.schedule_id,
                student_id=student.student_id,
                initial_balance=balance,
                responsible_staff_id=staff[0].staff_id,
                low_balance_threshold=None,
            )
        )
    for schedule, student, balance in ((one_to_one, students[4], 8), (violin, students[5], 3)):
        made.append(
            enrollments.enroll(
                admin,
                schedule.schedule_id,
                student_id=student.student_id,
                initial_balance=balance,
                responsible_staff_id=staff[1].staff_id,
                low_balance_threshold=None,
            )
        )
    return {
        "loaded": True,
        "group_id": group.schedule_id,
        "one_to_one_id": one_to_one.schedule_id,
        "enrollment_ids": [e.enrollment_id for e in made],
    }
