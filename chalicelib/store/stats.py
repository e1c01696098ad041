"""Repository of the report counters, kept from the table's stream.

Access patterns (docs/architecture.md): 42 (add a batch of changes, exactly once per
stream record), 43 (a dimension's counters for a range of days: one query), 46 (how fresh
a company's counters are).
"""

import time

from ..domain import records
from ..domain.stats import FIELDS
from . import models as m
from . import reads
from .failures import translate
from .unit_of_work import UnitOfWork

APPLIED_DAYS = 2  # stream records live 24 hours; their markers outlive any redelivery

# The counts of changes by (company, dimension, entity, day): `domain.stats.Counts` per company.
CompanyCounts = dict[tuple[str, str, str, str], dict[str, int]]


@translate
def already_applied(event_ids: list[str]) -> set[str]:
    """Which of these stream records the counters took in already (one BatchGetItem per 100)."""
    refs = {reads.Ref(m.AppliedChange, m.AppliedChange.key(e)): e for e in event_ids}
    return {refs[ref] for ref in reads.load(refs)}


def add_counts(uow: UnitOfWork, event_ids: list[str], counts: CompanyCounts) -> None:
    """Stage: these stream records are applied (a marker each, put only if absent) and their
    counts added to the counters (made on first use)."""
    expires = int(time.time()) + APPLIED_DAYS * 86400
    for event_id in event_ids:
        marker = m.AppliedChange(*m.AppliedChange.key(event_id), expires_at=expires)
        uow.put(marker, condition=m.AppliedChange.PK.does_not_exist())
    for (cid, dimension, entity, day), fields in sorted(counts.items()):
        item = m.Stats(*m.Stats.key(cid, dimension, day, entity))
        actions = [
            m.Stats.type.set(m.Stats),
            m.Stats.company_id.set(cid),
            m.Stats.dimension.set(dimension),
            m.Stats.entity.set(entity),
            m.Stats.day.set(day),
        ]
        actions += [getattr(m.Stats, name).add(value) for name, value in sorted(fields.items()) if name in FIELDS]
        uow.update(item, actions)


def note_fresh(uow: UnitOfWork, cid: str, through: str, at: str, newer) -> None:
    """Stage: the company's counters include every change up to `through` (only forward: a
    batch of another shard that noted a later change first is left alone, with `newer()`)."""
    item = m.CountedThrough(*m.CountedThrough.key(cid))
    uow.update(
        item,
        [
            m.CountedThrough.type.set(m.CountedThrough),
            m.CountedThrough.company_id.set(cid),
            m.CountedThrough.counted_through.set(through),
            m.CountedThrough.counted_at.set(at),
        ],
        condition=m.CountedThrough.counted_through.does_not_exist() | (m.CountedThrough.counted_through < through),
        refusal=newer,
    )


@translate
def read(cid: str, dimension: str, first_day: str, last_day: str) -> list[records.Counters]:
    """Every counter of the dimension for days in [first_day, last_day]."""
    pk = m.Stats.partition(cid, dimension)
    return [s.record() for s in m.Stats.query(pk, m.Stats.SK.between(f"{first_day}#", f"{last_day}#~"))]


def counted_through(cid: str) -> records.CountedThrough | None:
    return reads.get(reads.Ref(m.CountedThrough, m.CountedThrough.key(cid)))
