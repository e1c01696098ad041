"""Ids made by the server.

Plain ids are ULIDs: unique, and sortable by creation time, which suits sort keys.
Two ids are composite because the thing they name lives inside a schedule's partition:
an enrollment id is `{schedule_id}.{student_id}`. Clients treat them as opaque; parsing
here refuses anything malformed so a made-up id is simply "not found".
"""

import os
import re
import time

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
SEP = "."


_CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid_text(number: int) -> str:
    """A 128-bit number as a ULID's 26 characters of Crockford base32."""
    out = []
    for _ in range(26):
        number, digit = divmod(number, 32)
        out.append(_CROCKFORD_ALPHABET[digit])
    return "".join(reversed(out))


def new_id() -> str:
    """A ULID: 48 bits of milliseconds since the epoch, then 80 random bits."""
    return _ulid_text((int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big"))


def is_id(value: str) -> bool:
    return bool(_ULID.match(value or ""))


def enrollment_id(schedule_id: str, student_id: str) -> str:
    return f"{schedule_id}{SEP}{student_id}"


def parse_enrollment_id(value: str) -> tuple[str, str] | None:
    parts = (value or "").split(SEP)
    if len(parts) == 2 and all(is_id(p) for p in parts):
        return parts[0], parts[1]
    return None


_OCCURRENCE = re.compile(r"^R\d{8}$")


def session_id(schedule_id: str, session_key: str) -> str:
    """A session id names its schedule and its key there (a ULID, or `R<local date>` for
    an occurrence of the schedule's recurrence)."""
    return f"{schedule_id}{SEP}{session_key}"


def parse_session_id(value: str) -> tuple[str, str] | None:
    parts = (value or "").split(SEP)
    if len(parts) == 2 and is_id(parts[0]) and (is_id(parts[1]) or _OCCURRENCE.match(parts[1])):
        return parts[0], parts[1]
    return None


def derived_id(*parts: str) -> str:
    """A ULID-shaped id derived from `parts`: the same parts always give the same id (a
    booking's session is made once however often its delivery comes)."""
    import hashlib

    return _ulid_text(int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:16], "big") >> 2)
