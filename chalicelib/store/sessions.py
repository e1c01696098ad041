"""Repository of sessions and attendance marks (both in the schedule partition).

Access patterns (docs/architecture.md): 16-27.
"""
from pynamodb.exceptions import DoesNotExist

from .. import ids
from . import keys
from .models import Item, Mark, RecurringPlan, Session
from .pages import Page, encode_cursor, query_page
from .tx import translate


def session_key_of(cid: str, schedule_id: str, session_key: str) -> tuple[str, str]:
    return keys.schedule_pk(cid, schedule_id), keys.session_sk(session_key)


def mark_key_of(cid: str, schedule_id: str, session_key: str, student_id: str) -> tuple[str, str]:
    return keys.schedule_pk(cid, schedule_id), keys.mark_sk(session_key, student_id)


def public_session_id(session: Session | Mark) -> str:
    return ids.session_id(session.schedule_id, session.session_key)


def index_session(cid: str, session: Session) -> None:
    """(Re)build a session's index keys from its time, teacher and student."""
    sid = public_session_id(session)
    session.LSI1SK = keys.timeline_session(session.starts_at, session.session_key)
    session.GSI2PK = keys.teacher_pk(cid, session.teacher_id)
    session.GSI2SK = keys.teacher_session_sk(session.starts_at, sid)
    if session.student_id:
        session.LSI2SK = None
        session.GSI1PK = keys.person_pk(cid, session.student_id)
        session.GSI1SK = keys.person_session_sk(session.starts_at, sid)
    else:
        session.LSI2SK = keys.open_session(session.starts_at, session.session_key)
        session.GSI1PK = session.GSI1SK = None


def new_session(cid: str, schedule_id: str, session_key: str, **fields) -> Session:
    pk, sk = session_key_of(cid, schedule_id, session_key)
    session = Session(pk, sk, schedule_id=schedule_id, session_key=session_key, **fields)
    index_session(cid, session)
    return session


def index_mark(cid: str, mark: Mark) -> None:
    sid = public_session_id(mark)
    mark.LSI1SK = keys.timeline_mark(mark.starts_at, mark.session_key, mark.student_id)
    mark.GSI1PK = keys.person_pk(cid, mark.student_id)
    mark.GSI1SK = keys.person_mark_sk(mark.starts_at, sid)
    if mark.held:
        mark.GSI4PK = keys.held_pk(cid)
        mark.GSI4SK = keys.held_sk(mark.starts_at, sid, mark.student_id)
    else:
        mark.GSI4PK = mark.GSI4SK = None


def new_mark(cid: str, schedule_id: str, session_key: str, student_id: str, **fields) -> Mark:
    pk, sk = mark_key_of(cid, schedule_id, session_key, student_id)
    return Mark(pk, sk, schedule_id=schedule_id, session_key=session_key, student_id=student_id, **fields)


@translate
def get_session(cid: str, schedule_id: str, session_key: str) -> Session | None:
    try:
        return Session.get(*session_key_of(cid, schedule_id, session_key), consistent_read=True)
    except DoesNotExist:
        return None


@translate
def session_with_marks(cid: str, schedule_id: str, session_key: str) -> tuple[Session | None, list[Mark]]:
    """The session and every mark of it: one query of the session's item collection."""
    pk, sk = session_key_of(cid, schedule_id, session_key)
    items = list(Item.query(pk, Item.SK.startswith(sk), consistent_read=True))
    session = next((i for i in items if isinstance(i, Session)), None)
    return session, [i for i in items if isinstance(i, Mark)]


@translate
def existing_session_keys(cid: str, schedule_id: str, session_keys: list[str]) -> set[str]:
    """Which of these sessions exist already (one BatchGetItem per 100): making a
    recurrence's sessions again skips them without a failed write each."""
    found = set()
    for start in range(0, len(session_keys), 100):
        chunk = [session_key_of(cid, schedule_id, k) for k in session_keys[start:start + 100]]
        found |= {item.session_key for item in Session.batch_get(chunk, consistent_read=True,
                                                                 attributes_to_get=["PK", "SK", "session_key", "type"])}
    return found


def list_schedule_sessions(cid: str, schedule_id: str, start: str, end: str, limit: int,
                           cursor: str | None) -> Page[Session]:
    """Sessions of a schedule in [start, end) from the timeline, marks filtered out."""
    return query_page(Session.timeline, keys.schedule_pk(cid, schedule_id),
                      Session.LSI1SK.between(keys.timeline_bound(start), keys.timeline_bound(end)),
                      filter_condition=Item.type == Session, limit=limit, cursor=cursor)


