"""Booking-system deliveries: verify, store, apply, and replay what failed.

It is long because a delivery's whole life is here (receive, apply each event, record,
replay) and every booking event (made, moved, cancelled, no-show) maps to a use case with
its own refusals; split, each part would need the others' private steps.

A delivery's record is keyed by its provider key (the provider's delivery id, or a digest
of the body) and is written in the same transaction as its effect: a repeat finds it and
changes nothing. Each event of a delivery is one step of the unit of work: the booking
read, the effect staged through the same use cases as the HTTP routes (attendance,
sessions), the booking's new state, and (with the delivery's last event) its record. A
delivery that cannot be applied yet (an unknown student, an unmapped event type) is kept as
failed, listed, and can be replayed once the data is fixed.

Ordering rules, so the result does not depend on the order deliveries arrive in:
- a cancellation for a booking not seen yet is kept on the booking (state `cancelled`);
  when the booking arrives, its session is made and the cancellation applied to it, as if
  they had come in order;
- Calendly's reschedule comes as two halves: the old invitee's cancellation with
  `rescheduled: true`, and the new invitee's creation naming the old one. The creation
  moves the old booking's session; the cancellation half never cancels anything.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .. import clock, config, ids, limits
from ..domain import balances, records
from ..errors import Conflict, NotFound, OptClassError, StoreUnavailable
from ..observability import count, log_event
from ..store import attendance as marks_store
from ..store import integrations as store
from ..store import people as people_store
from ..store import reads, secrets
from ..store import sessions as session_store
from ..store import unit_of_work as uow_
from ..store.unit_of_work import UnitOfWork
from ..webhooks import acuity, calcom, calendly, signing, standard
from ..webhooks import events as ev
from . import attendance, sessions
from .context import Actor

ADAPTERS: dict[str, ev.Adapter] = {"standard": standard, "calcom": calcom, "calendly": calendly, "acuity": acuity}
APPLIED, DUPLICATE, IGNORED, FAILED = "applied", "duplicate", "ignored", "failed"


class Unapplicable(Exception):
    """The delivery is fine but cannot be applied to our data yet (kept as failed)."""


class DeliveredMeanwhile(Exception):
    """A twin of this delivery (the provider sent it twice at once) was recorded first."""


@dataclass
class Outcome:
    delivery: records.Delivery
    repeat: bool = False


@dataclass
class _Result:
    """What one event did: the delivery's status and reason, and bookings to write with it."""

    status: str
    reason: str | None = None
    bookings: tuple[records.Booking, ...] = ()
    settle: records.Session | None = None  # a moved session whose marks follow in steps
    cancel: tuple[str, str | None] | None = None  # (session id, reason): the school cancelled it


# A session being made in the very step that cancels its booking, with what its mark needs.
_Made = tuple[records.Schedule, records.Session, records.Enrollment]


@dataclass(frozen=True)
class _Booked:
    """Where a booking that has its session is: its schedule, session key and student, which
    are only ever written together (`_create`, `_move`)."""

    schedule_id: str
    session_key: str
    student_id: str

    @property
    def session_id(self) -> str:
        return ids.session_id(self.schedule_id, self.session_key)


def _booked(booking: records.Booking) -> _Booked:
    """The session of a booking with a session key (checked by the caller)."""
    if booking.schedule_id is None or not booking.session_key or booking.student_id is None:
        raise Unapplicable(f"booking {booking.booking_id} names no whole session")
    return _Booked(booking.schedule_id, booking.session_key, booking.student_id)


def secrets_context(cid: str, integration_id: str) -> dict[str, str]:
    """What an integration's secrets are bound to when encrypted (store/secrets.py)."""
    return {"company_id": cid, "integration_id": integration_id}


def secrets_of(integration: records.Integration, now: datetime | None = None) -> list[str]:
    """The secrets a delivery may be signed with: the current one, and the previous one
    during a rotation's grace period (decrypted; the table holds them encrypted)."""
    context = secrets_context(integration.company_id, integration.integration_id)
    out = [_opened(integration.secret, context)]
    if integration.previous_secret and (integration.previous_secret_until or "") > clock.iso(now or clock.now()):
        out.append(_opened(integration.previous_secret, context))
    return out


