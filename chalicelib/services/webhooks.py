"""Booking-system deliveries: verify, store, apply, and replay what failed.

A delivery's record is keyed by its provider key (the provider's delivery id, or a digest
of the body), and is written in the same transaction as its effect: a repeat finds it and
changes nothing. Effects go through the same services as the HTTP routes (sessions,
attendance). A delivery that cannot be applied yet (an unknown student, an unmapped
event type) is kept as failed, listed, and can be replayed once the data is fixed.

Ordering rules, so the result does not depend on the order deliveries arrive in:
- a cancellation for a booking not seen yet is kept on the booking (state `cancelled`);
  when the booking arrives, its session is made and the cancellation applied to it, as if
  they had come in order;
- Calendly's reschedule comes as two halves: the old invitee's cancellation with
  `rescheduled: true`, and the new invitee's creation naming the old one. The creation
  moves the old booking's session; the cancellation half never cancels anything.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import clock, ids
from ..errors import Conflict, NotFound, OptClassError
from ..observability import count, log_event
from ..store import batch
from ..store import enrollments as enrollment_store
from ..store import integrations as store
from ..store import people as people_store
from ..store import schedules as schedules_store
from ..store import sessions as session_store
from ..store.models import Booking, Delivery, Integration
from ..store.tx import ConditionFailed, Transaction
from ..webhooks import acuity, calcom, calendly, signing, standard
from ..webhooks import events as ev
from . import attendance, sessions
from .context import Actor

ADAPTERS = {"standard": standard, "calcom": calcom, "calendly": calendly, "acuity": acuity}
APPLIED, DUPLICATE, IGNORED, FAILED = "applied", "duplicate", "ignored", "failed"


class Unapplicable(Exception):
    """The delivery is fine but cannot be applied to our data yet (kept as failed)."""


@dataclass
class Outcome:
    delivery: Delivery
    repeat: bool = False


class Effect:
    """What a delivery writes besides its effect: its own record (with the last of its
    events) and the bookings' new state. Services take it like an idempotency claim and
    add it to the transaction of the effect; when no transaction took it, it is written
    alone."""

    def __init__(self, delivery: Delivery, replay: bool, record: bool):
        self.delivery, self.replay, self.record = delivery, replay, record
        self.extra: list = []
        self.used = False

    def add_to(self, tx: Transaction, result=None) -> None:
        if self.record:
            store.index_delivery(self.delivery.PK.removeprefix("C#").split("#I#")[0], self.delivery)
            store.add_delivery(tx, self.delivery, replay=self.replay)
        for item in self.extra:
            tx.put(item)
        self.used = True

    def commit(self, tx: Transaction | None = None) -> None:
        if self.used:
            return
        tx = tx or Transaction()
        self.add_to(tx)
        if len(tx):
            tx.commit()


def secrets_of(integration: Integration, now: datetime | None = None) -> list[str]:
    out = [integration.secret]
    if integration.previous_secret and (integration.previous_secret_until or "") > clock.iso(now or clock.now()):
        out.append(integration.previous_secret)
    return out


def delivery_id_of(provider: str, provider_key: str) -> str:
    return hashlib.sha256(f"{provider}\x1f{provider_key}".encode()).hexdigest()[:32]


def receive(integration_id: str, headers, body: bytes, content_type: str | None) -> Outcome:
    """A delivery arrives: 401 unless signed; 400 if unreadable; else stored and answered 2xx."""
    integration = store.get_integration(integration_id) if ids.is_id(integration_id) else None
    if integration is None or not integration.active:
        raise NotFound("integration", integration_id)
    adapter = ADAPTERS[integration.provider]
    provider_key = adapter.verify(secrets_of(integration), headers, body)
    cid, now = integration.company_id, clock.now_iso()
    events, fetch_error = None, None
    if provider_key is None:
        # The provider sends neither a delivery id nor a body that differs between changes
        # (Acuity): the delivery is known by its body and what it says once read.
        try:
            events = _read(integration, body)
            provider_key = _digest(body, events)
        except acuity.FetchFailed as exc:
            fetch_error, provider_key = str(exc), f"{signing.body_digest(body)}:unfetched:{now}"
    delivery_id = delivery_id_of(integration.provider, provider_key)
    existing = store.get_delivery(cid, integration_id, delivery_id)
    if existing is not None and existing.status != FAILED:
        store.count_repeat(existing, now)
        existing.repeats = int(existing.repeats or 0) + 1
        return Outcome(existing, repeat=True)
    if events is None and fetch_error is None:
        events = _read(integration, body)  # Unreadable: answered 400, nothing stored
    delivery = existing or store.new_delivery(
        cid, integration_id, delivery_id, provider=integration.provider, provider_key=provider_key,
        event=events[0].name if events else None, booking_id=events[0].booking_id if events else None,
        status=APPLIED, body=body.decode("utf-8", "replace"), content_type=content_type, received_at=now,
        updated_at=now)
    if fetch_error is not None:
        delivery.status, delivery.reason = FAILED, fetch_error
        Effect(delivery, False, record=True).commit()
        return Outcome(delivery)
    return Outcome(apply(integration, delivery, events, replay=existing is not None))


def _digest(body: bytes, events: list[ev.BookingEvent]) -> str:
    said = [(e.kind, e.booking_id, e.start.isoformat() if e.start else None, e.end.isoformat() if e.end else None)
            for e in events]
    return signing.body_digest(body + b"\x1f" + repr(said).encode())


def _read(integration: Integration, body: bytes) -> list[ev.BookingEvent]:
    adapter = ADAPTERS[integration.provider]
    if integration.provider == "acuity":
        return adapter.read(body, fetch=lambda appointment_id: acuity.fetch_appointment(
            integration.account_id or "", integration.secret, appointment_id))
    return adapter.read(body)


def replay(actor: Actor, integration_id: str, delivery_id: str) -> Delivery:
    integration = get_integration_of(actor, integration_id)
    delivery = store.get_delivery(actor.company_id, integration_id, delivery_id)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    if delivery.status != FAILED:
        raise Conflict(f"only a failed delivery can be replayed; this one is {delivery.status}")
    delivery.replays = int(delivery.replays or 0) + 1
    try:
        events = _read(integration, delivery.body.encode("utf-8"))
    except (acuity.FetchFailed, ev.Unreadable) as exc:
        delivery.reason, delivery.updated_at = str(exc), clock.now_iso()
        Effect(delivery, True, record=True).commit()
        return delivery
    return apply(integration, delivery, events, replay=True)


def get_integration_of(actor: Actor, integration_id: str) -> Integration:
    integration = store.get_integration(integration_id) if ids.is_id(integration_id) else None
    if integration is None or integration.company_id != actor.company_id:
        raise NotFound("integration", integration_id)
    return integration


def apply(integration: Integration, delivery: Delivery, events: list[ev.BookingEvent], *, replay: bool) -> Delivery:
    """Apply the delivery's events; its record ends applied, duplicate, ignored or failed.

    The record joins the transaction of the last event's effect. A delivery with several
    events (one per attendee) applies the earlier ones first; each is idempotent, so a
    replay after a partial failure converges."""
    actor = Actor(integration.company_id, f"delivery:{delivery.delivery_id}", "webhook")
    try:
        for i, event in enumerate(events or [ev.BookingEvent(kind=ev.RECORD_ONLY, booking_id="", name="empty")]):
            effect = Effect(delivery, replay, record=i == len(events) - 1 or not events)
            delivery.status, delivery.reason, delivery.updated_at = APPLIED, None, clock.now_iso()
            status, reason = _apply_event(actor, integration, event, effect)
            if not effect.used:
                delivery.status, delivery.reason = status, reason
            effect.commit()
    except (Unapplicable, OptClassError, acuity.FetchFailed) as exc:
        delivery.status, delivery.reason = FAILED, getattr(exc, "message", None) or str(exc)
        delivery.updated_at = clock.now_iso()
        Effect(delivery, replay or _stored(delivery), record=True).commit()
    count(f"WebhookDeliveries{delivery.status.title()}")
    log_event("webhook", provider=integration.provider, company_id=integration.company_id,
              delivery_id=delivery.delivery_id, status=delivery.status, reason=delivery.reason)
    return delivery


def _stored(delivery: Delivery) -> bool:
    """Whether the record exists already (an earlier event of this delivery wrote it)."""
    cid = delivery.PK.removeprefix("C#").split("#I#")[0]
    return store.get_delivery(cid, delivery.integration_id, delivery.delivery_id) is not None


# --- one event -------------------------------------------------------------------------

def _apply_event(actor, integration, event: ev.BookingEvent, effect: Effect) -> tuple[str, str | None]:
    kind = event.kind
    if kind == ev.RECORD_ONLY:
        return IGNORED, event.note or "recorded; it changes nothing"
    cid, iid = integration.company_id, integration.integration_id
    booking = store.get_booking(cid, iid, event.booking_id)
    if kind == acuity.SYNC:
        kind = ev.RESCHEDULED if booking is not None and booking.session_key else ev.CREATED
    if kind == ev.CREATED and event.previous_booking_id:
        previous = store.get_booking(cid, iid, event.previous_booking_id)
        if previous is not None and previous.session_key:
            return _move(actor, integration, previous, event, effect)
    if kind == ev.CREATED:
        return _create(actor, integration, booking, event, effect)
    if kind == ev.RESCHEDULED:
        source = booking if booking is not None and booking.session_key else (
            store.get_booking(cid, iid, event.previous_booking_id) if event.previous_booking_id else None)
        if source is None or not source.session_key:
            raise Unapplicable(f"no booking {event.previous_booking_id or event.booking_id} to move")
        return _move(actor, integration, source, event, effect)
    if kind == ev.MOVE_HALF:
        if booking is not None and booking.state in ("moved", "cancelled"):
            return IGNORED, "the other half of this move was applied already"
        effect.extra.append(store.new_booking(
            cid, iid, event.booking_id, state="moving", schedule_id=booking.schedule_id if booking else None,
            session_key=booking.session_key if booking else None, student_id=booking.student_id if booking else None,
            replaced_by=event.note, updated_at=clock.now_iso()))
        return IGNORED, "half of a reschedule: the new booking moves the session"
    if kind == ev.CANCELLED:
        return _cancel(actor, integration, booking, event, effect)
    if booking is None or not booking.session_key or booking.state == "cancelled":
        raise Unapplicable(f"no booked session for booking {event.booking_id}")
    session_id = ids.session_id(booking.schedule_id, booking.session_key)
    if kind in (ev.NO_SHOW, ev.ATTENDED):
        status = "no_show" if kind == ev.NO_SHOW else "attended"
        view = attendance.record(actor, session_id, booking.student_id, attendance.MarkInput(status=status),
                                 claim=effect)
        if effect.used:
            return APPLIED, None
        return DUPLICATE, f"the student was already marked {view.mark.status if view.mark else status}"
    if kind == ev.NO_SHOW_REVERTED:
        view = attendance.clear(actor, session_id, booking.student_id, claim=effect, only_if="no_show")
        if effect.used:
            return APPLIED, None
        return IGNORED, f"there is no no-show to undo (the mark is {view.mark.status if view.mark else 'unmarked'})"
    return IGNORED, f"nothing to do for {event.name}"


def _schedule_id_for(integration: Integration, event: ev.BookingEvent) -> str:
    mapping = integration.event_type_map()
    schedule_id = next((mapping[k] for k in (event.event_type, *event.event_type_aliases) if k and k in mapping),
                       None) or integration.default_schedule_id
    if not schedule_id:
        raise Unapplicable(f"event type {event.event_type!r} is not mapped to a schedule")
    return schedule_id


def _student_for(cid: str, event: ev.BookingEvent):
    email = event.student.email if event.student else None
    if not email:
        raise Unapplicable("the booking names no student email")
    found = people_store.students_by_email(cid, email)
    if not found:
        raise Unapplicable(f"no student with email {email}")
    if len(found) > 1:
        raise Unapplicable(f"{len(found)} students share the email {email}; cannot tell which")
    return found[0]


def _teacher_for(cid: str, event: ev.BookingEvent):
    """The staff member with the booking's host email, if exactly one (else the schedule's teacher)."""
    email = event.teacher.email if event.teacher else None
    found = people_store.staff_by_email(cid, email) if email else []
    return found[0] if len(found) == 1 else None


def _create(actor, integration, booking: Booking | None, event: ev.BookingEvent, effect: Effect):
    cid, iid = integration.company_id, integration.integration_id
    if booking is not None and booking.state in ("booked", "moved") and booking.session_key:
        return DUPLICATE, "the booking was applied already"
    schedule_id = _schedule_id_for(integration, event)
    student = _student_for(cid, event)
    wanted = [schedules_store.schedule_key(cid, schedule_id),
              enrollment_store.enrollment_key(cid, schedule_id, student.student_id)]
    found = batch.load(wanted)
    schedule, enrollment = found.get(wanted[0]), found.get(wanted[1])
    if schedule is None:
        raise Unapplicable(f"the mapped schedule {schedule_id} does not exist")
    if enrollment is None or enrollment.status != "active":
        raise Unapplicable(f"{student.name} is not enrolled in {schedule.name}")
    teacher = _teacher_for(cid, event)
    key = ids.derived_id(iid, event.booking_id)
    end = event.end or (event.start + timedelta(minutes=60))
    now = clock.now_iso()
    session = sessions.new_session_of(
        cid, schedule, key, teacher_id=teacher.staff_id if teacher else schedule.teacher_id,
        teacher_name=teacher.name if teacher else schedule.teacher_name, student_id=student.student_id,
        starts_at=event.start, ends_at=end, origin="booking", now=now)
    booked = store.new_booking(cid, iid, event.booking_id, state="booked", schedule_id=schedule.schedule_id,
                               session_key=key, student_id=student.student_id, updated_at=now)
    if booking is not None and booking.state == "cancelled":
        # Its cancellation came first: make the session, then apply the cancellation to it.
        # The booking stays a cancellation until that is done, so a crash in between resumes here.
        if session_store.get_session(cid, schedule.schedule_id, key) is None:
            sessions.create_counted(cid, session)
        early = ev.BookingEvent(kind=ev.CANCELLED, booking_id=event.booking_id, name=event.name,
                                cancelled_at=_instant(booking.cancelled_at), cancelled_by=booking.cancelled_by)
        return _cancel(actor, integration, booked, early, effect)
    # No booking yet means no session yet: the two are only ever written together.
    effect.extra.append(booked)
    tx = Transaction()
    effect.add_to(tx)
    if not sessions.create_counted(cid, session, tx):
        raise ConditionFailed(["session exists"])  # a concurrent delivery made it: start over
    return APPLIED, None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _move(actor, integration, source: Booking, event: ev.BookingEvent, effect: Effect):
    cid, iid = integration.company_id, integration.integration_id
    current = session_store.get_session(cid, source.schedule_id, source.session_key)
    if current is None:
        raise Unapplicable(f"the session of booking {source.booking_id} is gone")
    now = clock.now_iso()
    if event.booking_id != source.booking_id:
        effect.extra += [
            store.new_booking(cid, iid, event.booking_id, state="booked", schedule_id=source.schedule_id,
                              session_key=source.session_key, student_id=source.student_id, updated_at=now),
            store.new_booking(cid, iid, source.booking_id, state="moved", schedule_id=source.schedule_id,
                              session_key=source.session_key, student_id=source.student_id,
                              replaced_by=event.booking_id, updated_at=now)]
    start = event.start
    end = event.end or (start + timedelta(minutes=60))
    if current.starts_at == clock.iso(start) and current.ends_at == clock.iso(end):
        return (APPLIED, None) if effect.extra else (DUPLICATE, "the session is at that time already")
    session_id = ids.session_id(source.schedule_id, source.session_key)
    sessions.update_session(actor, session_id, {"starts_at": start, "ends_at": end}, None, claim=effect)
    return APPLIED, None


def _cancel(actor, integration, booking: Booking | None, event: ev.BookingEvent, effect: Effect):
    cid, iid = integration.company_id, integration.integration_id
    now = clock.now_iso()
    cancelled_at = clock.iso(event.cancelled_at) if event.cancelled_at else now
    if booking is None or not booking.session_key:
        effect.extra.append(store.new_booking(cid, iid, event.booking_id, state="cancelled",
                                              cancelled_at=cancelled_at, cancelled_by=event.cancelled_by or "student",
                                              updated_at=now))
        return APPLIED, "cancelled before its booking arrived; applied when the booking does"
    if booking.state == "cancelled":
        return DUPLICATE, "the booking was cancelled already"
    effect.extra.append(store.new_booking(
        cid, iid, booking.booking_id, state="cancelled", schedule_id=booking.schedule_id,
        session_key=booking.session_key, student_id=booking.student_id, cancelled_at=cancelled_at,
        cancelled_by=event.cancelled_by, updated_at=now))
    session_id = ids.session_id(booking.schedule_id, booking.session_key)
    if event.cancelled_by == "school":
        attendance.cancel_session(actor, session_id, "cancelled in the booking system")
        return APPLIED, None
    attendance.record(actor, session_id, booking.student_id,
                      attendance.MarkInput(status="cancelled", cancelled_at=_instant(cancelled_at)), claim=effect)
    return APPLIED, None
