"""Repository of seats: each session a student is in, as a pointer in their own GSI1
collection beside their marks (services/seats.py keeps them from the stream).

Access patterns (docs/architecture.md): 55-57.
"""

from ..domain import records
from . import models as m
from .failures import translate
from .unit_of_work import UnitOfWork


def put(uow: UnitOfWork, seat: records.Seat) -> None:
    uow.overwrite(seat)


def remove(uow: UnitOfWork, seat: records.Seat) -> None:
    uow.remove(seat)


@translate
def of_student(cid: str, schedule_id: str, student_id: str) -> list[records.Seat]:
    """A student's seats in one schedule (a consistent Query of the schedule partition)."""
    return [
        s.record()
        for s in m.Seat.query(
            m.schedule_partition(cid, schedule_id),
            m.Seat.SK.startswith(m.Seat.prefix(student_id)),
            consistent_read=True,
        )
    ]


@translate
def collection(
    cid: str,
    student_id: str,
    low: str,
    high: str,
    descending: bool,
    sessions: int,
    after: tuple[str, str] | None = None,
) -> tuple[list[records.Seat | records.Mark], bool]:
    """The student's seats and marks of up to `sessions` sessions starting in [low, high], in
    session order (GSI1: a mark, then its seat), beyond `after` (starts_at, session id) when
    given; and whether more follow. One Query (more pages only past 1 MB)."""
    condition = m.Item.GSI1SK.between(m.Mark.person_key(low), m.Mark.person_key(high) + "~")
    found: list[records.Seat | records.Mark] = []
    seen: set[str] = set()
    for item in m.Item.by_person.query(
        m.person_partition(cid, student_id), condition, scan_index_forward=not descending, page_size=2 * sessions + 2
    ):
        if not isinstance(item, (m.Seat, m.Mark)):
            continue
        record = item.record()
        place = (record.starts_at, record.session_id)
        if after is not None and (place <= after if not descending else place >= after):
            continue
        if record.session_id not in seen:
            if len(seen) == sessions:
                return found, True
            seen.add(record.session_id)
        found.append(record)
    return found, False
