"""Signature schemes over raw body bytes. Every comparison is constant-time."""

import base64
import hashlib
import hmac
import time

from .events import SignatureRefused

TOLERANCE_SECONDS = 300


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def equal(a: str | bytes, b: str | bytes) -> bool:
    a = a.encode() if isinstance(a, str) else a
    b = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a, b)


def fresh(timestamp: str | None, now: float | None = None) -> int:
    """The timestamp as an int, refused when missing, malformed or over 5 minutes off."""
    try:
        value = int(timestamp or "")
    except ValueError:
        raise SignatureRefused("the signature timestamp is missing or malformed")
    if abs((now or time.time()) - value) > TOLERANCE_SECONDS:
        raise SignatureRefused("the signature timestamp is more than 5 minutes off")
    return value


def body_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