def _opened(sealed: str, context: dict[str, str]) -> str:
    secret = secrets.open_sealed(sealed, context)
    assert secret is not None  # open_sealed answers None only for None, and `sealed` is a str
    return secret


def delivery_id_of(provider: str, provider_key: str) -> str:
    return hashlib.sha256(f"{provider}\x1f{provider_key}".encode()).hexdigest()[:32]


def _active_integration(integration_id: str) -> records.Integration:
    integration = store.get_integration(integration_id) if ids.is_id(integration_id) else None
    if integration is None or not integration.active:
        raise NotFound("integration", integration_id)
    return integration


def receive(integration_id: str, headers: ev.Headers, body: bytes, content_type: str | None) -> Outcome:
    """A delivery arrives: 401 unless signed; 400 if unreadable; else stored and answered 2xx."""
    integration = uow_.reading(lambda: _active_integration(integration_id), company_id=None)
    adapter = ADAPTERS[integration.provider]
    keys = uow_.reading(lambda: secrets_of(integration), company_id=None)  # KMS once per process and key
    provider_key = adapter.verify(keys, headers, body)
    cid, now = integration.company_id, clock.now_iso()
    events: list[ev.BookingEvent] | None = None
    fetch_error: str | None = None
    if provider_key is None:
        # The provider sends neither a delivery id nor a body that differs between changes
        # (Acuity): the delivery is known by its body and what it says once read.
        try:
            events = _read(integration, body)
            provider_key = _digest(body, events)
        except (acuity.FetchFailed, ev.Implausible) as exc:
            fetch_error, provider_key = str(exc), f"{signing.body_digest(body)}:unread"
    delivery_id = delivery_id_of(integration.provider, provider_key)

    def seen(uow: UnitOfWork) -> records.Delivery | None:
        existing = store.get_delivery(cid, integration_id, delivery_id)
        if existing is not None and existing.status != FAILED:
            store.count_repeat(uow, existing, now)
            return replace(existing, repeats=existing.repeats + 1)
        return existing

    existing = uow_.run(seen, company_id=cid)
    if existing is not None and existing.status != FAILED:
        return Outcome(existing, repeat=True)
    if events is None and fetch_error is None:
        try:
            events = _read(integration, body)  # Unreadable: answered 400, nothing stored
        except ev.Implausible as exc:
            fetch_error = str(exc)
    delivery = existing or records.Delivery(
        company_id=cid,
        integration_id=integration_id,
        delivery_id=delivery_id,
        provider=integration.provider,
        provider_key=provider_key,
        event=events[0].name if events else None,
        booking_id=events[0].booking_id if events else None,
        status=APPLIED,
        body=body.decode("utf-8", "replace"),
        content_type=content_type,
        received_at=now,
        updated_at=now,
    )
    try:
        if fetch_error is not None:
            failed = replace(delivery, status=FAILED, reason=fetch_error, updated_at=now)
            again = existing is not None  # the same body again: one record, its reason refreshed
            uow_.run(lambda uow: _record(uow, _Result(FAILED), failed, again), company_id=cid)
            return Outcome(failed)
        assert events is not None  # read above, or fetch_error says why not
        return Outcome(apply(integration, delivery, events, replay=existing is not None))
    except DeliveredMeanwhile:
        twin = uow_.reading(lambda: store.get_delivery(cid, integration_id, delivery_id), company_id=cid)
        assert twin is not None  # DeliveredMeanwhile: the twin's record is there
        return Outcome(twin, repeat=True)


def _digest(body: bytes, events: list[ev.BookingEvent]) -> str:
    said = [
        (e.kind, e.booking_id, e.start.isoformat() if e.start else None, e.end.isoformat() if e.end else None)
        for e in events
    ]
    return signing.body_digest(body + b"\x1f" + repr(said).encode())


def _read(integration: records.Integration, body: bytes) -> list[ev.BookingEvent]:
    adapter = ADAPTERS[integration.provider]
    if integration.provider == "acuity":
        api_key = secrets_of(integration)[0]  # Acuity signs with the account's API key
        return adapter.read(
            body,
            fetch=lambda appointment_id: acuity.fetch_appointment(
                integration.account_id or "", api_key, appointment_id
            ),
        )
    return adapter.read(body)


