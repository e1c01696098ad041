"""Weekly recurrence in the schedule's time zone, across daylight-saving changes."""

from datetime import date, datetime, timezone

import pytest

from chalicelib.domain.recurrence import generation_window, occurrences


@pytest.mark.parametrize(
    "tz,change,before_utc,after_utc",
    [
        # Europe/Berlin moves from UTC+1 to UTC+2 on 2027-03-28.
        ("Europe/Berlin", date(2027, 3, 28), 16, 15),
        # America/New_York moves from UTC-5 to UTC-4 on 2027-03-14.
        ("America/New_York", date(2027, 3, 14), 22, 21),
    ],
)
def test_weekly_17_00_stays_17_00_local_across_the_2027_spring_change(tz, change, before_utc, after_utc):
    made = occurrences(["MO", "WE"], "17:00", 60, date(2027, 3, 1), None, tz, date(2027, 3, 1), date(2027, 4, 10))
    assert all(o.local_date.weekday() in (0, 2) for o in made)
    for o in made:
        local = o.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(tz))
        assert (local.hour, local.minute) == (17, 0)
        assert o.starts_at.hour == (before_utc if o.local_date < change else after_utc)
        assert (o.ends_at - o.starts_at).total_seconds() == 3600
    assert len(made) == 12


def test_a_time_that_does_not_exist_on_the_change_day_still_gives_one_real_instant():
    made = occurrences(
        ["SU"], "02:30", 30, date(2027, 3, 28), None, "Europe/Berlin", date(2027, 3, 28), date(2027, 3, 28)
    )
    assert len(made) == 1 and made[0].starts_at.tzinfo is timezone.utc


def test_occurrences_respect_start_and_end_dates_and_keys_name_the_local_date():
    made = occurrences(
        ["TU"], "09:00", 45, date(2026, 12, 1), date(2026, 12, 15), "UTC", date(2026, 11, 1), date(2027, 1, 31)
    )
    assert [o.key for o in made] == ["R20261201", "R20261208", "R20261215"]
    assert made[0].starts_at == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_the_generation_window_reaches_eight_weeks_ahead_and_at_most_a_year_back():
    assert generation_window(date(2026, 11, 28), date(2026, 12, 1), None) == (date(2026, 12, 1), date(2027, 1, 23))
    assert generation_window(date(2026, 11, 28), date(2020, 1, 1), None)[0] == date(2025, 11, 27)
    assert generation_window(date(2026, 11, 28), date(2026, 1, 1), date(2026, 2, 1)) == (
        date(2026, 1, 1),
        date(2026, 2, 1),
    )
    assert generation_window(date(2026, 11, 28), date(2025, 1, 1), date(2025, 2, 1)) is None
