"""Calendly webhooks (API v2).

Signature: `Calendly-Webhook-Signature: t=<unix>,v1=<hex>`, the hex HMAC-SHA256 of
`<t>.<body>` keyed with the webhook signing key; `t` must be within 5 minutes. No
delivery id: repeats are recognised by a digest of the body.

Events: invitee.created; invitee.canceled (with `rescheduled: true` it is the first half
of a move whose other half is the new invitee's invitee.created, naming this one in
`old_invitee`; the halves may arrive in either order); invitee_no_show.created and
.deleted, whose payload is the invitee. A booking is identified by its invitee URI.
"""

from datetime import datetime
from typing import Any

from . import events as ev
from .parsing import field, instant, json_object, obj, text
from .signing import body_digest, equal, fresh, hmac_sha256


class _Common(ev.Shared):
    """What every event read from an invitee shares: also the times."""

    start: datetime | None
    end: datetime | None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1=" + hmac_sha256(secret.encode(), f"{timestamp}.".encode() + body).hex()


def verify(secrets: list[str], headers: ev.Headers, body: bytes, now: float | None = None) -> str:
    header = headers.get("calendly-webhook-signature") or ""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        raise ev.SignatureRefused("Calendly-Webhook-Signature is missing or malformed")
    timestamp = fresh(parts["t"], now)
    if not any(
        equal(sign(secret, timestamp, body).split("v1=", 1)[1], parts["v1"].strip().lower()) for secret in secrets
    ):
        raise ev.SignatureRefused("Calendly-Webhook-Signature does not match")
    return body_digest(body)


def _event_type(scheduled: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    uri = text(scheduled.get("event_type"))
    if not uri:
        return None, ()
    return uri, (uri.rstrip("/").rsplit("/", 1)[-1],)


def read(body: bytes, **_: object) -> list[ev.BookingEvent]:
    data = json_object(body)
    name = data.get("event")
    payload = data.get("payload")
    if not isinstance(name, str) or not isinstance(payload, dict):
        raise ev.Unreadable("event and payload are required")
    if name in ("invitee_no_show.created", "invitee_no_show.deleted"):
        # The payload is the invitee itself: its `uri` names the booking.
        invitee = text(payload.get("uri") or payload.get("invitee"))
        if not invitee:
            raise ev.Unreadable("payload.uri is missing")
        kind = ev.NO_SHOW if name.endswith("created") else ev.NO_SHOW_REVERTED
        return [ev.BookingEvent(kind=kind, booking_id=invitee, name=name)]
    if name not in ("invitee.created", "invitee.canceled"):
        return [ev.BookingEvent(kind=ev.RECORD_ONLY, booking_id=text(payload.get("uri")) or "", name=name)]
    uri = text(payload.get("uri"))
    scheduled = payload.get("scheduled_event")
    if not uri or not isinstance(scheduled, dict):
        raise ev.Unreadable("payload.uri and payload.scheduled_event are required")
    event_type, aliases = _event_type(scheduled)
    host = obj(field(scheduled, "event_memberships", 0))
    common = _Common(
        booking_id=uri,
        name=name,
        event_type=event_type,
        event_type_aliases=aliases,
        student=ev.Person(text(payload.get("email")), text(payload.get("name"))),
        teacher=ev.Person(text(host.get("user_email")), text(host.get("user_name"))),
        start=instant(scheduled.get("start_time"), "payload.scheduled_event.start_time"),
        end=instant(scheduled.get("end_time"), "payload.scheduled_event.end_time"),
    )
    if name == "invitee.created":
        return [ev.BookingEvent(kind=ev.CREATED, previous_booking_id=text(payload.get("old_invitee")), **common)]
    if payload.get("rescheduled"):
        return [ev.BookingEvent(kind=ev.MOVE_HALF, note=text(payload.get("new_invitee")), **common)]
    cancellation = obj(payload.get("cancellation"))
    by_host = cancellation.get("canceler_type") == "host"
    return [
        ev.BookingEvent(
            kind=ev.CANCELLED,
            cancelled_by="school" if by_host else "student",
            cancelled_at=instant(cancellation.get("created_at"), "payload.cancellation.created_at", False)
            or instant(data.get("created_at"), "created_at", False),
            **common,
        )
    ]
