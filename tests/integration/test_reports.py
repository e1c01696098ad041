"""Reports: each at-risk rule and the teacher flag by a small named case, and every report
checked against a brute-force recomputation from the raw sessions, marks and ledger on a
randomized history of months (marks, corrections, clears, school cancellations, moves,
substitutes, top-ups)."""

import random
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import clock, ids
from chalicelib.domain import reports as rules
from chalicelib.domain.stats import local_day
from chalicelib.errors import OptClassError
from chalicelib.services import attendance, company, enrollments, people, reports, schedules, sessions
from chalicelib.services.context import Actor
from chalicelib.store import engine
from tests.invariants import drain_stream
from tests.support import new_company_id, reading, table_items

TODAY = date(2027, 6, 30)
# Attendance is taken once a session has started, so the app's clock (the "now" of its rules
# and of every created_at) is pinned to TODAY's evening for these tests: the histories, the
# at-risk windows and the reports' `today=` all agree on one day, whatever day they run.
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 20, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def app_clock(monkeypatch):
    """`clock.now` (and `clock.now_iso`, which reads it) starts at NOW and moves with real time."""
    real = clock.now
    offset = NOW - real()
    monkeypatch.setattr(clock, "now", lambda: real() + offset)


def _report(fn, *args, **kwargs):
    """A report as a GET route reads it, once the table's stream is applied to the counters."""
    drain_stream()
    return reading(lambda: fn(*args, **kwargs))


class School:
    def __init__(self, timezone_name="UTC"):
        self.actor = Actor(new_company_id(), "admin", "admin")
        company.put_company(self.actor, name="S", timezone=timezone_name, low_balance_threshold=2)
        self.tz = timezone_name
        self.staff = people.create_staff(self.actor, name="Staff", email="st@x.example", role="staff", user_id=None)

    def teacher(self, name):
        return people.create_staff(self.actor, name=name, email=f"{name}@x.example", role="teacher", user_id=None)

    def schedule(self, teacher, kind="group", capacity=None):
        """A group of 6 unless told; a 1:1 holds one student unless given a capacity (then
        each of its sessions is booked for one student)."""
        if capacity is None and kind == "group":
            capacity = 6
        return schedules.create_schedule(
            self.actor,
            name=f"{kind}-{teacher.name}",
            kind=kind,
            teacher_id=teacher.staff_id,
            capacity=capacity,
            timezone=self.tz,
            recurrence=None,
            policy={"overdraft": 100},
            low_balance_threshold=None,
        )

    def student(self, name, schedule, balance=50):
        s = people.create_student(self.actor, name=name, email=f"{name}@x.example", user_id=None)
        enrollments.enroll(
            self.actor,
            schedule.schedule_id,
            student_id=s.student_id,
            initial_balance=balance,
            responsible_staff_id=self.staff.staff_id,
            low_balance_threshold=None,
        )
        return s

    def session(self, schedule, day: date, hour=17, student=None):
        made = sessions.create_one_off(
            self.actor,
            schedule.schedule_id,
            starts_at=datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc),
            ends_at=None,
            duration_minutes=60,
            teacher_id=None,
            student_id=student.student_id if student else None,
        )
        return ids.session_id(made.schedule_id, made.session_key)

    def mark(self, session_id, student, status, hours_before=48):
        inp = attendance.MarkInput(status=status)
        return attendance.record(self.actor, session_id, student.student_id, inp)

    def history(self, schedule, student, statuses, last_day: date, every=3):
        """Sessions every `every` days ending on `last_day`, marked with `statuses` (oldest first)."""
        for i, status in enumerate(statuses):
            day = last_day - timedelta(days=every * (len(statuses) - 1 - i))
            sid = self.session(schedule, day)
            if status:
                self.mark(sid, student, status)


def student_row(school, name, **kw):
    rows = _report(reports.students, school.actor, None, None, today=TODAY, **kw).rows
    return next(r for r in rows if r["student_name"] == name)


@pytest.fixture
def school(store):
    return School()


def test_declining_by_20_points_against_the_previous_28_days(school):
    t = school.teacher("t1")
    g = school.schedule(t)
    s = school.student("dee", g)
    school.history(g, s, ["attended"] * 4, TODAY - timedelta(days=30))
    school.history(g, s, ["attended", "attended", "attended", "cancelled"], TODAY)
    row = student_row(school, "dee")
    assert (row["rate_previous_28_days"], row["rate_last_28_days"]) == (1.0, 0.75)
    assert row["reasons"] == ["declining"] and row["at_risk"] is True


def test_two_no_shows_in_a_row(school):
    t = school.teacher("t1")
    g = school.schedule(t)
    s = school.student("nia", g)
    school.history(g, s, ["attended", "attended", "attended", "attended", "no_show", "no_show"], TODAY)
    row = student_row(school, "nia")
    assert row["no_show_streak"] == 2 and row["reasons"] == ["no_show_streak"]


