"""Turning sessions and marks into the report counters' facts, and adding the change a
write makes to its transaction (`chalicelib/domain/stats.py` says what counts)."""
from ..domain import stats
from ..store import stats as store
from ..store.models import Mark, Session
from ..store.tx import Transaction


def session_facts(session: Session | None) -> stats.SessionFacts | None:
    if session is None:
        return None
    return stats.SessionFacts(day=stats.local_day(session.starts_at, session.timezone or "UTC"),
                              teacher_id=session.teacher_id, schedule_id=session.schedule_id,
                              cancelled=session.status == "cancelled", seats=int(session.seats or 0))


def mark_facts(mark: Mark | None, timezone: str) -> stats.MarkFacts | None:
    if mark is None:
        return None
    return stats.MarkFacts(day=stats.local_day(mark.starts_at, timezone or "UTC"), teacher_id=mark.teacher_id,
                           schedule_id=mark.schedule_id, student_id=mark.student_id, status=mark.status,
                           cancelled_by=mark.cancelled_by, charged=bool(mark.charged))


def session_change(before: Session | None, after: Session | None) -> stats.Counts:
    return stats.difference(stats.session_counts(session_facts(before)), stats.session_counts(session_facts(after)))


def mark_change(before: Mark | None, after: Mark | None, timezone: str) -> stats.Counts:
    return stats.difference(stats.mark_counts(mark_facts(before, timezone)),
                            stats.mark_counts(mark_facts(after, timezone)))


def add(tx: Transaction, cid: str, *changes: stats.Counts) -> None:
    store.add_counts(tx, cid, stats.merge(*changes))
