"""OptClass's own booking events under the Standard Webhooks signature scheme.

Headers `webhook-id`, `webhook-timestamp`, `webhook-signature` (space-separated
`v1,<base64>`, any of which may match, for key rotation); signed content
`<id>.<timestamp>.<body>`; key = the base64-decoded secret after `whsec_`.
"""

import base64
import binascii

from . import events as ev
from .parsing import field, instant, json_object, one_of, text
from .signing import b64, equal, fresh, hmac_sha256

KINDS = {
    "booking.created": ev.CREATED,
    "booking.rescheduled": ev.RESCHEDULED,
    "booking.cancelled": ev.CANCELLED,
    "booking.attended": ev.ATTENDED,
    "booking.no_show": ev.NO_SHOW,
    "booking.no_show_reverted": ev.NO_SHOW_REVERTED,
}


def new_secret() -> str:
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value a sender computes (also used by the tests)."""
    return "v1," + b64(hmac_sha256(_key(secret), f"{msg_id}.{timestamp}.".encode() + body))


def verify(secrets: list[str], headers: ev.Headers, body: bytes, now: float | None = None) -> str:
    msg_id, timestamp, signatures = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and timestamp and signatures):
        raise ev.SignatureRefused("webhook-id, webhook-timestamp and webhook-signature are required")
    fresh(timestamp, now)
    given = [part.split(",", 1)[1] for part in signatures.split() if part.startswith("v1,") and "," in part]
    for secret in secrets:
        expected = sign(secret, msg_id, int(timestamp), body).split(",", 1)[1]
        if any(equal(expected, candidate) for candidate in given):
            return msg_id
    raise ev.SignatureRefused("no webhook-signature matches")


def read(body: bytes, **_: object) -> list[ev.BookingEvent]:
    data = json_object(body)
    name = data.get("type")
    kind = one_of(KINDS, name)
    if kind is None or not isinstance(name, str):  # one_of gives a kind only for a string name
        raise ev.Unreadable(f"unknown event type {name!r}")
    d = data.get("data")
    if not isinstance(d, dict):
        raise ev.Unreadable("data is missing")
    booking_id = text(field(d, "booking_id", required=True), "data.booking_id")
    if booking_id is None:  # field(required=True) refused it already
        raise ev.Unreadable("data.booking_id is missing")
    student = ev.Person(
        text(field(d, "student", "email"), "data.student.email"), text(field(d, "student", "name"), "data.student.name")
    )
    teacher = ev.Person(
        text(field(d, "teacher", "email"), "data.teacher.email"), text(field(d, "teacher", "name"), "data.teacher.name")
    )
    needs_time = kind in (ev.CREATED, ev.RESCHEDULED)
    return [
        ev.BookingEvent(
            kind=kind,
            booking_id=booking_id,
            name=name,
            event_type=text(d.get("event_type"), "data.event_type"),
            student=student,
            teacher=teacher,
            start=instant(d.get("start"), "data.start", needs_time),
            end=instant(d.get("end"), "data.end", needs_time),
            previous_booking_id=text(d.get("previous_booking_id"), "data.previous_booking_id"),
            cancelled_at=instant(d.get("cancelled_at"), "data.cancelled_at", False)
            or instant(data.get("timestamp"), "timestamp", False),
            cancelled_by=d.get("cancelled_by") if d.get("cancelled_by") in ("student", "school") else "student",
        )
    ]
