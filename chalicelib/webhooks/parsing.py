"""Small readers shared by the adapters: JSON objects, instants, nested fields."""

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from ..limits import MAX_JSON_DEPTH, json_too_deep, sane_instant
from .events import Implausible, Unreadable

V = TypeVar("V")


def json_object(body: bytes) -> dict[str, Any]:
    if json_too_deep(body):
        raise Unreadable(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Unreadable(f"the body is not JSON: {exc}")
    if not isinstance(data, dict):
        raise Unreadable("the body is not a JSON object")
    return data


def instant(value: Any, field: str, required: bool = True) -> datetime | None:
    """An ISO 8601 instant with an offset (a trailing Z, or Acuity's -0800, included)."""
    if value in (None, ""):
        if required:
            raise Unreadable(f"{field} is missing")
        return None
    if not isinstance(value, str):
        raise Unreadable(f"{field} is not an instant")
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # -0800 -> -08:00
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Unreadable(f"{field} is not an ISO 8601 instant")
    if moment.tzinfo is None:
        raise Unreadable(f"{field} has no offset")
    if not sane_instant(moment):
        raise Implausible(f"{field} is not an instant between 1970 and 2200")
    return moment.astimezone(timezone.utc)


def field(data: Any, *path: str | int, required: bool = False) -> Any:
    current = data
    for step in path:
        if isinstance(step, int):
            current = current[step] if isinstance(current, list) and len(current) > step else None
        else:
            current = current.get(step) if isinstance(current, dict) else None
        if current is None:
            if required:
                raise Unreadable(f"{'.'.join(str(p) for p in path)} is missing")
            return None
    return current


def text(value: Any, name: str = "a value") -> str | None:
    """A string (or an integer id, as text); anything else a sender put there is unreadable."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise Unreadable(f"{name} is not text")


def obj(value: Any) -> dict[str, Any]:
    """An optional JSON object: itself, or empty when missing or not an object."""
    return value if isinstance(value, dict) else {}


def one_of(mapping: Mapping[str, V], value: Any) -> V | None:
    """`mapping[value]` for a string key, else None (a list or an object is no key)."""
    return mapping.get(value) if isinstance(value, str) else None
