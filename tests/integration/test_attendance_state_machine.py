"""A stateful property test: random sequences of marks, changes, clears, school
cancellations, top-ups and adjustments. After every step:

- each enrollment's balance equals its initial balance plus the deltas after it, and
  equals the sum of its ledger; every entry's balance_after is the running sum;
- each mark is charged at most once: the ledger entries that refer to a session sum to
  -1 for a charged mark and 0 otherwise;
- no balance is below its floor (-overdraft).

Attendance is taken once a session has started, and a cancellation's time lies between the
enrollment's start and now (the app's clock is the real one). So the sessions sit around
now: two have started (attended, no-show and a late cancellation apply), one starts in 2
hours (a cancellation now is late under a 24-hour rule) and one in 30 hours (a cancellation
now is early); attended and no-show on the last two are refused (session_not_started).
"""

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from chalicelib.errors import OptClassError, SessionNotStarted
from chalicelib.services import attendance, enrollments, people, schedules, sessions
from chalicelib.services.context import Actor
from chalicelib.store import engine
from chalicelib import clock, ids
from tests.support import new_company_id, table_items

SESSION_HOURS = (-26, -1, 2, 30)  # each session's start, in hours from the example's setup
SEEN: Counter = Counter()  # what the marks did over every example: the run must reach each case


class AttendanceMachine(RuleBasedStateMachine):
    @initialize(
        cancelled=st.sampled_from(["credit", "deduct"]),
        no_show=st.sampled_from(["deduct", "hold"]),
        late=st.sampled_from([None, 24]),
        overdraft=st.integers(0, 2),
        balances=st.lists(st.integers(0, 3), min_size=2, max_size=2),
    )
    def setup(self, cancelled, no_show, late, overdraft, balances):
        # A fresh table per example keeps moto's transactions (which copy the table) quick.
        engine.delete_table()
        engine.create_table()
        self.actor = Actor(new_company_id(), "machine", "staff")
        staff = people.create_staff(self.actor, name="S", email="s@x.example", role="staff", user_id=None)
        schedule = schedules.create_schedule(
            self.actor,
            name="M",
            kind="group",
            teacher_id=staff.staff_id,
            capacity=5,
            timezone="UTC",
            recurrence=None,
            policy={"cancelled": cancelled, "no_show": no_show, "late_cancel_hours": late, "overdraft": overdraft},
            low_balance_threshold=None,
        )
        self.floor = -overdraft
        self.late_hours = late
        self.schedule_id = schedule.schedule_id
        self.students = []
        for balance in balances:
            student = people.create_student(self.actor, name="N", email="n@x.example", user_id=None)
            enrollments.enroll(
                self.actor,
                self.schedule_id,
                student_id=student.student_id,
                initial_balance=balance,
                responsible_staff_id=staff.staff_id,
                low_balance_threshold=None,
            )
            self.students.append(student.student_id)
        self.sessions = []
        now = clock.now().replace(second=0, microsecond=0)
        for hours in SESSION_HOURS:
            made = sessions.create_one_off(
                self.actor,
                self.schedule_id,
                starts_at=now + timedelta(hours=hours),
                ends_at=None,
                duration_minutes=60,
                teacher_id=None,
                student_id=None,
            )
            self.sessions.append(ids.session_id(made.schedule_id, made.session_key))

    def _try(self, fn):
        try:
            return fn()
        except SessionNotStarted:
            SEEN["not_started"] += 1
        except OptClassError:
            pass  # refusals (409 and the like) are fine; the invariants say nothing changed wrongly
        return None

    @rule(
        i=st.integers(0, len(SESSION_HOURS) - 1),
        j=st.integers(0, 1),
        status=st.sampled_from(["attended", "cancelled", "no_show"]),
        stated=st.booleans(),
        override=st.sampled_from([None, True, False]),
    )
    def mark(self, i, j, status, stated, override):
        # A cancellation is made now: its time given by staff (which must lie between the
        # enrollment's start and now), or left out (then it is now). Whether it is late
        # depends on which session it is: see SESSION_HOURS.
        inp = attendance.MarkInput(
            status=status,
            charge=override,
            reason="r" if override is not None else None,
            cancelled_at=clock.now_iso() if status == "cancelled" and stated else None,
        )
        view = self._try(lambda: attendance.record(self.actor, self.sessions[i], self.students[j], inp))
        if view is not None and view.mark is not None and view.changed:
            SEEN[status] += 1
            if status == "cancelled" and self.late_hours is not None:
                SEEN["late_cancel" if view.mark.late else "early_cancel"] += 1

    @rule(i=st.integers(0, len(SESSION_HOURS) - 1), j=st.integers(0, 1))
    def clear(self, i, j):
        self._try(lambda: attendance.clear(self.actor, self.sessions[i], self.students[j]))

    @rule(i=st.integers(0, len(SESSION_HOURS) - 1))
    def school_cancels(self, i):
        self._try(lambda: attendance.cancel_session(self.actor, self.sessions[i], "closed"))

    @rule(j=st.integers(0, 1), n=st.integers(1, 3))
    def top_up(self, j, n):
        self._try(
            lambda: enrollments.top_up(
                self.actor, ids.enrollment_id(self.schedule_id, self.students[j]), sessions=n, note=None
            )
        )

    @rule(j=st.integers(0, 1), delta=st.integers(-3, 3).filter(bool))
    def adjust(self, j, delta):
        self._try(
            lambda: enrollments.adjust(
                self.actor, ids.enrollment_id(self.schedule_id, self.students[j]), delta=delta, reason="r"
            )
        )

    @invariant()
    def balances_equal_their_ledgers_and_marks_are_charged_once(self):
        if not hasattr(self, "actor"):
            return
        items = table_items()  # the table is this example's alone: one read per step
        of = lambda kind: [i for i in items if i.get("type", {}).get("S") == kind]  # noqa: E731
        enrollments_by_student = {e["student_id"]["S"]: e for e in of("enrollment")}
        for student in self.students:
            e = enrollments_by_student[student]
            entries = sorted((x for x in of("ledger") if x["student_id"]["S"] == student), key=lambda x: x["SK"]["S"])
            running = 0
            for entry in entries:
                running += int(entry["delta"]["N"])
                assert int(entry["balance_after"]["N"]) == running
            balance = int(e["balance"]["N"])
            assert balance == running == int(e["initial_balance"]["N"]) + sum(int(x["delta"]["N"]) for x in entries[1:])
            assert balance >= min(self.floor, 0)
            for session_id in self.sessions:
                key = ids.parse_session_id(session_id)[1]
                mark = next(
                    (m for m in of("mark") if m["student_id"]["S"] == student and m["session_key"]["S"] == key), None
                )
                moved = sum(
                    int(x["delta"]["N"]) for x in entries if x.get("reference", {}).get("S") == f"session:{session_id}"
                )
                assert moved == (-1 if mark is not None and mark["charged"]["BOOL"] else 0), (session_id, moved)


def test_random_sequences_keep_every_balance_equal_to_its_ledger(store):
    SEEN.clear()
    run_state_machine_as_test(
        AttendanceMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    # The sequences did mark (not only refuse): attendance on the started sessions and
    # cancellations landed, and attendance before a start was refused. (Late and early
    # cancellations are counted too, but not required: a run of 20 examples need not reach both.)
    assert SEEN["attended"] + SEEN["no_show"] > 0 and SEEN["cancelled"] > 0 and SEEN["not_started"] > 0, SEEN
