"""Repository of sessions and their recurring plans (the schedule partition), and the
reads that show sessions with their marks (boards, rosters, the portal).

Access patterns (docs/architecture.md): 18-27, 45.
"""

from ..domain import records
from . import models as m
from . import reads
from .failures import translate
from .pages import Page, encode_cursor, query_page
from .unit_of_work import UnitOfWork


def get_session(cid: str, schedule_id: str, session_key: str) -> records.Session | None:
    return reads.get(reads.session(cid, schedule_id, session_key))


def add_session(uow: UnitOfWork, session: records.Session, refusal=None) -> records.Session:
    """Stage a new session (put only if absent)."""
    return uow.create(session, refusal=refusal)


def save_session(uow: UnitOfWork, session: records.Session) -> records.Session:
    """Stage a changed session, over the version read."""
    return uow.save(session)


def remove_session(uow: UnitOfWork, session: records.Session) -> None:
    uow.remove(session)


@translate
def session_with_marks(
    cid: str, schedule_id: str, session_key: str
) -> tuple[records.Session | None, list[records.Mark]]:
    """The session and every mark of it: one query of the session's item collection."""
    pk, sk = m.Session.key(cid, schedule_id, session_key)
    items = list(m.Item.query(pk, m.Item.SK.startswith(sk), consistent_read=True))
    session = next((i.record() for i in items if isinstance(i, m.Session)), None)
    return session, [i.record() for i in items if isinstance(i, m.Mark)]


@translate
def existing_session_keys(cid: str, schedule_id: str, session_keys: list[str]) -> set[str]:
    """Which of these sessions exist already: making a recurrence's sessions again skips them."""
    found = reads.load(reads.session(cid, schedule_id, k) for k in session_keys)
    return {s.session_key for s in found.values()}


def list_schedule_sessions(
    cid: str, schedule_id: str, start: str, end: str, limit: int, cursor: str | None
) -> Page[records.Session]:
    """Sessions of a schedule in [start, end] from GSI3, where the schedule's partition holds
    only its sessions (no mark is read)."""
    return query_page(
        m.Session.sessions_in_time,
        m.schedule_partition(cid, schedule_id),
        m.Session.GSI3SK.between(m.Session.timeline_key(start), m.Session.timeline_key(end)),
        hash_attr="GSI3PK",
        limit=limit,
        cursor=cursor,
    )


@translate
def timeline(
    cid: str, schedule_id: str, start: str, end: str, page_sessions: int, roster_size: int, cursor_key: dict | None
) -> tuple[list[records.Session], list[records.Mark], str | None]:
    """A page of the schedule's timeline: up to `page_sessions` sessions with all their marks.

    One Query: sessions and marks share the LSI1 sort order (a session, then its marks), and
    the limit leaves room for a mark of every active student on every session of the page.
    When marks of students no longer enrolled fill it first, the page ends after its last
    whole session; only a single session with more marks than the whole page reads on.
    """
    pk = m.schedule_partition(cid, schedule_id)
    limit = page_sessions * (roster_size + 1) + 1
    condition = m.Item.LSI1SK.between(m.Session.timeline_key(start), m.Session.timeline_key(end))
    read: list = []
    starts: list[int] = []  # where each session is in `read`
    key = cursor_key
    while True:
        results = m.Item.timeline.query(pk, condition, limit=limit, page_size=limit, last_evaluated_key=key)
        for item in results:
            if isinstance(item, m.Session):
                if len(starts) == page_sessions:
                    return _page(read, encode_cursor(_lsi_key(read[-1])))
                starts.append(len(read))
                read.append(item)
            elif isinstance(item, m.Mark):
                read.append(item)
        key = results.last_evaluated_key
        if key is None or not read:
            return _page(read, None)
        if len(starts) > 1:  # the last session may have marks still unread: it opens the next page
            return _page(read[: starts[-1]], encode_cursor(_lsi_key(read[starts[-1] - 1])))
        # one session, its marks not all read yet: read on (the next session ends it)


