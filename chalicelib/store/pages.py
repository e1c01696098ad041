"""Pages of query results and the opaque cursors that continue them.

A cursor is the query's LastEvaluatedKey, base64url-encoded. On the way back in it is
checked against the partition the request is allowed to read: a cursor for another
partition (another company, another schedule) or a tampered one is refused as bad input,
never handed to DynamoDB.
"""
import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import InvalidInput
from . import schema
from .failures import translate

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next: str | None


def encode_cursor(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    flat = {name: value["S"] for name, value in last_evaluated_key.items()}
    raw = json.dumps(flat, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, hash_attr: str, hash_value: str) -> dict | None:
    if not cursor:
        return None
    bad = InvalidInput("the cursor is not valid for this list", [{"field": "next", "message": "invalid cursor"}])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        flat = json.loads(raw)
    except (ValueError, TypeError):
        raise bad
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
