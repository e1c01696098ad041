"""The one map from business exceptions to HTTP answers, in the contract's error shape:
`{"error": {"code", "message", "details"}}`."""

import re

from chalice import Response

from ..errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotConfigured,
    NotFound,
    OptClassError,
    PayloadTooLarge,
    StoreUnavailable,
    Unauthenticated,
    VersionMismatch,
)

STATUS = [
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (VersionMismatch, 412),
    (PayloadTooLarge, 413),
    (StoreUnavailable, 503),
    (NotConfigured, 503),
]


def status_of(exc: OptClassError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_body(code: str, message: str, details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(exc: OptClassError) -> Response:
    status = status_of(exc)
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if isinstance(exc, StoreUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="optclass"'
    return Response(body=error_body(exc.code, exc.message, exc.details), status_code=status, headers=headers)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().removesuffix("_error")


def normalize_framework_error(response: Response) -> Response:
    """Chalice answers some errors itself (405, 415, ...) as {"Code", "Message"}; give them our shape."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        response.body = error_body(_snake(str(body["Code"])), str(body["Message"]))
    return response
