"""The rules behind the low-balance alerts, the report counters and the reports, each on
its own: which threshold applies, when a crossing is announced and re-armed, what a mark or
a session adds to which counters and what a change of it moves, and how rates, risk and
teacher flags follow from the counts (PRODUCT.md, Reporting)."""

from datetime import date

import pytest

from chalicelib.domain import reports as rules
from chalicelib.domain import stats, thresholds
from chalicelib.domain.stats import COMPANY, SCHEDULE, STUDENT, TEACHER, WHOLE


@pytest.mark.parametrize(
    "enrollment,schedule,company,expected",
    [(5, 3, 1, 5), (None, 3, 1, 3), (None, None, 1, 1), (None, None, None, 2), (0, 3, 1, 0), (None, 0, 4, 0)],
)
def test_the_threshold_is_the_enrollments_else_the_schedules_else_the_companys_else_two(
    enrollment, schedule, company, expected
):
    assert thresholds.effective_threshold(enrollment, schedule, company) == expected


@pytest.mark.parametrize(
    "balance,threshold,level",
    [
        (5, 2, thresholds.NONE),
        (3, 2, thresholds.NONE),
        (2, 2, thresholds.LOW),
        (1, 2, thresholds.LOW),
        (0, 2, thresholds.EXHAUSTED),
        (-1, 2, thresholds.EXHAUSTED),
        (0, 0, thresholds.EXHAUSTED),
        (1, 0, thresholds.NONE),
    ],
)
def test_low_is_at_or_below_the_threshold_and_exhausted_at_or_below_zero(balance, threshold, level):
    assert thresholds.level_of(balance, threshold) == level


def test_each_crossing_is_announced_once_and_a_rise_re_arms_what_it_rose_above():
    # 3 -> 2 crosses low: announce; still 2 or 1: nothing new.
    assert thresholds.alert_state(2, 2, thresholds.NONE, True) == thresholds.AlertState(thresholds.NONE, True)
    assert thresholds.alert_state(1, 2, thresholds.LOW, True).needs_alert is False
    # 0 is the second, more urgent crossing.
    assert thresholds.alert_state(0, 2, thresholds.LOW, True) == thresholds.AlertState(thresholds.LOW, True)
    # Topped up to 1: exhausted re-armed, low still announced.
    assert thresholds.alert_state(1, 2, thresholds.EXHAUSTED, True) == thresholds.AlertState(thresholds.LOW, False)
    # Topped up above the threshold: fully re-armed, and a later drop announces again.
    assert thresholds.alert_state(5, 2, thresholds.EXHAUSTED, True) == thresholds.AlertState(thresholds.NONE, False)
    # An ended enrollment is never announced.
    assert thresholds.alert_state(0, 2, thresholds.NONE, False).needs_alert is False


FACTS = dict(day="2026-03-10", teacher_id="T", schedule_id="S", student_id="P", cancelled_by=None)


@pytest.mark.parametrize(
    "status,cancelled_by,charged,fields",
    [
        ("attended", None, True, {"attended": 1, "charged": 1}),
        ("no_show", None, True, {"no_show": 1, "charged": 1}),
        ("no_show", None, False, {"no_show": 1, "charged": 0}),
        ("cancelled", "student", False, {"cancelled_student": 1, "charged": 0}),
        ("cancelled", None, True, {"cancelled_student": 1, "charged": 1}),
        ("cancelled", "school", False, {"cancelled_school": 1, "charged": 0}),
    ],
)
def test_a_mark_counts_once_for_its_student_teacher_schedule_and_the_company(status, cancelled_by, charged, fields):
    counts = stats.mark_counts(
        stats.MarkFacts(**{**FACTS, "cancelled_by": cancelled_by}, status=status, charged=charged)
    )
    day = FACTS["day"]
    assert counts == {
        (STUDENT, "P", day): fields,
        (TEACHER, "T", day): fields,
        (SCHEDULE, "S", day): fields,
        (COMPANY, WHOLE, day): fields,
    }


def test_a_cancelled_session_counts_as_scheduled_and_cancelled_and_offers_no_seats():
    held = stats.session_counts(stats.SessionFacts("2026-03-10", "T", "S", cancelled=False, seats=8))
    cancelled = stats.session_counts(stats.SessionFacts("2026-03-10", "T", "S", cancelled=True, seats=8))
    assert held[(SCHEDULE, "S", "2026-03-10")] == {"sessions": 1, "cancelled": 0, "seats": 8}
    assert cancelled[(TEACHER, "T", "2026-03-10")] == {"sessions": 1, "cancelled": 1, "seats": 0}
    assert STUDENT not in {k[0] for k in cancelled}
    assert stats.session_counts(None) == {} and stats.mark_counts(None) == {}


def test_a_change_of_mark_moves_the_counters_by_the_difference_and_a_repeat_moves_nothing():
    before = stats.mark_counts(stats.MarkFacts(**FACTS, status="attended", charged=True))
    after = stats.mark_counts(stats.MarkFacts(**FACTS, status="cancelled", charged=False))
    moved = stats.difference(before, after)
    assert moved[(STUDENT, "P", "2026-03-10")] == {"attended": -1, "cancelled_student": 1, "charged": -1}
    assert stats.difference(after, after) == {}
    # Applied on top of the first, the difference gives the second; merged with its inverse, nothing.
    assert stats.merge(before, moved) == {k: {n: v for n, v in f.items() if v} for k, f in after.items()}
    assert stats.merge(moved, stats.difference(after, before)) == {}


