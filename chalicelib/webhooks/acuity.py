"""Acuity Scheduling webhooks.

Signature: `X-Acuity-Signature` = base64 HMAC-SHA256 of the raw form-encoded body keyed
with the account's API key. The body names only the appointment
(`action=scheduled|rescheduled|canceled|changed&id=...&calendarID=...&appointmentTypeID=...`);
its details come from Acuity's appointments API (HTTP basic auth: user id and API key).
`changed` repeats what the others say, so it is read as "make ours match theirs", which
changes nothing when the other delivery was applied already. A no-show is a cancelled
appointment with `noShow: true`. `endTime` is a wall-clock label, so the end is the start
plus `duration`.
"""

import base64
import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from .. import config
from . import events as ev
from .events import Implausible
from .parsing import instant, text
from .signing import b64, equal, hmac_sha256

KINDS = {"scheduled": ev.CREATED, "rescheduled": ev.RESCHEDULED, "canceled": ev.CANCELLED, "changed": "sync"}
SYNC = "sync"


class FetchFailed(Exception):
    """Acuity's API did not give the appointment (the delivery is kept as failed, replayable)."""


def sign(api_key: str, body: bytes) -> str:
    return b64(hmac_sha256(api_key.encode(), body))


def verify(secrets: list[str], headers: ev.Headers, body: bytes, now: float | None = None) -> None:
    """Verify; returns no delivery key: Acuity's body is the same for every change of an
    appointment, so the delivery is known by the body together with what the API says."""
    given = (headers.get("x-acuity-signature") or "").strip()
    if not given:
        raise ev.SignatureRefused("X-Acuity-Signature is missing")
    if not any(equal(sign(secret, body), given) for secret in secrets):
        raise ev.SignatureRefused("X-Acuity-Signature does not match")
    return None


FETCH_SECONDS = 5.0  # in all, however slowly Acuity trickles its answer
MAX_ANSWER_BYTES = 256 * 1024


def fetch_appointment(
    account_id: str, api_key: str, appointment_id: str, timeout: float = FETCH_SECONDS
) -> dict[str, Any]:
    """GET /appointments/{id} from Acuity's API (base URL from OPTCLASS_ACUITY_API_BASE),
    within `timeout` seconds in all (not per socket read) and at most MAX_ANSWER_BYTES."""
    if not appointment_id.isdigit() or len(appointment_id) > 20:
        raise FetchFailed("the appointment id is not Acuity's")
    url = f"{config.acuity_api_base().rstrip('/')}/appointments/{appointment_id}"
    token = base64.b64encode(f"{account_id}:{api_key}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}", "Accept": "application/json"})
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - a configured https URL
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no whole answer within {timeout:g} s")
                chunk = answer.read(16384)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise ValueError("the answer is too large")
                chunks.append(chunk)
            data = json.loads(b"".join(chunks).decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
        raise FetchFailed(f"Acuity's appointments API did not answer: {exc}")
    if not isinstance(data, dict):
        raise FetchFailed("Acuity's appointments API answered something other than an appointment")
    return data


def read(body: bytes, fetch: ev.Fetch | None = None, **_: object) -> list[ev.BookingEvent]:
    try:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), strict_parsing=True).items()}
    except (UnicodeDecodeError, ValueError):
        raise ev.Unreadable("the body is not form-encoded")
    action, appointment_id = form.get("action"), form.get("id")
    if not action or not appointment_id or not appointment_id.isdigit():
        raise ev.Unreadable("action and a numeric id are required")
    kind = KINDS.get(action)
    if kind is None:
        return [ev.BookingEvent(kind=ev.RECORD_ONLY, booking_id=appointment_id, name=action)]
    if fetch is None:
        raise FetchFailed("no way to fetch the appointment")
    a = fetch(appointment_id)
    first, last = text(a.get("firstName")) or "", text(a.get("lastName")) or ""
    canceled = bool(a.get("canceled"))
    if canceled and a.get("noShow"):
        kind = ev.NO_SHOW  # Acuity records a no-show as a cancelled appointment flagged noShow
    elif kind == SYNC and canceled:
        kind = ev.CANCELLED
    type_id = text(a.get("appointmentTypeID") or form.get("appointmentTypeID"))
    return [
        ev.BookingEvent(
            kind=kind,
            booking_id=appointment_id,
            name=action,
            event_type=type_id,
            student=ev.Person(text(a.get("email")), f"{first} {last}".strip() or None),
            teacher=ev.Person(None, text(a.get("calendar"))),
            start=instant(a.get("datetime"), "appointment.datetime", kind in (ev.CREATED, ev.RESCHEDULED, SYNC)),
            end=_end(a),
            cancelled_by="student",
        )
    ]


def _end(a: dict[str, Any]) -> datetime | None:
    start = instant(a.get("datetime"), "appointment.datetime", False)
    if start is None:
        return None
    try:
        minutes = int(a.get("duration") or 60)
    except (TypeError, ValueError, OverflowError):
        minutes = 60
    if not 0 < minutes <= 24 * 60:
        raise Implausible(f"appointment.duration of {minutes} minutes is not a lesson's")
    return start + timedelta(minutes=minutes)
