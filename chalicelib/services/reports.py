"""Reports by student, teacher, schedule and for the whole program, over a date range.

Each report reads the daily counters of one dimension for the range (one query), the
entities' names (one query), and, for students close to the at-risk rules, their few
latest marks. Its cost follows the entities and the range, not the history.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from ..domain import reports as rules
from ..domain import stats as stats_domain
from ..errors import InvalidInput
from ..store import people as people_store
from ..store import runs as runs_store
from ..store import schedules as schedules_store
from ..store import sessions as session_store
from ..store import stats as stats_store
from . import runs
from .company import settings_of as company_settings
from .context import Actor
from .sessions import local_today

MAX_DAYS = 366


@dataclass
class Report:
    first: str
    last: str
    as_of: str
    rows: list[dict] = field(default_factory=list)
    counted_through: str | None = None  # the newest change the counters include


def settings_of(company) -> rules.Settings:
    values = {name: getattr(company, name, None) for name in rules.Settings.__dataclass_fields__}
    return rules.Settings(**{k: int(v) for k, v in values.items() if v is not None})


def _range(tz: str, first: date | None, last: date | None, today: date | None) -> tuple[date, date, date]:
    today = today or local_today(tz)
    last = last or today
    first = first or last - timedelta(days=rules.WINDOW_DAYS - 1)
    if last < first:
        raise InvalidInput("`to` must not be before `from`", [{"field": "to", "message": "before from"}])
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_DAYS} days", [{"field": "to", "message": "range too long"}])
    return first, last, min(last, today)


def _counters(cid: str, dimension: str, first: str, last: str) -> list[dict]:
    return [
        {"entity": s.entity, "day": s.day, **{f: int(getattr(s, f) or 0) for f in stats_domain.FIELDS}}
        for s in stats_store.read(cid, dimension, first, last)
    ]


def _freshness(actor: Actor) -> str | None:
    fresh = stats_store.counted_through(actor.company_id)
    return fresh.counted_through if fresh else None


WHOLE_PAGE = 10_000  # a report reads a list whole: one Query up to DynamoDB's 1 MB page (some 3,000 people)


def _all(page_fn, cid: str) -> list:
    items, cursor = [], None
    while True:
        page = page_fn(cid, WHOLE_PAGE, cursor)
        items += page.items
        cursor = page.next
        if not cursor:
            return items


def _latest_marks(cid: str, student_id: str, before: str, limit: int) -> list[tuple[str, str | None]]:
    return [(m.status, m.cancelled_by) for m in session_store.latest_marks(cid, student_id, before, limit)]


def students(actor: Actor, first: date | None, last: date | None, today: date | None = None) -> Report:
    company = company_settings(actor)
    settings = settings_of(company)
    start, end, as_of = _range(company.timezone, first, last, today)
    (last_from, last_to), (prev_from, prev_to) = rules.windows(end)
    earliest = min(start.isoformat(), prev_from)
    rows = _counters(actor.company_id, stats_domain.STUDENT, earliest, end.isoformat())
    in_range = rules.tally(rows, start.isoformat(), end.isoformat(), as_of.isoformat())
    recent = rules.tally(rows, last_from, last_to, as_of.isoformat())
    before = rules.tally(rows, prev_from, prev_to, as_of.isoformat())
    horizon = f"{as_of.isoformat()}T23:59:59.999Z"  # the latest marks as of the report's day
    kept = runs_store.of_company(actor.company_id)  # every student's run: one query (services/runs.py)
    out = []
    for student in _all(people_store.list_students, actor.company_id):
        sid = student.student_id
        t = in_range.get(sid, rules.Tally())
        streak = 0
        if recent.get(sid) is not None and recent[sid].rated >= settings.min_marks:
            considered = settings.no_show_streak + 8
            known = runs.streak_from(kept.get(sid), horizon, considered)
            if known is None:  # the kept run cannot tell (a report far back, a stream behind): read the marks
                known = rules.no_show_streak(_latest_marks(actor.company_id, sid, horizon, considered))
            streak = known
        risk = rules.at_risk(recent.get(sid), before.get(sid), streak, settings)
        out.append(
            {
                "student_id": sid,
                "student_name": student.name,
                "marked": t.marks,
                "attended": t.attended,
                "cancelled_by_student": t.cancelled_student,
                "cancelled_by_school": t.cancelled_school,
                "no_show": t.no_show,
                "attendance_rate": rules.ratio(t.attended, t.rated),
                "marks_last_28_days": risk.marks_last_28,
                "rate_last_28_days": risk.rate_last_28,
                "rate_previous_28_days": risk.rate_previous_28,
                "no_show_streak": streak,
                "at_risk": bool(risk.reasons),
                "reasons": risk.reasons,
            }
        )
    out.sort(key=lambda r: (not r["at_risk"], r["student_name"]))
    return Report(start.isoformat(), end.isoformat(), as_of.isoformat(), out, _freshness(actor))


def teachers(actor: Actor, first: date | None, last: date | None, today: date | None = None) -> Report:
    company = company_settings(actor)
    settings = settings_of(company)
    start, end, as_of = _range(company.timezone, first, last, today)
    rows = _counters(actor.company_id, stats_domain.TEACHER, start.isoformat(), end.isoformat())
    tallies = rules.tally(rows, start.isoformat(), end.isoformat(), as_of.isoformat())
    staff = {m.staff_id: m for m in _all(people_store.list_staff, actor.company_id)}
    ids = [sid for sid, m in staff.items() if m.role == "teacher"] + [
        t for t in tallies if staff.get(t) is None or staff[t].role != "teacher"
    ]
    out = []
    for tid in dict.fromkeys(ids):
        t = tallies.get(tid, rules.Tally())
        rate, flagged = rules.teacher_flag(t, settings)
        out.append(
            {
                "teacher_id": tid,
                "teacher_name": staff[tid].name if tid in staff else None,
                "sessions_scheduled": t.sessions,
                "sessions_held": t.held,
                "cancelled_by_school": t.cancelled,
                "student_cancellations": t.cancelled_student,
                "no_shows": t.no_show,
                "marks": t.marks,
                "cancellation_rate": rate,
                "student_cancellation_share": rules.ratio(t.cancelled_student, t.marks),
                "no_show_share": rules.ratio(t.no_show, t.marks),
                "flagged": flagged,
            }
        )
    out.sort(key=lambda r: (not r["flagged"], r["teacher_name"] or ""))
    return Report(start.isoformat(), end.isoformat(), as_of.isoformat(), out, _freshness(actor))


def schedules(actor: Actor, first: date | None, last: date | None, today: date | None = None) -> Report:
    company = company_settings(actor)
    start, end, as_of = _range(company.timezone, first, last, today)
    rows = _counters(actor.company_id, stats_domain.SCHEDULE, start.isoformat(), end.isoformat())
    tallies = rules.tally(rows, start.isoformat(), end.isoformat(), as_of.isoformat())
    out = []
    for schedule in _all(schedules_store.list_schedules, actor.company_id):
        t = tallies.get(schedule.schedule_id, rules.Tally())
        group = schedule.kind == "group"
        out.append(
            {
                "schedule_id": schedule.schedule_id,
                "schedule_name": schedule.name,
                "kind": schedule.kind,
                "sessions_scheduled": t.sessions,
                "sessions_held": t.held,
                "cancelled_by_school": t.cancelled,
                "seats_offered": t.seats_offered if group else None,
                "seats_used": t.attended if group else None,
                "seat_utilization": rules.ratio(t.attended, t.seats_offered) if group else None,
                "held_ratio": rules.ratio(t.held, t.sessions),
                "attended": t.attended,
                "no_show": t.no_show,
                "sessions_used": t.charged,
                "sessions_sold": t.sold,
                "used_to_sold": rules.ratio(t.charged, t.sold),
                "sessions_forfeited": t.forfeited,
                "used_or_forfeited_to_sold": rules.ratio(t.charged + t.forfeited, t.sold),
            }
        )
    out.sort(key=lambda r: r["schedule_name"])
    return Report(start.isoformat(), end.isoformat(), as_of.isoformat(), out, _freshness(actor))


def overview(actor: Actor, first: date | None, last: date | None, today: date | None = None) -> Report:
    """The whole program: the schedules report, added up, with group and 1:1 apart."""
    by_schedule = schedules(actor, first, last, today)
    groups = [r for r in by_schedule.rows if r["kind"] == "group"]
    ones = [r for r in by_schedule.rows if r["kind"] == "one_to_one"]

    def total(rows, name):
        return sum(r[name] or 0 for r in rows)

    rows = by_schedule.rows
    summary = {
        "schedules": len(rows),
        "sessions_scheduled": total(rows, "sessions_scheduled"),
        "sessions_held": total(rows, "sessions_held"),
        "cancelled_by_school": total(rows, "cancelled_by_school"),
        "attended": total(rows, "attended"),
        "no_show": total(rows, "no_show"),
        "group_seats_offered": total(groups, "seats_offered"),
        "group_seats_used": total(groups, "seats_used"),
        "group_seat_utilization": rules.ratio(total(groups, "seats_used"), total(groups, "seats_offered")),
        "one_to_one_scheduled": total(ones, "sessions_scheduled"),
        "one_to_one_held": total(ones, "sessions_held"),
        "one_to_one_held_ratio": rules.ratio(total(ones, "sessions_held"), total(ones, "sessions_scheduled")),
        "sessions_used": total(rows, "sessions_used"),
        "sessions_sold": total(rows, "sessions_sold"),
        "used_to_sold": rules.ratio(total(rows, "sessions_used"), total(rows, "sessions_sold")),
        "sessions_forfeited": total(rows, "sessions_forfeited"),
        "used_or_forfeited_to_sold": rules.ratio(
            total(rows, "sessions_used") + total(rows, "sessions_forfeited"), total(rows, "sessions_sold")
        ),
    }
    return Report(by_schedule.first, by_schedule.last, by_schedule.as_of, [summary], by_schedule.counted_through)