def _page(read: list, cursor: str | None) -> tuple[list[records.Session], list[records.Mark], str | None]:
    return (
        [i.record() for i in read if isinstance(i, m.Session)],
        [i.record() for i in read if isinstance(i, m.Mark)],
        cursor,
    )


def _lsi_key(item) -> dict:
    return {"PK": {"S": item.PK}, "SK": {"S": item.SK}, "LSI1SK": {"S": item.LSI1SK}}


def timeline_partition(cid: str, schedule_id: str) -> str:
    """What a board cursor must name (its partition), so one for another schedule is refused."""
    return m.schedule_partition(cid, schedule_id)


@translate
def open_sessions(
    cid: str, schedule_id: str, low: str, high: str, limit: int, descending: bool
) -> list[records.Session]:
    """Sessions open to a schedule's whole roster starting in [low, high], from LSI2
    (strongly consistent: a local index can be)."""
    return [
        s.record()
        for s in m.Item.open_sessions.query(
            m.schedule_partition(cid, schedule_id),
            m.Item.LSI2SK.between(low, high),
            limit=limit,
            page_size=limit,
            scan_index_forward=not descending,
            consistent_read=True,
        )
    ]


@translate
def latest_marks(cid: str, student_id: str, before: str, limit: int) -> list[records.Mark]:
    """The student's latest marks up to an instant, newest first (the at-risk no-show run)."""
    marks = []
    for item in m.Item.by_person.query(
        m.person_partition(cid, student_id),
        m.Item.GSI1SK.between(m.Mark.person_key(), m.Mark.person_key(before)),
        scan_index_forward=False,
        page_size=2 * limit,
    ):
        if isinstance(item, m.Mark):  # the student's seats sort among their marks
            marks.append(item.record())
            if len(marks) == limit:
                break
    return marks


def held_marks(cid: str, limit: int, cursor: str | None) -> Page[records.Mark]:
    return query_page(m.Mark.attention, m.Mark.held_partition(cid), hash_attr="GSI4PK", limit=limit, cursor=cursor)


def teacher_sessions(
    cid: str, teacher_id: str, start: str, end: str, limit: int, cursor: str | None
) -> Page[records.Session]:
    return query_page(
        m.Session.by_teacher,
        m.teacher_partition(cid, teacher_id),
        m.Session.GSI2SK.between(m.Session.starts_key(start), m.Session.starts_key(end)),
        hash_attr="GSI2PK",
        limit=limit,
        cursor=cursor,
    )


@translate
def future_sessions(cid: str, schedule_id: str, start: str) -> tuple[list[records.Session], set[str]]:
    """A schedule's sessions from an instant on, and the keys of those that have marks
    (one timeline query; a recurrence change re-plans only the unmarked ones)."""
    sessions, marked = [], set()
    for item in m.Item.timeline.query(
        m.schedule_partition(cid, schedule_id), m.Item.LSI1SK >= m.Session.timeline_key(start)
    ):
        if isinstance(item, m.Session):
            sessions.append(item.record())
        elif isinstance(item, m.Mark):
            marked.add(item.session_key)
    return sessions, marked


@translate
def sessions_with_pending_marks(limit: int = 100) -> list[records.Session]:
    """Sessions (of every company) whose move or substitution has not reached all marks."""
    return [s.record() for s in m.Session.attention.query(m.MARKS_PENDING_PK, limit=limit)]


def save_plan(uow: UnitOfWork, cid: str, schedule_id: str, horizon_until: str | None) -> None:
    """Stage how far ahead a recurring schedule's sessions exist (None: nothing left to make)."""
    plan = records.RecurringPlan(company_id=cid, schedule_id=schedule_id, horizon_until=horizon_until or "")
    if horizon_until is None:
        uow.remove(plan)
    else:
        uow.overwrite(plan)


@translate
def plans_due(horizon_target: str, limit: int = 100) -> list[records.RecurringPlan]:
    """Recurring schedules (of every company) whose sessions stop short of `horizon_target`."""
    return [
        p.record()
        for p in m.RecurringPlan.attention.query(m.RECURRING_PK, m.RecurringPlan.GSI4SK < horizon_target, limit=limit)
    ]