def test_a_school_cancellation_does_not_break_a_run_of_no_shows(school):
    t = school.teacher("t1")
    g = school.schedule(t)
    s = school.student("ola", g)
    school.history(g, s, ["attended", "attended", "attended", "no_show"], TODAY - timedelta(days=2))
    last = school.session(g, TODAY - timedelta(days=1))
    attendance.cancel_session(school.actor, last, "snow")
    newest = school.session(g, TODAY)
    school.mark(newest, s, "no_show")
    assert student_row(school, "ola")["no_show_streak"] == 2


def test_a_rate_under_60_percent(school):
    t = school.teacher("t1")
    g = school.schedule(t)
    s = school.student("lou", g)
    school.history(g, s, ["attended", "cancelled", "attended", "cancelled", "cancelled"], TODAY)
    row = student_row(school, "lou")
    assert row["rate_last_28_days"] == 0.4 and row["reasons"] == ["low_rate"]


def test_fewer_than_four_marks_is_never_at_risk(school):
    t = school.teacher("t1")
    g = school.schedule(t)
    s = school.student("few", g)
    school.history(g, s, ["no_show", "no_show", "no_show"], TODAY)
    row = student_row(school, "few")
    assert row["marks_last_28_days"] == 3 and row["at_risk"] is False and row["reasons"] == []


def test_company_thresholds_change_the_verdict(school):
    t = school.teacher("t1")
    g = school.schedule(t)
    s = school.student("dee", g)
    school.history(g, s, ["attended", "attended", "attended", "cancelled"], TODAY)
    assert student_row(school, "dee")["at_risk"] is False
    company.put_company(school.actor, name="S", timezone="UTC", low_balance_threshold=2, rate_below=80)
    assert student_row(school, "dee")["reasons"] == ["low_rate"]


def test_teachers_who_cancel_more_than_15_percent_of_at_least_5_sessions_are_flagged(school):
    cases = {"often": (6, 1), "seldom": (10, 1), "few": (4, 2)}  # sessions, cancelled by the school
    for name, (total, cancelled) in cases.items():
        g = school.schedule(school.teacher(name))
        for i in range(total):
            sid = school.session(g, TODAY - timedelta(days=i + 1))
            if i < cancelled:
                attendance.cancel_session(school.actor, sid, "closed")
    rows = {r["teacher_name"]: r for r in _report(reports.teachers, school.actor, None, None, today=TODAY).rows}
    assert rows["often"]["flagged"] is True and rows["often"]["cancellation_rate"] == round(1 / 6, 4)
    assert rows["seldom"]["flagged"] is False and rows["few"]["flagged"] is False
    assert (rows["few"]["sessions_scheduled"], rows["few"]["sessions_held"]) == (4, 2)


def test_utilization_of_a_group_and_a_one_to_one(school):
    t = school.teacher("t1")
    g = school.schedule(t, capacity=4)
    one = school.schedule(t, kind="one_to_one")
    a, b = school.student("a", g), school.student("b", g)
    c = school.student("c", one, balance=10)
    for i in range(2):
        sid = school.session(g, TODAY - timedelta(days=i + 1))
        school.mark(sid, a, "attended")
        school.mark(sid, b, "no_show" if i else "attended")
    for i in range(4):
        sid = school.session(one, TODAY - timedelta(days=i + 1))
        if i == 0:
            attendance.cancel_session(school.actor, sid, "ill")
        else:
            school.mark(sid, c, "attended")
    # The enrollments (the sales) were made today (the app's clock is pinned to TODAY): the
    # range holds them and the sessions of the last days.
    first = TODAY - timedelta(days=7)
    rows = {r["kind"]: r for r in _report(reports.schedules, school.actor, first, TODAY, today=TODAY).rows}
    assert (rows["group"]["seats_offered"], rows["group"]["seats_used"], rows["group"]["seat_utilization"]) == (
        8,
        3,
        0.375,
    )
    assert (rows["one_to_one"]["sessions_held"], rows["one_to_one"]["held_ratio"]) == (3, 0.75)
    assert (rows["one_to_one"]["sessions_used"], rows["one_to_one"]["sessions_sold"]) == (3, 10)
    overview = _report(reports.overview, school.actor, first, TODAY, today=TODAY).rows[0]
    assert overview["group_seat_utilization"] == 0.375 and overview["one_to_one_held_ratio"] == 0.75


