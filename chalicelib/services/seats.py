"""Each student's sessions in their own collection (seats), kept from the table's stream.

A seat says "this session is this student's": one per student of a session open to the
roster (its active enrollments when the session is made or moved), one for the student of
a booked session. With the student's marks beside them in GSI1, a student's sessions across
all their schedules are one query (the portal, the student board).

Kept from the stream, never in a request's transaction: a class of 300 or a move of a
session stays the request's bounded transaction, and a seat is written at least once (a
batch that fails is handed on again; every write here is idempotent: a put of what the
seat must be, or a delete). Changes of one schedule's sessions and enrollments share a
partition key, so they reach the handler in the order they were made: an enrollment that
ends after a session was made removes the seat that session gave it, and a session made
after an enrollment ended does not give it one.

- A session made, moved or given to another student: seats for whom it is for, at its time.
- A session removed: its seats go.
- An enrollment that becomes active: seats in the schedule's open sessions from now on.
- An enrollment that ends: its seats from now on go (past ones stay: history).
"""

from typing import Any

from .. import clock
from ..domain import records
from ..store import enrollments as enrollment_store
from ..store import reads, stream
from ..store import seats as store
from ..store import sessions as session_store
from ..store import unit_of_work as uow_
from ..store.unit_of_work import UnitOfWork

ACTIVE = "active"
STEP = 99  # writes per transaction
AHEAD = "9999-12-31T23:59:59.999Z"
MAX_OPEN_SESSIONS = 1000  # a new enrollment's seats: the schedule's coming sessions (its horizon is 8 weeks)


def _changed(change: stream.Change) -> records.Session | records.Enrollment:
    """The session or enrollment a change is about: as it is after (as it was, for a deletion)."""
    item = change.after or change.before
    assert item is not None  # `stream.seat_changes_of` keeps no change without either
    return item


def apply_stream_records(stream_records: list[dict]) -> dict[str, int]:
    """Bring the seats in line with a batch of session and enrollment changes."""
    changes = stream.seat_changes_of(stream_records)
    if not changes:
        return {"seats_written": 0, "seats_removed": 0}
    wanted: dict[tuple, tuple[str, records.Seat]] = {}  # the seat's ids -> what it must become, last change wins
    now = clock.now_iso()
    coming = _Coming()
    for change in changes:
        record = _changed(change)
        if not record.company_id:  # an item of the earlier layout: the upgrade's fill gives it its seats
            continue
        if isinstance(record, records.Session):
            coming.forget(record.company_id, record.schedule_id)
        ops = uow_.reading(lambda: _ops_of(change, now, coming), company_id=record.company_id)
        for op, seat in ops:
            wanted[(seat.company_id, seat.schedule_id, seat.student_id, seat.session_key)] = (op, seat)
    ops = list(wanted.values())
    for start in range(0, len(ops), STEP):
        chunk = ops[start : start + STEP]
        uow_.run(lambda uow: _stage(uow, chunk), company_id=None)
    return {
        "seats_written": sum(1 for op, _ in ops if op == "put"),
        "seats_removed": sum(1 for op, _ in ops if op == "remove"),
    }


def _stage(uow: UnitOfWork, chunk: list[tuple[str, records.Seat]]) -> None:
    for op, seat in chunk:
        (store.put if op == "put" else store.remove)(uow, seat)


class _Coming:
    """A batch's reads of schedules' coming open sessions: many enrollments of one schedule
    in a batch (a class enrolled at once, an import) share one query, filtered for each from
    its own start."""

    def __init__(self) -> None:
        self._read: dict[tuple[str, str], tuple[str, list[records.Session]]] = {}

    def sessions(self, cid: str, schedule_id: str, since: str) -> list[records.Session]:
        low, found = self._read.get((cid, schedule_id), ("", []))
        if not low or since < low or len(found) >= MAX_OPEN_SESSIONS:
            found = session_store.open_sessions(cid, schedule_id, since, AHEAD, MAX_OPEN_SESSIONS, descending=False)
            self._read[(cid, schedule_id)] = (since, found)
            return found
        return [s for s in found if s.starts_at >= since]

    def forget(self, cid: str, schedule_id: str) -> None:
        """A session of the schedule changed: the next enrollment reads afresh."""
        self._read.pop((cid, schedule_id), None)


