"""The booking events every adapter produces, whatever the provider, and the contract
every adapter module (standard, calcom, calendly, acuity) meets."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict

# A delivery's HTTP headers by lower-case name (Chalice's are case-insensitive).
Headers = Mapping[str, str]
# Acuity: its appointments API, asked for one appointment by id (the JSON object it answers).
Fetch = Callable[[str], dict[str, Any]]

CREATED = "created"
RESCHEDULED = "rescheduled"
CANCELLED = "cancelled"
ATTENDED = "attended"
NO_SHOW = "no_show"
NO_SHOW_REVERTED = "no_show_reverted"
MOVE_HALF = "move_half"  # Calendly: the cancellation half of a reschedule
RECORD_ONLY = "record_only"  # seen, kept, changes nothing (e.g. Cal.com MEETING_ENDED)


class Unreadable(Exception):
    """The body cannot be read as this provider's delivery (answered 400)."""


class Implausible(Exception):
    """The body reads, but says something no school can mean (an instant in year 1): the
    delivery is kept as failed with the reason, never applied."""


class SignatureRefused(Exception):
    """Missing, forged or stale signature (answered 401)."""


@dataclass
class Person:
    email: str | None
    name: str | None = None


@dataclass
class BookingEvent:
    kind: str
    booking_id: str
    name: str  # the provider's own event name, for the deliveries log
    event_type: str | None = None
    event_type_aliases: tuple[str, ...] = ()
    student: Person | None = None
    teacher: Person | None = None
    start: datetime | None = None
    end: datetime | None = None
    previous_booking_id: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None  # student | school
    note: str | None = None


class Shared(TypedDict):
    """What the events read from one booking share (`BookingEvent` fields), for adapters that
    build them in a dict and spread it into each event."""

    booking_id: str
    name: str
    event_type: str | None
    event_type_aliases: tuple[str, ...]
    student: Person
    teacher: Person


class Adapter(Protocol):
    """One booking system's adapter module: `verify` checks the signature over the raw body
    and returns the delivery's dedupe key (None when the body alone cannot tell deliveries
    apart: Acuity); `read` translates the body into events (only Acuity uses `fetch`)."""

    def verify(self, secrets: list[str], headers: Headers, body: bytes, now: float | None = None) -> str | None: ...

    def read(self, body: bytes, *, fetch: Fetch | None = None) -> list[BookingEvent]: ...
