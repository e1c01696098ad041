"""Cal.com webhooks.

Signature: `X-Cal-Signature-256` = hex HMAC-SHA256 of the raw body keyed with the
webhook's secret; a webhook without a secret sends the literal `no-secret-provided`,
which is refused. No timestamp and no delivery id: repeats are recognised by a digest
of the body.

Events: BOOKING_CREATED, BOOKING_RESCHEDULED (a new booking uid; the old one is
`rescheduleUid`), BOOKING_CANCELLED (`cancelledBy`, at the delivery's `createdAt`),
BOOKING_NO_SHOW_UPDATED (`attendees[].noShow` true or false), MEETING_ENDED (a flat body;
it does not prove attendance, so it is recorded and changes nothing).
"""

from typing import Any

from . import events as ev
from .parsing import field, instant, json_object, obj, text
from .signing import body_digest, equal, hmac_sha256

NO_SECRET = "no-secret-provided"


def sign(secret: str, body: bytes) -> str:
    return hmac_sha256(secret.encode(), body).hex()


def verify(secrets: list[str], headers: ev.Headers, body: bytes, now: float | None = None) -> str:
    given = (headers.get("x-cal-signature-256") or "").strip()
    if not given or given == NO_SECRET:
        raise ev.SignatureRefused("X-Cal-Signature-256 is missing")
    if not any(equal(sign(secret, body), given.lower()) for secret in secrets):
        raise ev.SignatureRefused("X-Cal-Signature-256 does not match")
    return body_digest(body)


def _people(payload: dict[str, Any]) -> tuple[ev.Person, ev.Person]:
    organizer = obj(payload.get("organizer"))
    attendee = obj(field(payload, "attendees", 0))
    return (
        ev.Person(text(attendee.get("email")), text(attendee.get("name"))),
        ev.Person(text(organizer.get("email")), text(organizer.get("name"))),
    )


def _event_type(payload: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    type_id = text(payload.get("eventTypeId"))
    slug = text(payload.get("type"))
    return (type_id or slug), tuple(x for x in (slug,) if x and x != type_id)


def read(body: bytes, **_: object) -> list[ev.BookingEvent]:
    data = json_object(body)
    trigger = data.get("triggerEvent")
    if not isinstance(trigger, str):
        raise ev.Unreadable("triggerEvent is missing")
    if trigger == "MEETING_ENDED":
        # Sent flat (the booking's fields at the top level). It says a meeting ended, not who came.
        uid = text(data.get("uid") or field(data, "payload", "uid"))
        return [
            ev.BookingEvent(
                kind=ev.RECORD_ONLY,
                booking_id=uid or "",
                name=trigger,
                note="a meeting that ended does not prove attendance",
            )
        ]
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise ev.Unreadable("payload is missing")
    if trigger == "BOOKING_NO_SHOW_UPDATED":
        uid = text(payload.get("bookingUid") or payload.get("uid"))
        attendees = payload.get("attendees") or []
        if not uid or not isinstance(attendees, list) or not attendees:
            raise ev.Unreadable("bookingUid and attendees are required")
        out = []
        for attendee in attendees:
            if not isinstance(attendee, dict):
                continue
            kind = ev.NO_SHOW if attendee.get("noShow") else ev.NO_SHOW_REVERTED
            out.append(
                ev.BookingEvent(
                    kind=kind,
                    booking_id=uid,
                    name=trigger,
                    student=ev.Person(text(attendee.get("email")), text(attendee.get("name"))),
                )
            )
        return out
    uid = text(payload.get("uid"))
    if not uid:
        raise ev.Unreadable("payload.uid is missing")
    student, teacher = _people(payload)
    event_type, aliases = _event_type(payload)
    common = ev.Shared(
        booking_id=uid,
        name=trigger,
        event_type=event_type,
        event_type_aliases=aliases,
        student=student,
        teacher=teacher,
    )
    if trigger == "BOOKING_CREATED":
        return [
            ev.BookingEvent(
                kind=ev.CREATED,
                start=instant(payload.get("startTime"), "payload.startTime"),
                end=instant(payload.get("endTime"), "payload.endTime"),
                **common,
            )
        ]
    if trigger == "BOOKING_RESCHEDULED":
        return [
            ev.BookingEvent(
                kind=ev.RESCHEDULED,
                start=instant(payload.get("startTime"), "payload.startTime"),
                end=instant(payload.get("endTime"), "payload.endTime"),
                previous_booking_id=text(payload.get("rescheduleUid")),
                **common,
            )
        ]
    if trigger == "BOOKING_CANCELLED":
        by = text(payload.get("cancelledBy"))
        school = by is not None and teacher.email is not None and by.lower() == teacher.email.lower()
        return [
            ev.BookingEvent(
                kind=ev.CANCELLED,
                start=instant(payload.get("startTime"), "payload.startTime", False),
                cancelled_at=instant(data.get("createdAt"), "createdAt", False),
                cancelled_by="school" if school else "student",
                **common,
            )
        ]
    return [ev.BookingEvent(kind=ev.RECORD_ONLY, booking_id=uid, name=trigger, note="not a booking change")]
