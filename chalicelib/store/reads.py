"""Naming the records a use case reads: `Ref`s (an item type and its ids, never a key the
caller builds). The reads themselves, strongly consistent and batched, are the unit of
work's (`get`, `load` in store/unit_of_work.py), re-exported here for the repositories.
"""

from . import models as m
from .unit_of_work import Ref, get, load

__all__ = ["Ref", "get", "load"]


def company(cid: str) -> Ref:
    return Ref(m.Company, m.Company.key(cid))


def staff(cid: str, staff_id: str) -> Ref:
    return Ref(m.StaffMember, m.StaffMember.key(cid, staff_id))


def student(cid: str, student_id: str) -> Ref:
    return Ref(m.Student, m.Student.key(cid, student_id))


def user(cid: str, user_id: str) -> Ref:
    return Ref(m.UserRef, m.UserRef.key(cid, user_id))


def schedule(cid: str, schedule_id: str) -> Ref:
    return Ref(m.Schedule, m.Schedule.key(cid, schedule_id))


def enrollment(cid: str, schedule_id: str, student_id: str) -> Ref:
    return Ref(m.Enrollment, m.Enrollment.key(cid, schedule_id, student_id))


def session(cid: str, schedule_id: str, session_key: str) -> Ref:
    return Ref(m.Session, m.Session.key(cid, schedule_id, session_key))


def mark(cid: str, schedule_id: str, session_key: str, student_id: str) -> Ref:
    return Ref(m.Mark, m.Mark.key(cid, schedule_id, session_key, student_id))


def booking(cid: str, integration_id: str, booking_id: str) -> Ref:
    return Ref(m.Booking, m.Booking.key(cid, integration_id, booking_id))


def integration(integration_id: str) -> Ref:
    return Ref(m.Integration, m.Integration.key(integration_id))


def delivery(cid: str, integration_id: str, delivery_id: str) -> Ref:
    return Ref(m.Delivery, m.Delivery.key(cid, integration_id, delivery_id))
