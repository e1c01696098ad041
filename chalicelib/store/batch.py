"""Loading several items of different kinds in one BatchGetItem (strongly consistent).

Repositories hand out the keys (`*_key` functions); a use case that needs, say, the
schedule, the student and the staff member asks for all three at once.
"""
from typing import Iterable

from .models import Item
from .tx import translate

Key = tuple[str, str]


@translate
def load(keys: Iterable[Key]) -> dict[Key, Item]:
    """The items found, by key; missing keys are simply absent."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    return {(item.PK, item.SK): item for item in Item.batch_get(wanted, consistent_read=True)}