def test_a_marks_day_is_the_schedules_local_day():
    assert stats.local_day("2026-03-10T23:30:00Z", "Europe/Berlin") == "2026-03-11"
    assert stats.local_day("2026-03-10T23:30:00Z", "UTC") == "2026-03-10"
    assert stats.local_day("2026-03-11T03:00:00Z", "America/New_York") == "2026-03-10"


def _tally(**counts) -> rules.Tally:
    return rules.Tally(**counts)


def test_the_attendance_rate_counts_student_cancellations_but_not_the_schools():
    t = _tally(attended=6, no_show=1, cancelled_student=1, cancelled_school=5)
    assert t.rated == 8 and t.marks == 13
    assert rules.ratio(t.attended, t.rated) == 0.75
    assert rules.ratio(0, 0) is None


def test_the_two_windows_are_28_days_each_and_meet():
    (last_first, last_last), (prev_first, prev_last) = rules.windows(date(2026, 3, 31))
    assert (last_first, last_last) == ("2026-03-04", "2026-03-31")
    assert (prev_first, prev_last) == ("2026-02-04", "2026-03-03")


def test_tally_sums_the_days_in_range_and_counts_held_sessions_only_up_to_as_of():
    rows = [
        {"entity": "S", "day": "2026-03-01", "sessions": 2, "cancelled": 1, "seats": 8, "attended": 3},
        {"entity": "S", "day": "2026-03-05", "sessions": 1, "cancelled": 0, "seats": 8, "attended": 0},
        {"entity": "S", "day": "2026-04-01", "sessions": 9},
    ]
    [(entity, t)] = rules.tally(rows, "2026-03-01", "2026-03-31", as_of="2026-03-02").items()
    assert entity == "S" and t.sessions == 3 and t.attended == 3
    assert t.held == 1 and t.seats_offered == 8  # the 5th is after "as of": scheduled, not held yet


SETTINGS = rules.Settings()  # min 4 marks, 20 points decline, 2 no-shows in a row, rate under 60 %


@pytest.mark.parametrize(
    "last,previous,streak,reasons",
    [
        (dict(attended=3), dict(attended=3), 0, []),  # under min_marks: never at risk
        (dict(attended=3, no_show=0), None, 5, []),  # a streak alone needs min_marks too
        (dict(attended=4), dict(attended=4), 0, []),
        (dict(attended=6, no_show=2), dict(attended=10), 0, ["declining"]),  # 100 % -> 75 %: 25 points
        (dict(attended=8, no_show=2), dict(attended=10), 0, ["declining"]),  # exactly 20 points: "or more"
        (dict(attended=9, no_show=2), dict(attended=10), 0, []),  # 100 % -> 82 %: 18 points
        (dict(attended=3, no_show=1), dict(attended=4), 0, ["declining"]),  # 75 % vs 100 %
        (dict(attended=4, no_show=1), None, 2, ["no_show_streak"]),
        (dict(attended=2, no_show=2), None, 0, ["low_rate"]),  # 50 % < 60 %
        (dict(attended=1, no_show=3), dict(attended=4), 3, ["declining", "no_show_streak", "low_rate"]),
    ],
)
def test_who_is_at_risk_and_why(last, previous, streak, reasons):
    out = rules.at_risk(_tally(**last), _tally(**previous) if previous else None, streak, SETTINGS)
    assert out.reasons == reasons


def test_the_rates_are_reported_even_when_too_few_marks_judge_them():
    out = rules.at_risk(_tally(attended=1, no_show=1), _tally(attended=3), 0, SETTINGS)
    assert (out.rate_last_28, out.rate_previous_28, out.marks_last_28, out.reasons) == (0.5, 1.0, 2, [])


@pytest.mark.parametrize(
    "latest_first,streak",
    [
        ([], 0),
        ([("no_show", None), ("no_show", None), ("attended", None)], 2),
        ([("no_show", None), ("cancelled", "school"), ("no_show", None)], 2),  # school cancellations skipped
        ([("no_show", None), ("cancelled", "student"), ("no_show", None)], 1),  # a student's ends the run
        ([("attended", None), ("no_show", None)], 0),
    ],
)
def test_a_no_show_streak_skips_school_cancellations_and_ends_at_anything_else(latest_first, streak):
    assert rules.no_show_streak(latest_first) == streak


@pytest.mark.parametrize(
    "sessions,cancelled,flagged",
    [(4, 4, False), (5, 1, True), (20, 3, False), (20, 4, True), (10, 0, False), (0, 0, False)],
)
def test_a_teacher_is_flagged_above_the_cancellation_threshold_with_enough_sessions(sessions, cancelled, flagged):
    rate, flag = rules.teacher_flag(_tally(sessions=sessions, cancelled=cancelled), SETTINGS)
    assert flag is flagged
    assert rate == (rules.ratio(cancelled, sessions))


def test_a_balance_runs_out_at_the_recent_pace_and_without_a_pace_no_date_is_guessed():
    from chalicelib.domain import runway

    now = "2027-03-01T10:00:00.000Z"
    weekly = [f"2027-02-{d:02d}T16:00:00.000Z" for d in (1, 8, 15, 22)] + ["2027-01-25T16:00:00.000Z"]
    weekly += ["2026-12-01T16:00:00.000Z"]  # older than eight weeks: not part of the pace
    assert runway.recent_charges(weekly, now) == 5
    assert runway.runs_out_on(2, weekly, now) == date(2027, 3, 23)  # 2 sessions at 5 per 56 days: 22 days
    assert runway.runs_out_on(0, weekly, now) == date(2027, 3, 1)
    assert runway.runs_out_on(3, ["2026-12-01T16:00:00.000Z"], now) is None
