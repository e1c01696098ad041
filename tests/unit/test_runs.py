"""The no-show run kept per student (services/runs.py): worked out from the latest marks,
and counted as the at-risk rule counts the latest marks."""

from chalicelib.domain import records
from chalicelib.domain.reports import no_show_streak
from chalicelib.services.runs import CAP, run_of, streak_from

NOW = "2027-06-15T12:00:00.000Z"


def mark(day: int, status: str, by: str | None = None) -> records.Mark:
    return records.Mark(
        company_id="c",
        schedule_id="s",
        schedule_name="S",
        session_key=f"k{day:03d}",
        student_id="p",
        student_name="P",
        kind="group",
        teacher_id="t",
        starts_at=f"2027-06-{day:02d}T17:00:00.000Z",
        status=status,
        charged=True,
        held=False,
        recorded_by="x",
        recorded_at=NOW,
        cancelled_by=by,
    )


def latest_first(*marks):
    return sorted(marks, key=lambda m: m.starts_at, reverse=True)


def test_the_run_stops_at_the_mark_that_ended_it_and_skips_school_cancellations():
    marks = latest_first(
        mark(14, "no_show"),
        mark(12, "cancelled", "school"),
        mark(10, "no_show"),
        mark(8, "attended"),
        mark(6, "no_show"),
    )
    run = run_of(marks, NOW, "c", "p")
    assert [code for _, code in run.entries] == ["n", "s", "n", "e"] and not run.complete
    assert (
        streak_from(run, "2027-06-15T23:59:59.999Z", 10)
        == 2
        == no_show_streak([(m.status, m.cancelled_by) for m in marks])
    )


def test_a_cancellation_made_ahead_stays_in_the_run_and_a_report_as_of_today_counts_past_it():
    marks = latest_first(
        mark(20, "cancelled", "student"), mark(14, "no_show"), mark(13, "no_show"), mark(11, "attended")
    )
    run = run_of(marks, NOW, "c", "p")
    assert [code for _, code in run.entries] == ["e", "n", "n", "e"]
    assert streak_from(run, "2027-06-15T23:59:59.999Z", 10) == 2  # the 20th is still to come
    assert streak_from(run, "2027-06-30T23:59:59.999Z", 10) == 0  # as of the 30th it ended the run


def test_a_run_that_cannot_tell_says_so_and_the_report_reads_the_marks():
    marks = latest_first(mark(14, "no_show"), mark(10, "attended"), mark(8, "no_show"))
    run = run_of(marks, NOW, "c", "p")
    assert streak_from(run, "2027-06-09T23:59:59.999Z", 10) is None  # before the mark that ended it
    assert streak_from(None, NOW, 10) is None  # not worked out yet
    every = run_of(latest_first(mark(14, "no_show"), mark(12, "no_show")), NOW, "c", "p")
    assert every.complete and streak_from(every, "2027-06-13T23:59:59.999Z", 10) == 1


def test_only_the_latest_marks_the_rule_considers_are_counted():
    marks = latest_first(*(mark(day, "no_show") for day in range(1, 15)))
    run = run_of(marks, NOW, "c", "p")
    assert run.complete and streak_from(run, NOW, 5) == 5  # as the latest 5 marks would say
    capped = run_of(latest_first(*(mark(1 + d % 28, "no_show") for d in range(CAP))), NOW, "c", "p")
    assert not capped.complete and streak_from(capped, NOW, 10) == 10


def test_the_batchs_own_marks_count_even_when_the_index_does_not_show_them_yet():
    from chalicelib.services.runs import _merged

    read = latest_first(mark(10, "attended"), mark(8, "no_show"))  # GSI1 before the new mark reached it
    batch = {("s", "k014"): mark(14, "no_show"), ("s", "k008"): None}  # a new no-show; the 8th's mark cleared
    merged = _merged(read, batch)
    assert [(m.starts_at[8:10], m.status) for m in merged] == [("14", "no_show"), ("10", "attended")]
    assert streak_from(run_of(merged, NOW, "c", "p"), NOW, 10) == 1