@translate
def timeline(cid: str, schedule_id: str, start: str, end: str, page_sessions: int, roster_size: int,
             cursor_key: dict | None) -> tuple[list[Session], list[Mark], str | None]:
    """A page of the schedule's timeline: up to `page_sessions` sessions with all their marks.

    One Query: sessions and marks share the LSI1 sort order (a session, then its marks), and
    the limit leaves room for every mark of every session on the page.
    """
    pk = keys.schedule_pk(cid, schedule_id)
    limit = page_sessions * (roster_size + 1) + 1
    results = Item.timeline.query(pk, Item.LSI1SK.between(keys.timeline_bound(start), keys.timeline_bound(end)),
                                  limit=limit, page_size=limit, last_evaluated_key=cursor_key)
    sessions, marks, last = [], [], None
    for item in results:
        if isinstance(item, Session):
            if len(sessions) == page_sessions:
                return sessions, marks, encode_cursor(_lsi_key(last))
            sessions.append(item)
        elif isinstance(item, Mark):
            marks.append(item)
        last = item
    more = results.last_evaluated_key is not None and last is not None
    return sessions, marks, encode_cursor(_lsi_key(last)) if more else None


def _lsi_key(item) -> dict:
    return {"PK": {"S": item.PK}, "SK": {"S": item.SK}, "LSI1SK": {"S": item.LSI1SK}}


@translate
def open_sessions(cid: str, schedule_id: str, low: str, high: str, limit: int, descending: bool) -> list[Session]:
    """Sessions open to a schedule's whole roster starting in [low, high], from LSI2."""
    return list(Item.open_sessions.query(keys.schedule_pk(cid, schedule_id), Item.LSI2SK.between(low, high),
                                         limit=limit, page_size=limit, scan_index_forward=not descending))


@translate
def own_sessions(cid: str, student_id: str, low: str, high: str, limit: int, descending: bool) -> list[Session]:
    """Sessions made for one student (booked 1:1s) starting in [low, high], from GSI1."""
    condition = Item.GSI1SK.between(keys.person_session_sk(low), keys.person_session_sk(high))
    return list(Item.by_person.query(keys.person_pk(cid, student_id), condition, limit=limit, page_size=limit,
                                     scan_index_forward=not descending))


@translate
def student_marks(cid: str, student_id: str, start: str, end: str) -> list[Mark]:
    """The student's marks for sessions starting in [start, end], from GSI1."""
    return list(Item.by_person.query(keys.person_pk(cid, student_id),
                                     Item.GSI1SK.between(keys.person_mark_sk(start), keys.person_mark_sk(end) + "~")))


def held_marks(cid: str, limit: int, cursor: str | None) -> Page[Mark]:
    return query_page(Mark.attention, keys.held_pk(cid), hash_attr="GSI4PK", limit=limit, cursor=cursor)


def teacher_sessions(cid: str, teacher_id: str, start: str, end: str, limit: int,
                     cursor: str | None) -> Page[Session]:
    return query_page(Session.by_teacher, keys.teacher_pk(cid, teacher_id),
                      Session.GSI2SK.between(keys.teacher_session_sk(start), keys.teacher_session_sk(end)),
                      hash_attr="GSI2PK", limit=limit, cursor=cursor)


@translate
def future_sessions(cid: str, schedule_id: str, start: str) -> tuple[list[Session], set[str]]:
    """A schedule's sessions from an instant on, and the keys of those that have marks
    (one timeline query; a recurrence change re-plans only the unmarked ones)."""
    sessions, marked = [], set()
    for item in Item.timeline.query(keys.schedule_pk(cid, schedule_id), Item.LSI1SK >= keys.timeline_bound(start)):
        if isinstance(item, Session):
            sessions.append(item)
        elif isinstance(item, Mark):
            marked.add(item.session_key)
    return sessions, marked





@translate
def save_plan(cid: str, schedule_id: str, horizon_until: str | None) -> None:
    """Record how far ahead a recurring schedule's sessions exist (None: nothing left to make)."""
    plan = RecurringPlan(keys.schedule_pk(cid, schedule_id), keys.PLAN_SK, company_id=cid,
                         schedule_id=schedule_id, horizon_until=horizon_until or "")
    if horizon_until is None:
        plan.delete()
        return
    plan.GSI4PK = keys.RECURRING_PK
    plan.GSI4SK = keys.recurring_sk(horizon_until, cid, schedule_id)
    plan.save()


@translate
def plans_due(horizon_target: str, limit: int = 100) -> list[RecurringPlan]:
    """Recurring schedules (of every company) whose sessions stop short of `horizon_target`."""
    return list(RecurringPlan.attention.query(keys.RECURRING_PK, RecurringPlan.GSI4SK < horizon_target,
                                              limit=limit))
