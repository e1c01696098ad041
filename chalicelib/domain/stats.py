"""What each session, mark and sale adds to the report counters.

Reports read daily counters per entity (student, teacher, schedule, and the whole
company), never the marks themselves. Every write that creates, moves, cancels or
deletes a session, or sets, changes or clears a mark, applies the difference between
what the thing counted before and what it counts after, in the same transaction.
A day is the session's local date in its schedule's time zone.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

STUDENT, TEACHER, SCHEDULE, COMPANY = "student", "teacher", "schedule", "company"
WHOLE = "-"  # the company dimension has one entity

SESSION_FIELDS = ("sessions", "cancelled", "seats")
MARK_FIELDS = ("attended", "no_show", "cancelled_student", "cancelled_school", "charged")
SALE_FIELDS = ("sold", "forfeited")
FIELDS = SESSION_FIELDS + MARK_FIELDS + SALE_FIELDS

Key = tuple[str, str, str]  # (dimension, entity, day)
Counts = dict[Key, dict[str, int]]


def local_day(instant: str, tz: str) -> str:
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


@dataclass(frozen=True)
class SessionFacts:
    day: str
    teacher_id: str
    schedule_id: str
    cancelled: bool
    seats: int  # group capacity; 0 for 1:1


@dataclass(frozen=True)
class MarkFacts:
    day: str
    teacher_id: str
    schedule_id: str
    student_id: str
    status: str
    cancelled_by: str | None
    charged: bool


def session_counts(facts: SessionFacts | None) -> Counts:
    if facts is None:
        return {}
    fields = {"sessions": 1, "cancelled": int(facts.cancelled), "seats": 0 if facts.cancelled else facts.seats}
    return {
        (TEACHER, facts.teacher_id, facts.day): dict(fields),
        (SCHEDULE, facts.schedule_id, facts.day): dict(fields),
        (COMPANY, WHOLE, facts.day): dict(fields),
    }


def mark_counts(facts: MarkFacts | None) -> Counts:
    if facts is None:
        return {}
    fields = {"charged": int(facts.charged)}
    if facts.status == "attended":
        fields["attended"] = 1
    elif facts.status == "no_show":
        fields["no_show"] = 1
    elif facts.cancelled_by == "school":
        fields["cancelled_school"] = 1
    else:
        fields["cancelled_student"] = 1
    return {
        (STUDENT, facts.student_id, facts.day): dict(fields),
        (TEACHER, facts.teacher_id, facts.day): dict(fields),
        (SCHEDULE, facts.schedule_id, facts.day): dict(fields),
        (COMPANY, WHOLE, facts.day): dict(fields),
    }


def sale_counts(schedule_id: str, day: str, sessions: int, field: str = "sold") -> Counts:
    """Sessions sold (a positive opening or top-up) or forfeited (a lot's `expiry` entry) on a day."""
    fields = {field: sessions}
    return {(SCHEDULE, schedule_id, day): dict(fields), (COMPANY, WHOLE, day): dict(fields)}


def difference(before: Counts, after: Counts) -> Counts:
    """after - before, per counter, without zeros."""
    out: Counts = {}
    for key in set(before) | set(after):
        fields = {}
        for name in set(before.get(key, {})) | set(after.get(key, {})):
            change = after.get(key, {}).get(name, 0) - before.get(key, {}).get(name, 0)
            if change:
                fields[name] = change
        if fields:
            out[key] = fields
    return out


def merge(*parts: Counts) -> Counts:
    out: Counts = {}
    for part in parts:
        for key, fields in part.items():
            target = out.setdefault(key, {})
            for name, value in fields.items():
                target[name] = target.get(name, 0) + value
    return {k: {n: v for n, v in f.items() if v} for k, f in out.items() if any(f.values())}
