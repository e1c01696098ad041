"""Repository of report counters.

Access patterns (docs/architecture.md): 42 (update, inside the transaction of the fact
counted), 43 (a dimension's counters for a range of days: one query).
"""
from ..domain.stats import Counts, FIELDS
from . import keys
from .models import Stats
from .tx import Transaction, translate


def add_counts(tx: Transaction, cid: str, counts: Counts) -> None:
    """ADD each change to its counter item (made on first use) in the transaction."""
    for (dimension, entity, day), fields in sorted(counts.items()):
        if not fields:
            continue
        item = Stats(keys.stats_pk(cid, dimension), keys.stats_sk(day, entity))
        actions = [Stats.type.set(Stats), Stats.dimension.set(dimension), Stats.entity.set(entity),
                   Stats.day.set(day)]
        actions += [getattr(Stats, name).add(value) for name, value in sorted(fields.items()) if name in FIELDS]
        tx.update(item, actions=actions)


@translate
def read(cid: str, dimension: str, first_day: str, last_day: str) -> list[Stats]:
    """Every counter of the dimension for days in [first_day, last_day]."""
    return list(Stats.query(keys.stats_pk(cid, dimension),
                            Stats.SK.between(keys.stats_sk(first_day), keys.stats_sk(last_day) + "~")))
