"""Reading records by what they are: a use case names the records it needs (`Ref`s: an item
type and its ids, never a key) and gets them in one strongly consistent BatchGetItem.

Unprocessed keys are asked again at most `UNPROCESSED_ROUNDS` times with a pause, then the
read fails as transient and the unit of work decides (store/unit_of_work.py).
"""
import time
from dataclasses import dataclass
from typing import Any, Iterable

from pynamodb.exceptions import DoesNotExist

from .. import config
from . import engine
from . import models as m
from .failures import TransientStoreError, translate

UNPROCESSED_ROUNDS = 3
BATCH_LIMIT = 100


@dataclass(frozen=True)
class Ref:
    """One record to read: its item type and key."""

    model: type[m.Item]
    key: tuple[str, str]


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


@translate
def get(ref: Ref) -> Any | None:
    """One record, or None."""
    try:
        return ref.model.get(*ref.key, consistent_read=True).record()
    except DoesNotExist:
        return None


@translate
def load(refs: Iterable[Ref]) -> dict[Ref, Any]:
    """The records found, by ref (missing ones are absent); one BatchGetItem per 100."""
    wanted = list(dict.fromkeys(refs))
    by_key = {r.key: r for r in wanted}
    found: dict[Ref, Any] = {}
    client = engine.connection().client
    table = config.table_name()
    for start in range(0, len(wanted), BATCH_LIMIT):
        request = {table: {"Keys": [{"PK": {"S": r.key[0]}, "SK": {"S": r.key[1]}}
                                    for r in wanted[start:start + BATCH_LIMIT]], "ConsistentRead": True}}
        for round_ in range(UNPROCESSED_ROUNDS + 1):
            answer = client.batch_get_item(RequestItems=request)
            for raw in answer.get("Responses", {}).get(table, []):
                item = m.Item.from_raw_data(raw)
                found[by_key[(item.PK, item.SK)]] = item.record()
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            if round_ == UNPROCESSED_ROUNDS:
                raise TransientStoreError("BatchGetItem left keys unprocessed")
            time.sleep(config.store_backoff_base_seconds() * (2 ** round_))
    return found
