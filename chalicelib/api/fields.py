"""Reusable field types for request schemas: what a valid name, email, id or time zone is."""

import re
import zoneinfo
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field


def _strip(value):
    return value.strip() if isinstance(value, str) else value


Stripped = BeforeValidator(_strip)
Name = Annotated[str, Stripped, Field(min_length=1, max_length=200)]
Note = Annotated[str, Stripped, Field(min_length=1, max_length=500)]
Email = Annotated[str, Stripped, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
# A login's subject as the identity provider issues it (Cognito: a UUID).
UserId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@:+-]{1,128}$")]
# Server-made ids (ULIDs, or two joined by a dot). A malformed id is refused before any lookup.
Id = Annotated[str, Field(pattern=r"^[0-9A-Z]{26}$")]
Threshold = Annotated[int, Field(ge=0, le=1000)]
Sessions = Annotated[int, Field(ge=1, le=10000)]
Balance = Annotated[int, Field(ge=0, le=10000)]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def _timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone name such as Europe/Berlin")
    return value


TimeZone = Annotated[str, AfterValidator(_timezone)]

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("must be a 24-hour time HH:MM")
    return value


LocalTime = Annotated[str, AfterValidator(_hhmm)]

# Dates and instants a school can mean (chalicelib/limits.py).
from ..limits import FIRST_YEAR, LAST_YEAR  # noqa: E402


def _sane_day(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be a date between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _sane_instant(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must be an instant with a time zone offset, such as 2026-12-01T17:00:00Z")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be an instant between {FIRST_YEAR} and {LAST_YEAR}")
    return value


Day = Annotated[date, AfterValidator(_sane_day)]
Instant = Annotated[datetime, AfterValidator(_sane_instant)]

ValidDays = Annotated[int, Field(ge=1, le=3660)]
Price = Annotated[str, Field(pattern=r"^\d{1,7}(\.\d{1,2})?$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
