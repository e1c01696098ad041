"""Whether the store answers."""

from ..store import people


def store_answers() -> bool:
    try:
        people.get_company("health-check")
        return True
    except Exception:  # noqa: BLE001 - any failure to reach the store is "unavailable"
        return False