def _ops_of(change: stream.Change, now: str, coming: "_Coming | None" = None) -> list[tuple[str, Any]]:
    """What the seats must be after this change, from the item as it is now (not as the
    record says it was): a record handed on again, late or twice, leads to the same seats."""
    before, after = change.before, change.after
    item = _changed(change)
    if isinstance(item, records.Session):
        if (
            before is not None
            and after is not None
            and (before.starts_at, before.student_id) == (after.starts_at, after.student_id)
        ):
            return []  # a status, teacher or note changed: seats point at the session, they need nothing
        current = reads.get(reads.session(item.company_id, item.schedule_id, item.session_key))
        return _session_ops(item, current, former=before)
    if before is not None and after is not None and before.status == after.status:
        return []  # a balance or a threshold moved: the enrollment's seats stay
    current = reads.get(reads.enrollment(item.company_id, item.schedule_id, item.student_id))
    return _enrollment_ops(item, current, now, coming or _Coming())


def _seat(session: records.Session, student_id: str, schedule_name: str) -> records.Seat:
    return records.Seat(
        company_id=session.company_id,
        schedule_id=session.schedule_id,
        session_key=session.session_key,
        student_id=student_id,
        starts_at=session.starts_at,
        schedule_name=schedule_name,
    )


def _for_whom(session: records.Session) -> tuple[list[str], str]:
    """Whom the session is for, and its schedule's name: its booked student, or the active
    enrollments (of a session that has started: those that had begun by its start)."""
    header, roster = enrollment_store.active_roster(session.company_id, session.schedule_id)
    name = header.name if header else next((e.schedule_name for e in roster), "")
    if session.student_id:
        return [session.student_id], name
    started = session.starts_at < clock.now_iso()
    return [e.student_id for e in roster if not started or e.created_at <= session.starts_at], name


def _session_ops(
    item: records.Session, current: records.Session | None, former: records.Session | None
) -> list[tuple[str, Any]]:
    """A session that is gone loses its seats; one that exists has a seat for each student
    it is for now, at its time now (and none for a student it was booked for before)."""
    if current is None:
        students, name = _for_whom(item)
        whom = set(students) | ({item.student_id} if item.student_id else set())
        return [("remove", _seat(item, sid, name)) for sid in sorted(whom)]
    students, name = _for_whom(current)
    ops = [("put", _seat(current, sid, name)) for sid in students]
    if former is not None and former.student_id and former.student_id not in students:
        ops.append(("remove", _seat(current, former.student_id, name)))
    return ops


def _enrollment_ops(
    item: records.Enrollment, current: records.Enrollment | None, now: str, coming: _Coming
) -> list[tuple[str, Any]]:
    """An active enrollment has a seat in each coming open session of its schedule; one that
    ended (or is gone) has none from now on (its past seats stay, and so do booked ones)."""
    # From when it changed (the stream may be behind), not from when the change is handled.
    since = min(now, current.updated_at) if current is not None and current.updated_at else now
    if current is not None and current.status == ACTIVE:
        ahead = coming.sessions(current.company_id, current.schedule_id, since)
        return [("put", _seat(s, current.student_id, current.schedule_name)) for s in ahead]
    return [
        ("remove", seat)
        for seat in store.of_student(item.company_id, item.schedule_id, item.student_id)
        if seat.starts_at >= since and not _booked_for(seat)
    ]


def _booked_for(seat: records.Seat) -> bool:
    """A booked session stays its student's whatever their enrollment does."""
    session = reads.get(reads.session(seat.company_id, seat.schedule_id, seat.session_key))
    return session is not None and session.student_id == seat.student_id