def replay(actor: Actor, integration_id: str, delivery_id: str) -> records.Delivery:
    def load() -> tuple[records.Integration, records.Delivery, str]:
        integration = get_integration_of(actor, integration_id)
        delivery = store.get_delivery(actor.company_id, integration_id, delivery_id)
        if delivery is None:
            raise NotFound("delivery", delivery_id)
        if delivery.status != FAILED:
            raise Conflict(f"only a failed delivery can be replayed; this one is {delivery.status}")
        body = delivery.body or store.delivery_body(actor.company_id, integration_id, delivery_id)
        if body is None:
            raise Conflict(
                f"the delivery's body is kept {config.delivery_body_days()} days and is gone; "
                "ask the booking system to send it again"
            )
        return integration, replace(delivery, body=body), body

    integration, delivery, body = uow_.reading(load, company_id=actor.company_id)
    delivery = replace(delivery, replays=delivery.replays + 1)
    try:
        events = _read(integration, body.encode("utf-8"))
    except (acuity.FetchFailed, ev.Unreadable, ev.Implausible) as exc:
        failed = replace(delivery, reason=str(exc), updated_at=clock.now_iso())
        try:
            uow_.run(lambda uow: _record(uow, _Result(FAILED), failed, True), company_id=actor.company_id)
        except DeliveredMeanwhile:
            pass  # a twin replay settled it first: answer what it stored
        else:
            return failed
    else:
        try:
            return apply(integration, delivery, events, replay=True)
        except DeliveredMeanwhile:
            pass
    settled = uow_.reading(
        lambda: store.get_delivery(actor.company_id, integration_id, delivery_id), company_id=actor.company_id
    )
    assert settled is not None  # DeliveredMeanwhile: the twin replay's record is there (it was read above)
    return settled


def get_integration_of(actor: Actor, integration_id: str) -> records.Integration:
    integration = store.get_integration(integration_id) if ids.is_id(integration_id) else None
    if integration is None or integration.company_id != actor.company_id:
        raise NotFound("integration", integration_id)
    return integration


def apply(
    integration: records.Integration, delivery: records.Delivery, events: list[ev.BookingEvent], *, replay: bool
) -> records.Delivery:
    """Apply the delivery's events; its record ends applied, duplicate, ignored or failed.

    Each event is one step; the record joins the step of the last event. A delivery with
    several events (one per attendee) applies the earlier ones first; each is idempotent,
    so a replay after a partial failure converges."""
    actor = Actor(integration.company_id, f"delivery:{delivery.delivery_id}", "webhook")
    cid = integration.company_id
    events = events or [ev.BookingEvent(kind=ev.RECORD_ONLY, booking_id="", name="empty")]
    stored_already = replay
    try:
        for i, event in enumerate(events):
            last = i == len(events) - 1

            def step(uow: UnitOfWork) -> tuple[_Result, records.Delivery]:
                result = _apply_event(uow, actor, integration, event)
                outcome = replace(delivery, status=result.status, reason=result.reason, updated_at=clock.now_iso())
                if result.cancel is None:  # else they are written once the cancellation is done
                    _record(uow, result, outcome if last else None, stored_already)
                return result, outcome

            result, delivery = uow_.run(step, company_id=cid)
            if result.settle is not None:
                sessions.settle_marks(cid, result.settle.schedule_id, result.settle.session_key)
            if result.cancel is not None:
                attendance.cancel_session_in(actor, *result.cancel)
                done, finished = delivery, result
                uow_.run(lambda uow: _record(uow, finished, done if last else None, stored_already), company_id=cid)
    except StoreUnavailable:
        raise  # the store's weather, not the delivery's fault: answered 503, the provider retries
    except (Unapplicable, OptClassError, acuity.FetchFailed) as exc:
        delivery = replace(
            delivery, status=FAILED, reason=getattr(exc, "message", None) or str(exc), updated_at=clock.now_iso()
        )
        failed = delivery
        known = (
            stored_already
            or uow_.reading(
                lambda: store.get_delivery(cid, delivery.integration_id, delivery.delivery_id), company_id=cid
            )
            is not None
        )
        uow_.run(lambda uow: _record(uow, _Result(FAILED), failed, known), company_id=cid)
    count(f"WebhookDeliveries{delivery.status.title()}")
    # The reason names people (an unknown student's email): it stays on the delivery, for
    # staff, and out of the logs.
    log_event(
        "webhook",
        provider=integration.provider,
        company_id=cid,
        delivery_id=delivery.delivery_id,
        status=delivery.status,
    )
    return delivery


