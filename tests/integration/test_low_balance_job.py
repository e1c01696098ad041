"""The daily low-balance job: who is told, once per crossing, at a cost that follows the
low enrollments, with SES exercised through moto."""

from dataclasses import replace
from datetime import date, timedelta

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import ids, jobs
from chalicelib.services import company, enrollments, notifications, people, schedules
from chalicelib.services.context import Actor
from chalicelib.domain import records
from chalicelib.store.models import Enrollment, Item, Schedule, StaffMember
from tests.support import count_dynamodb, new_company_id, reading

DAY = date(2027, 2, 1)
SENDER = "notifications@optclass.example"


@pytest.fixture
def ses(monkeypatch, store):
    monkeypatch.setenv("OPTCLASS_MAILER", "ses")
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return backend


def sent(backend):
    return [m for m in backend.sent_messages]


@pytest.fixture
def school(store):
    admin = Actor(new_company_id(), "admin-sub", "admin")
    company.put_company(admin, name="School", timezone="UTC", low_balance_threshold=2)
    boss = people.create_staff(admin, name="Ada Admin", email="ada@x.example", role="admin", user_id="admin-sub")
    staff = [
        people.create_staff(admin, name=f"Staff {i}", email=f"staff{i}@x.example", role="staff", user_id=f"staff-{i}")
        for i in range(2)
    ]
    teacher = people.create_staff(admin, name="T", email="t@x.example", role="teacher", user_id=None)
    schedule = schedules.create_schedule(
        admin,
        name="Violin",
        kind="group",
        teacher_id=teacher.staff_id,
        capacity=50,
        timezone="UTC",
        recurrence=None,
        policy=None,
        low_balance_threshold=None,
    )
    return {"actor": admin, "admin": boss, "staff": staff, "schedule": schedule}


def enroll(school, balance, staff_index=0, own_threshold=None, name="Kid"):
    actor = school["actor"]
    student = people.create_student(actor, name=name, email="kid@x.example", user_id=None)
    made = enrollments.enroll(
        actor,
        school["schedule"].schedule_id,
        student_id=student.student_id,
        initial_balance=balance,
        responsible_staff_id=school["staff"][staff_index].staff_id,
        low_balance_threshold=own_threshold,
    )
    return made.enrollment_id


def inbox(school, staff_index=0):
    actor = Actor(school["actor"].company_id, f"staff-{staff_index}", "staff")
    return reading(lambda: notifications.my_notifications(actor, 200, None, False)).items


