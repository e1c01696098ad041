"""Repository of integrations, bookings and webhook deliveries.

Access patterns (docs/architecture.md): 35-41.
"""
from pynamodb.exceptions import DoesNotExist

from . import keys
from .models import Booking, Delivery, Integration
from .pages import Page, query_page
from .tx import Transaction, translate


def new_integration(cid: str, integration_id: str, **fields) -> Integration:
    return Integration(keys.integration_pk(integration_id), keys.INTEGRATION_SK, integration_id=integration_id,
                       company_id=cid, GSI1PK=keys.company_integrations_pk(cid), GSI1SK=integration_id, **fields)


@translate
def get_integration(integration_id: str) -> Integration | None:
    try:
        return Integration.get(keys.integration_pk(integration_id), keys.INTEGRATION_SK, consistent_read=True)
    except DoesNotExist:
        return None


@translate
def save_integration(integration: Integration) -> None:
    """Put a new or changed integration (conditional on the version read)."""
    integration.save()


def list_integrations(cid: str, limit: int, cursor: str | None) -> Page[Integration]:
    return query_page(Integration.by_person, keys.company_integrations_pk(cid), hash_attr="GSI1PK",
                      limit=limit, cursor=cursor)


def booking_key(cid: str, integration_id: str, booking_id: str) -> tuple[str, str]:
    return keys.bookings_pk(cid, integration_id), booking_id


def new_booking(cid: str, integration_id: str, booking_id: str, **fields) -> Booking:
    return Booking(*booking_key(cid, integration_id, booking_id), booking_id=booking_id, **fields)


@translate
def get_booking(cid: str, integration_id: str, booking_id: str) -> Booking | None:
    try:
        return Booking.get(*booking_key(cid, integration_id, booking_id), consistent_read=True)
    except DoesNotExist:
        return None


def delivery_key(cid: str, integration_id: str, delivery_id: str) -> tuple[str, str]:
    return keys.deliveries_pk(cid, integration_id), delivery_id


def new_delivery(cid: str, integration_id: str, delivery_id: str, **fields) -> Delivery:
    delivery = Delivery(*delivery_key(cid, integration_id, delivery_id), delivery_id=delivery_id,
                        integration_id=integration_id, **fields)
    index_delivery(cid, delivery)
    return delivery


def index_delivery(cid: str, delivery: Delivery) -> None:
    delivery.LSI1SK = keys.delivery_time(delivery.received_at, delivery.delivery_id)
    if delivery.status == "failed":
        delivery.GSI4PK = keys.failed_deliveries_pk(cid, delivery.integration_id)
        delivery.GSI4SK = keys.delivery_time(delivery.received_at, delivery.delivery_id)
    else:
        delivery.GSI4PK = delivery.GSI4SK = None


@translate
def get_delivery(cid: str, integration_id: str, delivery_id: str) -> Delivery | None:
    try:
        return Delivery.get(*delivery_key(cid, integration_id, delivery_id), consistent_read=True)
    except DoesNotExist:
        return None


def add_delivery(tx: Transaction, delivery: Delivery, *, replay: bool = False) -> None:
    """Put the delivery's record in the transaction of its effect: once, or over a failed
    record when the delivery is replayed."""
    condition = Delivery.PK.does_not_exist()
    if replay:
        condition = Delivery.status == "failed"
    tx.put(delivery, condition=condition)


@translate
def count_repeat(delivery: Delivery, at: str) -> None:
    delivery.update(actions=[Delivery.repeats.add(1), Delivery.updated_at.set(at)])


def list_deliveries(cid: str, integration_id: str, limit: int, cursor: str | None,
                    status: str | None) -> Page[Delivery]:
    if status == "failed":
        return query_page(Delivery.attention, keys.failed_deliveries_pk(cid, integration_id), hash_attr="GSI4PK",
                          limit=limit, cursor=cursor, forward=False)
    return query_page(Delivery.timeline, keys.deliveries_pk(cid, integration_id), limit=limit, cursor=cursor,
                      forward=False, filter_condition=(Delivery.status == status) if status else None)