def _record(uow: UnitOfWork, result: _Result, delivery: records.Delivery | None, replay: bool) -> None:
    """Stage the bookings an event changed and, with the delivery's last event, its record."""
    for booking in result.bookings:
        store.set_booking(uow, booking)
    if delivery is not None:
        store.record_delivery(uow, delivery, replay=replay, recorded=DeliveredMeanwhile)


# --- one event -------------------------------------------------------------------------


def _booking(integration: records.Integration, booking_id: str, *, state: str, **fields: str | None) -> records.Booking:
    return records.Booking(
        company_id=integration.company_id,
        integration_id=integration.integration_id,
        booking_id=booking_id,
        state=state,
        updated_at=clock.now_iso(),
        **fields,
    )


def _plausible(event: ev.BookingEvent) -> None:
    """What the HTTP API would refuse, a delivery may not do either: it is kept as failed."""
    for name in ("booking_id", "previous_booking_id", "event_type"):
        value = getattr(event, name)
        if value is not None and len(value) > limits.MAX_OUTSIDE_ID:
            raise Unapplicable(f"{name} is longer than {limits.MAX_OUTSIDE_ID} characters")
    if event.start is not None and event.end is not None and event.end <= event.start:
        raise Unapplicable("the booking ends before it starts")
    for person in (event.student, event.teacher):
        if person is not None and person.email is not None and len(person.email) > 254:
            raise Unapplicable("an email is longer than 254 characters")


def _apply_event(uow: UnitOfWork, actor: Actor, integration: records.Integration, event: ev.BookingEvent) -> _Result:
    _plausible(event)
    kind = event.kind
    if kind == ev.RECORD_ONLY:
        return _Result(IGNORED, event.note or "recorded; it changes nothing")
    cid, iid = integration.company_id, integration.integration_id
    booking = store.get_booking(cid, iid, event.booking_id)
    if kind == acuity.SYNC:
        kind = ev.RESCHEDULED if booking is not None and booking.session_key else ev.CREATED
    if kind == ev.CREATED and event.previous_booking_id:
        previous = store.get_booking(cid, iid, event.previous_booking_id)
        if previous is not None and previous.session_key:
            return _move(uow, actor, integration, previous, event)
    if kind == ev.CREATED:
        return _create(uow, actor, integration, booking, event)
    if kind == ev.RESCHEDULED:
        source = (
            booking
            if booking is not None and booking.session_key
            else (store.get_booking(cid, iid, event.previous_booking_id) if event.previous_booking_id else None)
        )
        if source is None or not source.session_key:
            raise Unapplicable(f"no booking {event.previous_booking_id or event.booking_id} to move")
        return _move(uow, actor, integration, source, event)
    if kind == ev.MOVE_HALF:
        if booking is not None and booking.state in ("moved", "cancelled"):
            return _Result(IGNORED, "the other half of this move was applied already")
        half = _booking(
            integration,
            event.booking_id,
            state="moving",
            schedule_id=booking.schedule_id if booking else None,
            session_key=booking.session_key if booking else None,
            student_id=booking.student_id if booking else None,
            replaced_by=event.note,
        )
        return _Result(IGNORED, "half of a reschedule: the new booking moves the session", (half,))
    if kind == ev.CANCELLED:
        return _cancel(uow, actor, integration, booking, event)
    if booking is None or not booking.session_key or booking.state == "cancelled":
        raise Unapplicable(f"no booked session for booking {event.booking_id}")
    booked = _booked(booking)
    session_id = booked.session_id
    if kind in (ev.NO_SHOW, ev.ATTENDED):
        status = "no_show" if kind == ev.NO_SHOW else "attended"
        ctx, _ = attendance.context_for(actor, session_id, booked.student_id)
        view = attendance.record_in(uow, actor, ctx, booked.student_id, attendance.MarkRequest(status=status))
        if view.changed:
            return _Result(APPLIED)
        return _Result(DUPLICATE, f"the student was already marked {view.mark.status if view.mark else status}")
    if kind == ev.NO_SHOW_REVERTED:
        view = attendance.clear_in(uow, actor, session_id, booked.student_id, only_if="no_show")
        if view.changed:
            return _Result(APPLIED)
        return _Result(
            IGNORED, f"there is no no-show to undo (the mark is {view.mark.status if view.mark else 'unmarked'})"
        )
    return _Result(IGNORED, f"nothing to do for {event.name}")


