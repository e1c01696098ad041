"""Pages of query results and the opaque cursors that continue them.

A cursor is sealed: the query's LastEvaluatedKey (or a list's position), base64url-encoded,
with an HMAC-SHA256 over it and the scope it was made in (the caller's company and the
route, set per request by the API layer) under the stage's cursor secret. On the way back
in the seal is checked first, so a cursor that was edited, made by another company or for
another list is refused as bad input (400) and never handed to DynamoDB; then its key is
checked against the partition the request may read.
"""

import base64
import contextvars
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .. import config
from ..errors import InvalidInput
from . import schema
from .failures import translate

_scope: contextvars.ContextVar[str] = contextvars.ContextVar("optclass_cursor_scope", default="")


def set_scope(scope: str) -> contextvars.Token:
    """The scope cursors made and accepted in this request are bound to (company and route)."""
    return _scope.set(scope)


def reset_scope(token: contextvars.Token) -> None:
    _scope.reset(token)


def _bad() -> InvalidInput:
    return InvalidInput("the cursor is not valid for this list", [{"field": "next", "message": "invalid cursor"}])


def _mac(payload: str) -> str:
    digest = hmac.new(config.cursor_secret().encode(), f"{_scope.get()}\n{payload}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


def seal(data: Any) -> str:
    """An opaque, tamper-proof token for `data` (JSON), bound to this request's scope."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    text = payload.decode().rstrip("=")
    return f"{text}.{_mac(text)}"


def unseal(token: str) -> Any:
    """The data of a token `seal` made in this scope; 400 for anything else."""
    if not isinstance(token, str) or len(token) > 2048 or token.count(".") != 1:
        raise _bad()
    text, mac = token.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(text).encode()):
        raise _bad()
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):
        raise _bad()


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next: str | None


def encode_cursor(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    return seal({name: value["S"] for name, value in last_evaluated_key.items()})


def decode_cursor(cursor: str | None, hash_attr: str, hash_value: str) -> dict | None:
    if not cursor:
        return None
    bad = _bad()
    flat = unseal(cursor)
    allowed = set(schema.key_attributes())
    if (
        not isinstance(flat, dict)
        or not flat
        or not set(flat) <= allowed
        or not all(isinstance(v, str) and v for v in flat.values())
        or flat.get(hash_attr) != hash_value
        or "PK" not in flat
        or "SK" not in flat
    ):
        raise bad
    return {name: {"S": value} for name, value in flat.items()}


@translate
def query_page(
    model_or_index: Any,
    hash_key: str,
    range_key_condition=None,
    *,
    hash_attr: str = "PK",
    limit: int = 50,
    cursor: str | None = None,
    forward: bool = True,
    filter_condition=None,
    consistent: bool = False,
) -> Page:
    """One page of a query, as records; `hash_attr` is the partition attribute of the table or index."""
    kwargs: dict[str, Any] = {
        "range_key_condition": range_key_condition,
        "limit": limit,
        "last_evaluated_key": decode_cursor(cursor, hash_attr, hash_key),
        "scan_index_forward": forward,
        "page_size": limit,
    }
    if filter_condition is not None:
        kwargs["filter_condition"] = filter_condition
    if consistent:
        kwargs["consistent_read"] = True
    results = model_or_index.query(hash_key, **kwargs)
    items = [item.record() for item in results]
    return Page(items=items, next=encode_cursor(results.last_evaluated_key))