def test_a_thousand_enrollments_ten_low_notifies_those_ten_reading_only_them(school, ses):
    _actor, cid, sch = school["actor"], school["actor"].company_id, school["schedule"]
    # A schedule holds at most `capacity` active enrollments: written straight to the table
    # like the enrollments, the schedule has room for the thousand and counts them.
    bulk = [Schedule.of(replace(sch, capacity=1000, active_enrollments=1000))]
    for i in range(1000):
        low = i % 100 == 0
        student_id = ids.new_id()
        bulk.append(
            Enrollment.of(
                records.Enrollment(
                    company_id=cid,
                    schedule_id=sch.schedule_id,
                    student_id=student_id,
                    student_name=f"Student {i}",
                    schedule_name=sch.name,
                    initial_balance=1 if low else 9,
                    balance=1 if low else 9,
                    seq=1,
                    status="active",
                    responsible_staff_id=school["staff"][(i // 100) % 2].staff_id,
                    low_balance_threshold=None,
                    threshold=2,
                    created_at="2027-01-01T00:00:00.000Z",
                    updated_at="2027-01-01T00:00:00.000Z",
                    version=1,
                )
            )
        )
    with Item.batch_write() as writer:
        for item in bulk:
            writer.save(item)
    with count_dynamodb() as counter:
        result = jobs.run("low-balance", DAY)["result"]
    assert result["low_enrollments"] == 10 and result["notifications"] == 10 and result["emails"] == 2
    assert counter.items_read <= 10 + 5, counter.calls
    assert result["store"]["items_read"] == counter.items_read
    assert len(inbox(school, 0)) == 5 and len(inbox(school, 1)) == 5
    messages = sent(ses)
    assert sorted(m.destinations["ToAddresses"][0] for m in messages) == ["staff0@x.example", "staff1@x.example"]
    body = messages[0].body
    assert body.count("session(s) left") == 5 and ("Student 0 " in body or "Student 100 " in body)
    assert all(m.source == SENDER for m in messages)


def test_once_per_crossing_rearmed_by_a_top_up_and_again_at_zero(school, ses):
    eid = enroll(school, 3, name="Mia")
    actor = school["actor"]
    assert jobs.run("low-balance", DAY)["result"]["notifications"] == 0
    enrollments.adjust(actor, eid, delta=-1, reason="used")  # 2: low
    first = jobs.run("low-balance", DAY)["result"]
    assert first["notifications"] == 1 and first["emails"] == 1
    assert jobs.run("low-balance", DAY)["result"]["notifications"] == 0  # rerun the same day
    assert jobs.run("low-balance", DAY + timedelta(days=1))["result"]["notifications"] == 0  # next day, unchanged
    enrollments.adjust(actor, eid, delta=-1, reason="used")  # 1: still low, nothing new
    assert jobs.run("low-balance", DAY + timedelta(days=2))["result"]["notifications"] == 0
    enrollments.adjust(actor, eid, delta=-1, reason="used")  # 0: exhausted, the urgent crossing
    exhausted = jobs.run("low-balance", DAY + timedelta(days=3))["result"]
    assert exhausted["notifications"] == 1
    enrollments.top_up(actor, eid, sessions=5, note=None)  # 5: above the threshold, re-armed
    assert jobs.run("low-balance", DAY + timedelta(days=4))["result"]["notifications"] == 0
    enrollments.adjust(actor, eid, delta=-3, reason="used")  # 2: low again
    again = jobs.run("low-balance", DAY + timedelta(days=5))["result"]
    assert again["notifications"] == 1
    kinds = [n.kind for n in inbox(school)]
    assert kinds == ["low_balance", "balance_exhausted", "low_balance"]
    assert len(sent(ses)) == 3 and "NONE LEFT" in sent(ses)[1].body


def test_thresholds_apply_enrollment_then_schedule_then_company(school, ses):
    actor, sch = school["actor"], school["schedule"]
    at3 = enroll(school, 3, name="Three")
    own4 = enroll(school, 4, own_threshold=4, name="OwnFour")
    assert jobs.run("low-balance", DAY)["result"]["notifications"] == 1  # OwnFour (4 <= 4)
    schedules.update_schedule(actor, sch.schedule_id, {"low_balance_threshold": 3}, None)
    run = jobs.run("low-balance", DAY + timedelta(days=1))["result"]
    assert run["thresholds_updated"] == 1 and run["notifications"] == 1  # Three (3 <= schedule's 3)
    company.put_company(actor, name="School", timezone="UTC", low_balance_threshold=10)
    fresh = enroll(school, 5, name="Five")  # the schedule's 3 still wins over the company's 10
    assert jobs.run("low-balance", DAY + timedelta(days=2))["result"]["notifications"] == 0
    schedules.update_schedule(actor, sch.schedule_id, {"low_balance_threshold": None}, None)
    run = jobs.run("low-balance", DAY + timedelta(days=3))["result"]
    assert run["notifications"] == 1  # Five, under the company's 10 now
    names = sorted(n.student_name for n in inbox(school))
    assert names == ["Five", "OwnFour", "Three"]
    assert {own4, at3, fresh}


def test_a_removed_responsible_staff_member_falls_back_to_the_admins(school, ses):
    enroll(school, 1, staff_index=1, name="Orphan")
    gone = school["staff"][1]
    StaffMember.get(*StaffMember.key(gone.company_id, gone.staff_id)).delete()
    result = jobs.run("low-balance", DAY)["result"]
    assert result["notifications"] == 1 and result["recipients"] == ["ada@x.example"]
    admin_inbox = reading(lambda: notifications.my_notifications(school["actor"], 50, None, False)).items
    assert [n.student_name for n in admin_inbox] == ["Orphan"]


def test_a_failed_send_is_retried_by_the_next_run_and_sent_once(school, ses, monkeypatch):
    enroll(school, 1, name="Retry")
    from chalicelib import mail

    real = mail.send
    monkeypatch.setattr(mail, "send", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("SES down")))
    first = jobs.run("low-balance", DAY)["result"]
    assert first["notifications"] == 1 and first["emails"] == 0 and sent(ses) == []
    monkeypatch.setattr(mail, "send", real)
    second = jobs.run("low-balance", DAY)["result"]
    assert second["emails_recovered"] == 1 and second["notifications"] == 0
    third = jobs.run("low-balance", DAY)["result"]
    assert third["emails_recovered"] == 0
    assert len(sent(ses)) == 1 and "Retry" in sent(ses)[0].body
    assert inbox(school)[0].email == "sent"


def test_an_ended_enrollment_is_not_announced(school, ses):
    eid = enroll(school, 1, name="Gone")
    enrollments.update_enrollment(school["actor"], eid, {"status": "ended"}, None)
    assert jobs.run("low-balance", DAY)["result"]["notifications"] == 0