def _schedule_id_for(integration: records.Integration, event: ev.BookingEvent) -> str:
    mapping = integration.event_type_map()
    schedule_id = (
        next((mapping[k] for k in (event.event_type, *event.event_type_aliases) if k and k in mapping), None)
        or integration.default_schedule_id
    )
    if not schedule_id:
        raise Unapplicable(f"event type {event.event_type!r} is not mapped to a schedule")
    return schedule_id


def _student_for(cid: str, event: ev.BookingEvent) -> records.Student:
    email = event.student.email if event.student else None
    if not email:
        raise Unapplicable("the booking names no student email")
    found = people_store.students_by_email(cid, email)
    if not found:
        raise Unapplicable(f"no student with email {email}")
    if len(found) > 1:
        raise Unapplicable(f"{len(found)} students share the email {email}; cannot tell which")
    return found[0]


def _teacher_for(cid: str, event: ev.BookingEvent) -> records.StaffMember | None:
    """The staff member with the booking's host email, if exactly one (else the schedule's teacher)."""
    email = event.teacher.email if event.teacher else None
    found = people_store.staff_by_email(cid, email) if email else []
    return found[0] if len(found) == 1 else None


def _create(
    uow: UnitOfWork,
    actor: Actor,
    integration: records.Integration,
    booking: records.Booking | None,
    event: ev.BookingEvent,
) -> _Result:
    cid, iid = integration.company_id, integration.integration_id
    if booking is not None and booking.state in ("booked", "moved") and booking.session_key:
        return _Result(DUPLICATE, "the booking was applied already")
    schedule_id = _schedule_id_for(integration, event)
    student = _student_for(cid, event)
    wanted = [reads.schedule(cid, schedule_id), reads.enrollment(cid, schedule_id, student.student_id)]
    found = reads.load(wanted) if ids.is_id(schedule_id) else {}
    schedule: records.Schedule | None = found.get(wanted[0])
    enrollment: records.Enrollment | None = found.get(wanted[1])
    if schedule is None:
        raise Unapplicable(f"the mapped schedule {schedule_id} does not exist")
    if enrollment is None or enrollment.status != "active":
        raise Unapplicable(f"{student.name} is not enrolled in {schedule.name}")
    teacher = _teacher_for(cid, event)
    key = ids.derived_id(iid, event.booking_id)
    start, end = _times(event)
    session = sessions.new_session_of(
        cid,
        schedule,
        key,
        teacher_id=teacher.staff_id if teacher else schedule.teacher_id,
        teacher_name=teacher.name if teacher else schedule.teacher_name,
        student_id=student.student_id,
        starts_at=start,
        ends_at=end,
        origin="booking",
        now=clock.now_iso(),
    )
    booked = _booking(
        integration,
        event.booking_id,
        state="booked",
        schedule_id=schedule.schedule_id,
        session_key=key,
        student_id=student.student_id,
    )
    if booking is not None and booking.state == "cancelled":
        # Its cancellation came first: the session is made and the cancellation applied to it
        # in this one step, as if they had come in order.
        made: _Made | None = None
        if session_store.get_session(cid, schedule.schedule_id, key) is None:
            session_store.add_session(uow, session)
            made = (schedule, session, enrollment)
        early = ev.BookingEvent(
            kind=ev.CANCELLED,
            booking_id=event.booking_id,
            name=event.name,
            cancelled_at=_instant(booking.cancelled_at),
            cancelled_by=booking.cancelled_by,
        )
        return _cancel(uow, actor, integration, booked, early, made=made)
    # No booking yet means no session yet: the two are only ever written together.
    session_store.add_session(uow, session)
    return _Result(APPLIED, None, (booked,))


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _times(event: ev.BookingEvent) -> tuple[datetime, datetime]:
    """When the booked session starts and ends (an hour, when the provider gives no end).
    Every adapter requires the start of a booking it creates or moves."""
    if event.start is None:
        raise Unapplicable(f"booking {event.booking_id} has no start")
    return event.start, event.end or (event.start + timedelta(minutes=60))


