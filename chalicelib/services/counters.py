"""The report counters, kept from the table's stream (never in a mark's transaction).

Every change of a session, a mark or a ledger entry reaches `apply_stream_records` at
least once (Lambda in AWS, `store.stream.drain` locally). Each change adds to the counters
the difference between what the item counted before and after (`domain/stats.py`), so
corrections, moves and school cancellations stay exact. A change is applied exactly once:
its stream record's id is written as a marker in the same transaction as its counts, and
records whose marker exists are skipped. Counts of a batch are added up first, so a class
of 20 marked at once updates each counter once.
"""

from typing import Any

from .. import clock
from ..domain import records, stats
from ..domain.balances import SOLD
from ..domain.lots import EXPIRY
from ..observability import log_event
from ..store import stats as store
from ..store import stream
from ..store import unit_of_work as uow_
from ..store.unit_of_work import UnitOfWork

MAX_ACTIONS = 99  # per transaction: markers and counters together

Counted = records.Session | records.Mark | records.LedgerEntry  # the items `stream.changes_of` keeps


def _session_facts(session: records.Session | None) -> stats.SessionFacts | None:
    if session is None:
        return None
    return stats.SessionFacts(
        day=stats.local_day(session.starts_at, session.timezone or "UTC"),
        teacher_id=session.teacher_id,
        schedule_id=session.schedule_id,
        cancelled=session.status == "cancelled",
        seats=session.seats,
    )


def _mark_facts(mark: records.Mark | None, timezone: str) -> stats.MarkFacts | None:
    if mark is None:
        return None
    return stats.MarkFacts(
        day=stats.local_day(mark.starts_at, timezone or "UTC"),
        teacher_id=mark.teacher_id,
        schedule_id=mark.schedule_id,
        student_id=mark.student_id,
        status=mark.status,
        cancelled_by=mark.cancelled_by,
        charged=mark.charged,
    )


def _counts(item: Any) -> stats.Counts:
    """A day is the session's local day in its schedule's zone (a mark carries its session's)."""
    if isinstance(item, records.Session):
        return stats.session_counts(_session_facts(item))
    if isinstance(item, records.Mark):
        return stats.mark_counts(_mark_facts(item, item.timezone))
    if isinstance(item, records.LedgerEntry) and item.kind in SOLD and item.delta > 0:
        return stats.sale_counts(item.schedule_id, item.at[:10], item.delta)
    if isinstance(item, records.LedgerEntry) and item.kind == EXPIRY and item.delta < 0:
        return stats.sale_counts(item.schedule_id, item.at[:10], -item.delta, "forfeited")
    return {}


def change_counts(change: stream.Change) -> stats.Counts:
    """What one change adds to the counters: after minus before."""
    return stats.difference(_counts(change.before), _counts(change.after))


def apply_stream_records(stream_records: list[dict]) -> dict[str, int]:
    """The stream handler: add a batch of changes to the counters, each exactly once."""
    changes = stream.changes_of(stream_records)
    applied = 0
    for chunk in _chunks(changes):
        applied += uow_.run(lambda uow: _apply(uow, chunk), company_id=None)
    for cid, through in sorted(_newest(changes).items()):
        try:
            uow_.run(lambda uow: store.note_fresh(uow, cid, through, clock.now_iso(), _AlreadyNewer), company_id=cid)
        except _AlreadyNewer:
            pass
    log_event("counters", records=len(stream_records), changes=len(changes), applied=applied)
    return {"records": len(stream_records), "changes": len(changes), "applied": applied}


class _AlreadyNewer(Exception):
    """Another batch noted a later change as counted already."""


def _changed(change: stream.Change) -> Counted:
    """The item a change is about: as it is after (as it was, for a deletion)."""
    item = change.after or change.before
    assert item is not None  # `stream.changes_of` keeps no change without either
    return item


def _newest(changes: list[stream.Change]) -> dict[str, str]:
    """Per company, the time of the newest change of the batch."""
    out: dict[str, str] = {}
    for change in changes:
        cid = _changed(change).company_id
        out[cid] = max(out.get(cid, ""), change.at)
    return out


def _keyed(change: stream.Change) -> dict[tuple[str, str, str, str], dict[str, int]]:
    item = _changed(change)
    return {(item.company_id, *key): fields for key, fields in change_counts(change).items()}


def _chunks(changes: list[stream.Change]) -> list[list[stream.Change]]:
    """Consecutive changes whose markers and counters fit one transaction."""
    out: list[list[stream.Change]] = []
    current: list[stream.Change] = []
    keys: set[tuple[str, str, str, str]] = set()
    for change in changes:
        mine = set(_keyed(change))
        if current and len(current) + 1 + len(keys | mine) > MAX_ACTIONS:
            out.append(current)
            current, keys = [], set()
        current.append(change)
        keys |= mine
    if current:
        out.append(current)
    return out


def _apply(uow: UnitOfWork, chunk: list[stream.Change]) -> int:
    done = store.already_applied([c.event_id for c in chunk])
    todo = stream.session_zones([c for c in chunk if c.event_id not in done])
    if not todo:
        return 0
    total: dict[tuple[str, str, str, str], dict[str, int]] = {}
    for change in todo:
        for key, fields in _keyed(change).items():
            target = total.setdefault(key, {})
            for name, value in fields.items():
                target[name] = target.get(name, 0) + value
    total = {k: {n: v for n, v in f.items() if v} for k, f in total.items()}
    store.add_counts(uow, [c.event_id for c in todo], {k: f for k, f in total.items() if f})
    return len(todo)


def drain_local() -> int:
    """Locally: hand every new record of the embedded engine's stream to the handler (the
    counters, then students' seats, as the stream's function does)."""
    from . import imports, runs, seats

    def handle(batch: list[dict]) -> None:
        apply_stream_records(batch)
        seats.apply_stream_records(batch)
        runs.apply_stream_records(batch)
        imports.apply_stream_records(batch)

    return stream.drain(handle)
