"""Each student's latest no-show run, kept from the table's stream where the students
report reads it (one query for the whole company, however many students).

The run is the student's latest marks, newest first, down to the first mark at or before
the time it was worked out that is neither a no-show nor a school cancellation (the mark
that ended the run), at most `CAP` of them, as (session start, code) pairs: `n` a no-show,
`s` a school cancellation (skipped by the rule), `e` the mark that ended it. Marks of
sessions still to come (a cancellation made ahead) stay in it, so a report as of today
sees them. Like the seats, it is worked out from the marks as they are now whenever one of
the student's marks changes: a record handed on again or late writes the same run.

The report counts the run as `domain/reports.no_show_streak` counts the latest marks,
among the entries up to its `as of` instant; when those do not reach the mark that ended
the run (a report far back in time, or a run longer than `CAP`), it reads that student's
latest marks itself, as before.
"""

from .. import clock
from ..domain import records
from ..store import runs as store
from ..store import sessions as session_store
from ..store import stream
from ..store import unit_of_work as uow_
from ..store.unit_of_work import UnitOfWork

CAP = 40
STEP = 99
NO_SHOW, SCHOOL, ENDED = "n", "s", "e"
LATEST = "9999-12-31T23:59:59.999Z"


def code_of(status: str, cancelled_by: str | None) -> str:
    if status == "no_show":
        return NO_SHOW
    if status == "cancelled" and cancelled_by == "school":
        return SCHOOL
    return ENDED


def run_of(latest_first: list[records.Mark], now: str, cid: str, student_id: str) -> records.NoShowRun:
    """The run from the student's latest marks (newest first, at most CAP of them).
    `complete`: the entries are every mark the student has."""
    entries: list[tuple[str, str]] = []
    for mark in latest_first:
        code = code_of(mark.status, mark.cancelled_by)
        entries.append((mark.starts_at, code))
        if code == ENDED and mark.starts_at <= now:
            break
    complete = len(entries) == len(latest_first) < CAP
    return records.NoShowRun(company_id=cid, student_id=student_id, entries=tuple(entries), complete=complete)


def apply_stream_records(stream_records: list[dict]) -> dict[str, int]:
    """Work the run out again for every student a mark of the batch belongs to."""
    latest: dict[tuple[str, str], dict[tuple[str, str], records.Mark | None]] = {}
    for change in stream.changes_of(stream_records):
        for mark in (change.before, change.after):
            if isinstance(mark, records.Mark) and mark.company_id:  # (an earlier layout's: the upgrade's fill)
                latest.setdefault((mark.company_id, mark.student_id), {})[(mark.schedule_id, mark.session_key)] = (
                    change.after
                )
    if not latest:
        return {"runs_written": 0}
    now = clock.now_iso()
    runs = [
        uow_.reading(
            lambda: run_of(_merged(session_store.latest_marks(cid, sid, LATEST, CAP), batch), now, cid, sid),
            company_id=cid,
        )
        for (cid, sid), batch in sorted(latest.items())
    ]
    for start in range(0, len(runs), STEP):
        chunk = runs[start : start + STEP]
        uow_.run(lambda uow: _stage(uow, chunk), company_id=None)
    return {"runs_written": len(runs)}


def _merged(read: list[records.Mark], batch: dict[tuple[str, str], records.Mark | None]) -> list[records.Mark]:
    """The marks read (GSI1 is eventually consistent: it may not show the batch's own changes
    yet) with each of the batch's marks as the stream says it is now, newest first."""
    marks = {(m.schedule_id, m.session_key): m for m in read}
    for key, after in batch.items():
        if after is None:
            marks.pop(key, None)
        else:
            marks[key] = after
    return sorted(marks.values(), key=lambda m: (m.starts_at, m.session_id), reverse=True)[:CAP]


def _stage(uow: UnitOfWork, chunk: list[records.NoShowRun]) -> None:
    for run in chunk:
        store.put(uow, run)


def streak_from(run: records.NoShowRun | None, horizon: str, considered: int) -> int | None:
    """The no-show streak as of `horizon` among the latest `considered` marks, from the kept
    run; None when the run cannot tell (the caller reads the marks)."""
    if run is None:
        return None
    entries = [(at, code) for at, code in run.entries if at <= horizon]  # the latest marks up to then
    if not (run.complete or len(entries) >= considered or any(code == ENDED for _, code in entries)):
        return None
    streak = 0
    for _, code in entries[:considered]:
        if code == SCHOOL:
            continue
        if code != NO_SHOW:
            break
        streak += 1
    return streak