def _move(
    uow: UnitOfWork, actor: Actor, integration: records.Integration, source: records.Booking, event: ev.BookingEvent
) -> _Result:
    cid = integration.company_id
    booked = _booked(source)
    current = session_store.get_session(cid, booked.schedule_id, booked.session_key)
    if current is None:
        raise Unapplicable(f"the session of booking {source.booking_id} is gone")
    bookings: tuple[records.Booking, ...] = ()
    if event.booking_id != source.booking_id:
        bookings = (
            _booking(
                integration,
                event.booking_id,
                state="booked",
                schedule_id=source.schedule_id,
                session_key=source.session_key,
                student_id=source.student_id,
            ),
            _booking(
                integration,
                source.booking_id,
                state="moved",
                schedule_id=source.schedule_id,
                session_key=source.session_key,
                student_id=source.student_id,
                replaced_by=event.booking_id,
            ),
        )
    start, end = _times(event)
    if current.starts_at == clock.iso(start) and current.ends_at == clock.iso(end):
        return (
            _Result(APPLIED, None, bookings) if bookings else _Result(DUPLICATE, "the session is at that time already")
        )
    session_id = booked.session_id
    moved, pending = sessions.update_session_in(uow, actor, session_id, {"starts_at": start, "ends_at": end}, None)
    return _Result(APPLIED, None, bookings, settle=moved if pending else None)


def _cancel(
    uow: UnitOfWork,
    actor: Actor,
    integration: records.Integration,
    booking: records.Booking | None,
    event: ev.BookingEvent,
    made: _Made | None = None,
) -> _Result:
    """`made`: (schedule, session, enrollment) when the session is being made in this very
    step (its put guards it, so the mark skips the session's check)."""
    now = clock.now_iso()
    cancelled_at = clock.iso(event.cancelled_at) if event.cancelled_at else now
    if booking is None or not booking.session_key:
        if event.cancelled_at and event.cancelled_at > clock.now() + balances.CLOCK_SKEW:
            # Checked now, as the mark would check it: kept, it would fail the booking later.
            raise Unapplicable("cancelled_at must lie between the enrollment's start and now")
        early = _booking(
            integration,
            event.booking_id,
            state="cancelled",
            cancelled_at=cancelled_at,
            cancelled_by=event.cancelled_by or "student",
        )
        return _Result(APPLIED, "cancelled before its booking arrived; applied when the booking does", (early,))
    if booking.state == "cancelled":
        return _Result(DUPLICATE, "the booking was cancelled already")
    cancelled = replace(
        booking, state="cancelled", cancelled_at=cancelled_at, cancelled_by=event.cancelled_by, updated_at=now
    )
    booked = _booked(booking)
    session_id = booked.session_id
    if event.cancelled_by == "school":
        return _Result(APPLIED, None, (cancelled,), cancel=(session_id, "cancelled in the booking system"))
    request = attendance.MarkRequest(status="cancelled", cancelled_at=cancelled_at)
    if made is not None:
        schedule, session, enrollment = made
        ctx = marks_store.MarkContext(schedule, session, None, enrollment)
        attendance.record_in(uow, actor, ctx, booked.student_id, request, check_session=False)
    else:
        ctx, _ = attendance.context_for(actor, session_id, booked.student_id)
        attendance.record_in(uow, actor, ctx, booked.student_id, request)
    return _Result(APPLIED, None, (cancelled,))