def test_a_future_session_is_scheduled_but_not_held_yet(school):
    g = school.schedule(school.teacher("t1"))
    school.session(g, TODAY + timedelta(days=3))
    row = _report(reports.schedules, school.actor, TODAY, TODAY + timedelta(days=7), today=TODAY).rows[0]
    assert (row["sessions_scheduled"], row["sessions_held"], row["seats_offered"]) == (1, 0, 0)


# --- the property test: counters against a brute-force recomputation ---------------------


def brute_force(cid: str, first: str, last: str, as_of: str, settings: rules.Settings):
    items = table_items()
    of = lambda kind: [i for i in items if i.get("type", {}).get("S") == kind and f"C#{cid}#" in i["PK"]["S"] + "#"]  # noqa: E731
    sessions_ = {(i["schedule_id"]["S"], i["session_key"]["S"]): i for i in of("session")}
    by = {"student": {}, "teacher": {}, "schedule": {}, "company": {}}

    def bump(dim, entity, day, name, n=1):
        row = by[dim].setdefault((entity, day), {})
        row[name] = row.get(name, 0) + n

    for s in sessions_.values():
        day = local_day(s["starts_at"]["S"], s["timezone"]["S"])
        cancelled = s["status"]["S"] == "cancelled"
        for dim, entity in (("teacher", s["teacher_id"]["S"]), ("schedule", s["schedule_id"]["S"]), ("company", "-")):
            bump(dim, entity, day, "sessions")
            bump(dim, entity, day, "cancelled", int(cancelled))
            bump(dim, entity, day, "seats", 0 if cancelled else int(s["seats"]["N"]))
    marks = of("mark")
    for m in marks:
        tz = sessions_[(m["schedule_id"]["S"], m["session_key"]["S"])]["timezone"]["S"]
        day = local_day(m["starts_at"]["S"], tz)
        status, by_whom = m["status"]["S"], m.get("cancelled_by", {}).get("S")
        name = {"attended": "attended", "no_show": "no_show"}.get(status) or (
            "cancelled_school" if by_whom == "school" else "cancelled_student"
        )
        for dim, entity in (
            ("student", m["student_id"]["S"]),
            ("teacher", m["teacher_id"]["S"]),
            ("schedule", m["schedule_id"]["S"]),
            ("company", "-"),
        ):
            bump(dim, entity, day, name)
            bump(dim, entity, day, "charged", int(m["charged"]["BOOL"]))
    for e in of("ledger"):
        if e["kind"]["S"] in ("initial", "top_up") and int(e["delta"]["N"]) > 0:
            for dim, entity in (("schedule", e["schedule_id"]["S"]), ("company", "-")):
                bump(dim, entity, e["at"]["S"][:10], "sold", int(e["delta"]["N"]))
        if e["kind"]["S"] == "expiry" and int(e["delta"]["N"]) < 0:
            for dim, entity in (("schedule", e["schedule_id"]["S"]), ("company", "-")):
                bump(dim, entity, e["at"]["S"][:10], "forfeited", -int(e["delta"]["N"]))
    rows = {dim: [{"entity": k[0], "day": k[1], **v} for k, v in table.items()] for dim, table in by.items()}

    def streak(student_id):
        mine = sorted(
            (m for m in marks if m["student_id"]["S"] == student_id), key=lambda m: m["starts_at"]["S"], reverse=True
        )
        return rules.no_show_streak(
            (m["status"]["S"], m.get("cancelled_by", {}).get("S"))
            for m in mine
            if m["starts_at"]["S"] <= f"{as_of}T23:59:59.999Z"
        )

    return rows, streak


