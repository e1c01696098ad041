"""Booking-system integrations (admin) and the webhook receiver (signed, no token)."""

from chalice import Blueprint

from ..domain import records
from ..errors import InvalidInput, Unauthenticated
from ..services import integrations, webhooks
from ..webhooks.events import SignatureRefused, Unreadable
from .routing import ADMIN_ONLY, PUBLIC, route
from .schemas.common import Overlay
from .schemas.integrations import (
    DeliveriesQuery,
    DeliveryOut,
    IntegrationIn,
    IntegrationOut,
    IntegrationWithSecretOut,
    SecretIn,
    WebhookOut,
    WebhookQuery,
)

bp = Blueprint(__name__)
WEBHOOK_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def with_secret(made: tuple[records.Integration, str]) -> IntegrationWithSecretOut:
    """The integration with the secret it was just given, shown this once (the record keeps
    it sealed)."""
    integration, secret = made
    return IntegrationWithSecretOut.model_validate(Overlay(integration, secret=secret))


@route(
    bp,
    "/integrations",
    "POST",
    roles=ADMIN_ONLY,
    summary="Connect a booking system; the secret is shown once",
    body=IntegrationIn,
    response=IntegrationWithSecretOut,
    presenter=with_secret,
    status=201,
)
def create_integration(req):
    return integrations.create(req.actor, **req.body.model_dump())


@route(
    bp,
    "/integrations",
    "GET",
    roles=ADMIN_ONLY,
    summary="The company's booking-system connections",
    response=IntegrationOut,
    many=True,
)
def list_integrations(req):
    return integrations.list_integrations(req.actor, req.query.limit, req.query.next)


@route(
    bp,
    "/integrations/{integration_id}",
    "DELETE",
    roles=ADMIN_ONLY,
    summary="Disconnect: deliveries are refused from now on; the log stays",
    response=IntegrationOut,
)
def retire_integration(req):
    return integrations.retire(req.actor, req.params["integration_id"])


@route(
    bp,
    "/integrations/{integration_id}/secret",
    "POST",
    roles=ADMIN_ONLY,
    optional_body=True,
    summary="Rotate the secret (shown once); the old one is accepted for 24 hours",
    body=SecretIn,
    response=IntegrationWithSecretOut,
    presenter=with_secret,
)
def rotate_secret(req):
    return integrations.rotate_secret(req.actor, req.params["integration_id"], req.body.secret if req.body else None)


@route(
    bp,
    "/integrations/{integration_id}/deliveries",
    "GET",
    roles=ADMIN_ONLY,
    query=DeliveriesQuery,
    summary="Every delivery with its outcome, newest first",
    response=DeliveryOut,
    many=True,
)
def list_deliveries(req):
    q = req.query
    return integrations.deliveries(req.actor, req.params["integration_id"], q.status, q.limit, q.next)


@route(
    bp,
    "/integrations/{integration_id}/deliveries/{delivery_id}/replay",
    "POST",
    roles=ADMIN_ONLY,
    summary="Apply a failed delivery again, now that the data is fixed",
    response=DeliveryOut,
)
def replay_delivery(req):
    return webhooks.replay(req.actor, req.params["integration_id"], req.params["delivery_id"])


@route(
    bp,
    "/webhooks/{integration_id}",
    "POST",
    roles=PUBLIC,
    query=WebhookQuery,
    summary="A booking system's signed delivery",
    response=WebhookOut,
    content_types=WEBHOOK_CONTENT_TYPES,
)
def receive(req):
    try:
        return webhooks.receive(
            req.params["integration_id"], req.headers, req.raw_body, req.headers.get("content-type")
        )
    except SignatureRefused as exc:
        raise Unauthenticated(str(exc))
    except Unreadable as exc:
        raise InvalidInput(f"the delivery cannot be read: {exc}", [{"field": "body", "message": str(exc)}])
