"""Repository of integrations, bookings and webhook deliveries.

Access patterns (docs/architecture.md): 35-40.
"""

import time
from dataclasses import replace

from .. import config
from ..domain import records
from . import models as m
from . import reads
from .pages import Page, query_page
from .unit_of_work import UnitOfWork


def get_integration(integration_id: str) -> records.Integration | None:
    return reads.get(reads.integration(integration_id))


def add_integration(uow: UnitOfWork, integration: records.Integration) -> records.Integration:
    return uow.create(integration)


def save_integration(uow: UnitOfWork, integration: records.Integration) -> records.Integration:
    """A changed integration, over the version read."""
    return uow.save(integration)


def list_integrations(cid: str, limit: int, cursor: str | None) -> Page[records.Integration]:
    return query_page(
        m.Integration.by_person, m.Integration.company_list(cid), hash_attr="GSI1PK", limit=limit, cursor=cursor
    )


def get_booking(cid: str, integration_id: str, booking_id: str) -> records.Booking | None:
    return reads.get(reads.booking(cid, integration_id, booking_id))


def set_booking(uow: UnitOfWork, booking: records.Booking) -> None:
    """What a booking became; written only with the delivery that says so."""
    uow.overwrite(booking)


def get_delivery(cid: str, integration_id: str, delivery_id: str) -> records.Delivery | None:
    return reads.get(reads.delivery(cid, integration_id, delivery_id))


def record_delivery(uow: UnitOfWork, delivery: records.Delivery, *, replay: bool = False, recorded=None) -> None:
    """Stage the delivery's record in the transaction of its effect: once, or over a failed
    record when the delivery is replayed. If a twin recorded it first, the step ends with
    `recorded()` (when given) and the effect is not applied again."""
    item = m.Delivery.of(replace(delivery, body=None))
    condition = m.Delivery.status == "failed" if replay else m.Delivery.PK.does_not_exist()
    uow.put(item, condition=condition, refusal=recorded)
    if not replay and delivery.body is not None:
        body = m.DeliveryBody(
            *m.DeliveryBody.key(delivery.company_id, delivery.integration_id, delivery.delivery_id),
            company_id=delivery.company_id,
            body=delivery.body,
            expires_at=int(time.time()) + config.delivery_body_days() * 86400,
        )
        uow.put(body)


def delivery_body(cid: str, integration_id: str, delivery_id: str) -> str | None:
    """The delivery's raw body while it is kept (None once its TTL passed)."""
    item = reads.get(reads.Ref(m.DeliveryBody, m.DeliveryBody.key(cid, integration_id, delivery_id)))
    return item.body if item is not None and item.expires_at > time.time() else None


def count_repeat(uow: UnitOfWork, delivery: records.Delivery, at: str) -> None:
    """Stage: the provider sent this delivery once more."""
    uow.update(m.Delivery.of(delivery), [m.Delivery.repeats.add(1), m.Delivery.updated_at.set(at)])


def list_deliveries(
    cid: str, integration_id: str, limit: int, cursor: str | None, status: str | None
) -> Page[records.Delivery]:
    if status == "failed":
        return query_page(
            m.Delivery.attention,
            m.Delivery.failed_partition(cid, integration_id),
            hash_attr="GSI4PK",
            limit=limit,
            cursor=cursor,
            forward=False,
        )
    return query_page(
        m.Delivery.timeline,
        m.Delivery.partition(cid, integration_id),
        limit=limit,
        cursor=cursor,
        forward=False,
        filter_condition=(m.Delivery.status == status) if status else None,
    )