def test_every_report_equals_a_brute_force_recomputation_from_raw_marks(store):
    rng = random.Random(20271)
    for example in range(3):
        engine.delete_table()
        engine.create_table()
        school = School(timezone_name=rng.choice(["UTC", "Europe/Berlin", "America/New_York"]))
        teachers_ = [school.teacher(f"t{i}") for i in range(3)]
        # Groups of 5 with 3 students; 1:1 schedules of 2 students, so booked per student
        # (a 1:1 holds one student unless it has a capacity, and then each session names its own).
        scheds = [
            school.schedule(
                teachers_[i % 3], kind=("group" if i % 2 == 0 else "one_to_one"), capacity=(5 if i % 2 == 0 else 2)
            )
            for i in range(4)
        ]
        roster = {
            s.schedule_id: [
                school.student(f"s{s.schedule_id[-4:]}{j}", s, balance=rng.randint(0, 30))
                for j in range(3 if s.kind == "group" else 2)
            ]
            for s in scheds
        }
        made = []
        start = TODAY - timedelta(days=120)
        for _ in range(60):
            sched = rng.choice(scheds)
            day = start + timedelta(days=rng.randint(0, 140))
            booked = rng.choice(roster[sched.schedule_id]) if sched.kind == "one_to_one" else None
            made.append((sched, school.session(sched, day, hour=rng.choice([6, 12, 23]), student=booked), booked))
        for _ in range(260):
            sched, sid, booked = rng.choice(made)
            student = booked or rng.choice(roster[sched.schedule_id])
            action = rng.random()
            try:
                if action < 0.62:
                    inp = attendance.MarkInput(
                        status=rng.choice(["attended", "attended", "no_show", "cancelled"]),
                        charge=rng.choice([None, None, None, True, False]),
                        reason="r",
                    )
                    attendance.record(school.actor, sid, student.student_id, inp)
                elif action < 0.75:
                    attendance.clear(school.actor, sid, student.student_id)
                elif action < 0.8:
                    attendance.cancel_session(school.actor, sid, "closed")
                elif action < 0.87:
                    new_day = start + timedelta(days=rng.randint(0, 140), hours=rng.randint(0, 23))
                    sessions.update_session(
                        school.actor,
                        sid,
                        {
                            "starts_at": datetime(
                                new_day.year, new_day.month, new_day.day, rng.randint(0, 23), tzinfo=timezone.utc
                            )
                        },
                        None,
                    )
                elif action < 0.93:
                    sessions.update_session(school.actor, sid, {"teacher_id": rng.choice(teachers_).staff_id}, None)
                else:
                    enrollments.top_up(
                        school.actor,
                        ids.enrollment_id(sched.schedule_id, student.student_id),
                        sessions=rng.randint(1, 5),
                        note=None,
                    )
            except OptClassError:
                pass
        first, last = TODAY - timedelta(days=rng.randint(40, 90)), TODAY + timedelta(days=rng.randint(0, 10))
        as_of = min(last, TODAY)
        settings = rules.Settings()
        raw, streak_of = brute_force(
            school.actor.company_id, first.isoformat(), last.isoformat(), as_of.isoformat(), settings
        )
        expected = rules.tally(raw["teacher"], first.isoformat(), last.isoformat(), as_of.isoformat())
        got = {r["teacher_id"]: r for r in _report(reports.teachers, school.actor, first, last, today=TODAY).rows}
        for tid, t in expected.items():
            rate, flagged = rules.teacher_flag(t, settings)
            assert (
                got[tid]["sessions_scheduled"],
                got[tid]["sessions_held"],
                got[tid]["cancelled_by_school"],
                got[tid]["student_cancellations"],
                got[tid]["no_shows"],
                got[tid]["flagged"],
            ) == (t.sessions, t.held, t.cancelled, t.cancelled_student, t.no_show, flagged), (example, tid)
        expected = rules.tally(raw["schedule"], first.isoformat(), last.isoformat(), as_of.isoformat())
        for r in _report(reports.schedules, school.actor, first, last, today=TODAY).rows:
            t = expected.get(r["schedule_id"], rules.Tally())
            assert (
                r["sessions_scheduled"],
                r["sessions_held"],
                r["attended"],
                r["no_show"],
                r["sessions_used"],
                r["sessions_sold"],
                r["sessions_forfeited"],
            ) == (t.sessions, t.held, t.attended, t.no_show, t.charged, t.sold, t.forfeited)
            if r["kind"] == "group":
                assert r["seats_offered"] == t.seats_offered
        expected = rules.tally(raw["student"], first.isoformat(), last.isoformat(), as_of.isoformat())
        (lf, lt), (pf, pt) = rules.windows(last)
        recent = rules.tally(raw["student"], lf, lt, as_of.isoformat())
        before = rules.tally(raw["student"], pf, pt, as_of.isoformat())
        for r in _report(reports.students, school.actor, first, last, today=TODAY).rows:
            sid = r["student_id"]
            t = expected.get(sid, rules.Tally())
            assert (r["attended"], r["no_show"], r["cancelled_by_student"], r["cancelled_by_school"]) == (
                t.attended,
                t.no_show,
                t.cancelled_student,
                t.cancelled_school,
            ), (example, sid)
            streak = streak_of(sid) if recent.get(sid) and recent[sid].rated >= settings.min_marks else 0
            risk = rules.at_risk(recent.get(sid), before.get(sid), streak, settings)
            assert r["reasons"] == risk.reasons, (example, sid, r, risk)
        total = rules.tally(raw["company"], first.isoformat(), last.isoformat(), as_of.isoformat()).get(
            "-", rules.Tally()
        )
        overview = _report(reports.overview, school.actor, first, last, today=TODAY).rows[0]
        assert (
            overview["sessions_scheduled"],
            overview["sessions_held"],
            overview["attended"],
            overview["sessions_used"],
            overview["sessions_sold"],
            overview["sessions_forfeited"],
        ) == (total.sessions, total.held, total.attended, total.charged, total.sold, total.forfeited)
