"""What moves a balance, checked against the product rules (PRODUCT.md, "Attendance and policy").

This file proves, on the pure rules of `chalicelib/domain/balances.py` and with no I/O:

- the whole charge-policy matrix (status x cancelled policy x no-show policy x late window x
  timing of the cancellation x staff override), against an oracle written here from the rules,
  not from `decide`;
- every transition from each realistic current mark to each requested mark: the balance moves
  by the difference of the charges, with the right ledger kind, once; the same request twice
  changes nothing; overrides, cancellation times and notes are kept or dropped as the rules say;
- clearing a mark, the school cancelling a session, and a session moving or changing teacher;
- the ledger's arithmetic (floors, overdraft, zero changes), `charge_delta` and the exclusive
  edge of the late-cancellation window.
"""

import itertools
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import ids
from chalicelib.domain.balances import (
    MarkRequest,
    charge_delta,
    clear_mark,
    decide,
    floor_of,
    is_late,
    plan_change,
    record_mark,
    retimed_mark,
    school_cancel_mark,
)
from chalicelib.domain.records import Enrollment, Mark, Policy, Schedule, Session
from chalicelib.errors import InsufficientBalance, InvalidInput

# --- builders ---------------------------------------------------------------------------------

COMPANY = ids.derived_id("company", "test")
SCHEDULE = ids.derived_id("schedule", "piano")
STUDENT = ids.derived_id("student", "ada")
TEACHER = ids.derived_id("staff", "tess")
RECORDER = ids.derived_id("staff", "sam")
START_DT = datetime(2027, 1, 10, 17, 0, tzinfo=timezone.utc)
CREATED = "2026-12-01T09:00:00.000Z"


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def at(hours_before: float) -> str:
    """The instant `hours_before` hours before the session starts (negative: after)."""
    return iso(START_DT - timedelta(hours=hours_before))


def hours_before(instant: str) -> float:
    return (START_DT - datetime.fromisoformat(instant.replace("Z", "+00:00"))) / timedelta(hours=1)


START = iso(START_DT)
EARLY = at(72)  # when the "current" marks were recorded
NOW = at(-1)  # when the transitions are asked for: an hour after the start
LATER = at(-3)  # when the same request is asked again


def schedule(policy: Policy) -> Schedule:
    return Schedule(
        company_id=COMPANY,
        schedule_id=SCHEDULE,
        name="Piano",
        kind="group",
        teacher_id=TEACHER,
        teacher_name="Tess",
        timezone="UTC",
        policy=policy,
        created_at=CREATED,
        updated_at=CREATED,
    )


def session(**changes) -> Session:
    base = Session(
        company_id=COMPANY,
        schedule_id=SCHEDULE,
        session_key="R20270110",
        kind="group",
        teacher_id=TEACHER,
        teacher_name="Tess",
        starts_at=START,
        ends_at=iso(START_DT + timedelta(hours=1)),
        status="scheduled",
        origin="recurrence",
        created_at=CREATED,
        updated_at=CREATED,
        seats=8,
    )
    return replace(base, **changes)


def enrollment() -> Enrollment:
    return Enrollment(
        company_id=COMPANY,
        schedule_id=SCHEDULE,
        student_id=STUDENT,
        student_name="Ada",
        schedule_name="Piano",
        initial_balance=10,
        balance=10,
        seq=1,
        status="active",
        responsible_staff_id=TEACHER,
        created_at=CREATED,
        updated_at=CREATED,
    )


def ask(
    status: str,
    hours: float | None = None,
    charge: bool | None = None,
    reason: str | None = None,
    note: str | None = None,
    by: str = "student",
) -> MarkRequest:
    """A request; `hours` is when the cancellation was made, in hours before the start."""
    if charge is not None and reason is None:
        reason = "staff charged" if charge else "staff waived"
    return MarkRequest(
        status=status,
        note=note,
        cancelled_at=None if hours is None else at(hours),
        charge=charge,
        reason=reason,
        cancelled_by=by,
    )


def apply(
    current: Mark | None, request: MarkRequest, policy: Policy, now: str = NOW, the_session: Session | None = None
):
    return record_mark(
        current,
        request,
        schedule=schedule(policy),
        session=the_session or session(),
        enrollment=enrollment(),
        recorded_by=RECORDER,
        now=now,
    )


def marked(request: MarkRequest, policy: Policy, now: str = EARLY) -> Mark:
    """A realistic current mark: what `record_mark` made from no mark."""
    return apply(None, request, policy, now=now).after


# --- the oracle: the product rules, written independently of `decide` --------------------------


def expected_charge(
    status: str, policy: Policy, cancelled_hours_before: float | None, override: bool | None
) -> tuple[bool, bool, bool]:
    """(charged, held, late) of a student's mark, straight from PRODUCT.md."""
    late = (
        status == "cancelled"
        and policy.late_cancel_hours is not None
        and cancelled_hours_before < policy.late_cancel_hours
    )
    if status == "attended":
        charged, held = True, False
    elif status == "cancelled":
        charged, held = policy.cancelled == "deduct" or late, False
    else:
        charged = policy.no_show == "deduct"
        held = not charged
    if override is not None:
        charged, held = override, False
    return charged, held, late


def expected_move(charged_before: bool, charged_after: bool) -> tuple[int, str | None]:
    delta = int(charged_before) - int(charged_after)
    return delta, {-1: "attendance", 0: None, 1: "reversal"}[delta]


# --- the whole policy matrix ------------------------------------------------------------------

TIMINGS = {"well_before": 48, "late": 2, "after_start": -1}
MATRIX = list(
    itertools.product(
        ("attended", "cancelled", "no_show"),
        ("credit", "deduct"),
        ("deduct", "hold"),
        (None, 24),
        TIMINGS,
        (None, True, False),
    )
)


def _matrix_id(case) -> str:
    status, cancelled, no_show, window, timing, override = case
    return f"{status}-cancelled:{cancelled}-no_show:{no_show}-window:{window}-{timing}-override:{override}"


def test_the_matrix_covers_every_combination_once():
    assert len(MATRIX) == len(set(MATRIX)) == 3 * 2 * 2 * 2 * 3 * 3


@pytest.mark.parametrize("status,cancelled,no_show,window,timing,override", MATRIX, ids=[_matrix_id(c) for c in MATRIX])
def test_every_policy_combination_charges_what_the_rules_say(status, cancelled, no_show, window, timing, override):
    policy = Policy(cancelled=cancelled, no_show=no_show, late_cancel_hours=window)
    hours = TIMINGS[timing]
    charged, held, late = expected_charge(status, policy, hours, override)

    move = apply(None, ask(status, hours=hours, charge=override), policy)

    assert (move.after.charged, move.after.held, move.after.late) == (charged, held, late)
    assert (move.delta, move.ledger_kind) == expected_move(False, charged)
    assert move.changed is True
    assert move.after.charge_override is override
    assert move.after.cancelled_at == (at(hours) if status == "cancelled" else None)


# --- the policy rules one by one ----------------------------------------------------------------

CREDIT_24 = Policy(cancelled="credit", no_show="deduct", late_cancel_hours=24)
CREDIT_24_HOLD = Policy(cancelled="credit", no_show="hold", late_cancel_hours=24)
CREDIT_NO_WINDOW = Policy(cancelled="credit", no_show="deduct", late_cancel_hours=None)
DEDUCT = Policy(cancelled="deduct", no_show="deduct", late_cancel_hours=48)


def test_attending_always_costs_one_session():
    for policy in (CREDIT_24, CREDIT_24_HOLD, CREDIT_NO_WINDOW, DEDUCT):
        move = apply(None, ask("attended"), policy)
        assert (move.after.charged, move.delta, move.ledger_kind) == (True, -1, "attendance")


def test_a_late_cancellation_is_charged_even_under_credit():
    move = apply(None, ask("cancelled", hours=2), CREDIT_24)
    assert (move.after.charged, move.after.late, move.delta) == (True, True, -1)


def test_an_early_cancellation_under_credit_is_free():
    move = apply(None, ask("cancelled", hours=48), CREDIT_24)
    assert (move.after.charged, move.after.late, move.delta, move.ledger_kind) == (False, False, 0, None)


def test_a_cancellation_exactly_at_the_window_edge_is_not_late():
    on_edge = apply(None, ask("cancelled", hours=24), CREDIT_24)
    just_inside = apply(None, ask("cancelled", hours=24 - 1 / 3600), CREDIT_24)
    assert (on_edge.after.late, on_edge.after.charged) == (False, False)
    assert (just_inside.after.late, just_inside.after.charged) == (True, True)


def test_without_a_late_window_a_credit_cancellation_is_free_even_after_the_start():
    move = apply(None, ask("cancelled", hours=-1), CREDIT_NO_WINDOW)
    assert (move.after.charged, move.after.late, move.delta) == (False, False, 0)


def test_a_cancellation_under_deduct_is_charged_however_early():
    move = apply(None, ask("cancelled", hours=24 * 30), DEDUCT)
    assert (move.after.charged, move.delta) == (True, -1)


def test_a_cancellation_without_a_time_is_made_now():
    early = apply(None, ask("cancelled"), CREDIT_24, now=at(30))
    late = apply(None, ask("cancelled"), CREDIT_24, now=at(3))
    assert (early.after.cancelled_at, early.after.charged) == (at(30), False)
    assert (late.after.cancelled_at, late.after.charged, late.after.late) == (at(3), True, True)


def test_a_no_show_under_deduct_is_charged_and_under_hold_is_held_not_charged():
    deducted = apply(None, ask("no_show"), CREDIT_24)
    held = apply(None, ask("no_show"), CREDIT_24_HOLD)
    assert (deducted.after.charged, deducted.after.held, deducted.delta) == (True, False, -1)
    assert (held.after.charged, held.after.held, held.delta, held.ledger_kind) == (False, True, 0, None)


@pytest.mark.parametrize(
    "policy",
    [
        Policy(cancelled=c, no_show=n, late_cancel_hours=w)
        for c, n, w in itertools.product(("credit", "deduct"), ("deduct", "hold"), (None, 24))
    ],
)
@pytest.mark.parametrize("hours", list(TIMINGS.values()))
def test_a_cancellation_by_the_school_is_never_charged_whatever_the_policy(policy, hours):
    move = apply(None, ask("cancelled", hours=hours, by="school"), policy)
    assert (move.after.charged, move.after.held, move.delta, move.ledger_kind) == (False, False, 0, None)
    assert move.after.cancelled_by == "school"


def test_a_staff_override_decides_instead_of_the_policy_and_settles_a_hold():
    charged = apply(None, ask("no_show", charge=True, reason="no notice given"), CREDIT_24_HOLD)
    waived = apply(None, ask("attended", charge=False, reason="trial lesson"), CREDIT_24)
    assert (charged.after.charged, charged.after.held, charged.delta) == (True, False, -1)
    assert (charged.after.charge_override, charged.after.override_reason) == (True, "no notice given")
    assert (waived.after.charged, waived.delta, waived.after.override_reason) == (False, 0, "trial lesson")


def test_decide_applies_the_same_rules_directly():
    school = decide("cancelled", DEDUCT, starts_at=START_DT, cancelled_at=START_DT, cancelled_by="school")
    overridden = decide("no_show", CREDIT_24_HOLD, starts_at=START_DT, override=True)
    waived = decide("attended", CREDIT_24, starts_at=START_DT, override=False)
    assert (school.charged, school.held, school.late) == (False, False, False)
    assert (overridden.charged, overridden.held) == (True, False)
    assert (waived.charged, waived.held) == (False, False)


# --- transitions from every current state to every requested state ----------------------------

CURRENT = {
    "none": (None, CREDIT_24),
    "attended": (ask("attended"), CREDIT_24),
    "cancelled_credit_free": (ask("cancelled", hours=48), CREDIT_24),
    "cancelled_late_charged": (ask("cancelled", hours=2), CREDIT_24),
    "no_show_deduct": (ask("no_show"), CREDIT_24),
    "no_show_held": (ask("no_show"), CREDIT_24_HOLD),
    "overridden_waived": (ask("attended", charge=False, reason="trial lesson"), CREDIT_24),
}
CURRENT_CHARGE = {  # (charged, held) each current state must have, by its name
    "none": None,
    "attended": (True, False),
    "cancelled_credit_free": (False, False),
    "cancelled_late_charged": (True, False),
    "no_show_deduct": (True, False),
    "no_show_held": (False, True),
    "overridden_waived": (False, False),
}
REQUESTS = {
    "attended": ask("attended"),
    "cancelled_without_time": ask("cancelled"),
    "cancelled_well_before": ask("cancelled", hours=48),
    "cancelled_late": ask("cancelled", hours=2),
    "no_show": ask("no_show"),
    "attended_waived": ask("attended", charge=False, reason="make-up lesson"),
    "no_show_charged": ask("no_show", charge=True, reason="no notice"),
    "cancelled_charged": ask("cancelled", hours=48, charge=True, reason="third this month"),
}


def current_mark(name: str) -> tuple[Mark | None, Policy]:
    request, policy = CURRENT[name]
    return (None if request is None else marked(request, policy)), policy


@pytest.mark.parametrize("name", CURRENT)
def test_each_current_state_is_what_its_name_says(name):
    mark, _ = current_mark(name)
    expected = CURRENT_CHARGE[name]
    assert (None if mark is None else (mark.charged, mark.held)) == expected


@pytest.mark.parametrize("requested", REQUESTS)
@pytest.mark.parametrize("current_name", CURRENT)
def test_a_change_of_mark_moves_the_balance_by_the_difference_once(current_name, requested):
    current, policy = current_mark(current_name)
    request = REQUESTS[requested]
    same_status = current is not None and current.status == request.status
    if request.charge is not None:
        override, reason = request.charge, request.reason
    elif same_status:
        override, reason = current.charge_override, current.override_reason
    else:
        override, reason = None, None
    cancelled_at = None
    if request.status == "cancelled":
        kept = current.cancelled_at if same_status else None
        cancelled_at = request.cancelled_at or kept or NOW
    charged, held, late = expected_charge(
        request.status, policy, None if cancelled_at is None else hours_before(cancelled_at), override
    )
    delta, kind = expected_move(bool(current and current.charged), charged)

    move = apply(current, request, policy)

    after = move.after
    assert (after.status, after.charged, after.held, after.late) == (request.status, charged, held, late)
    assert (after.charge_override, after.override_reason) == (override, reason)
    assert after.cancelled_at == cancelled_at
    assert after.cancelled_by == ("student" if request.status == "cancelled" else None)
    assert (move.delta, move.ledger_kind) == (delta, kind)
    assert (move.ledger_note is None) == (delta == 0)

    again = apply(after, request, policy, now=LATER)
    assert (again.changed, again.delta, again.ledger_kind) == (False, 0, None)
    assert again.after == after


def test_marking_the_very_same_thing_twice_changes_nothing():
    first = apply(None, ask("attended", note="on time"), CREDIT_24)
    second = apply(first.after, ask("attended", note="on time"), CREDIT_24, now=LATER)
    assert first.changed is True
    assert (second.changed, second.delta, second.ledger_kind, second.after) == (False, 0, None, first.after)


def test_charged_to_uncharged_gives_a_session_back_as_a_reversal():
    current = marked(ask("attended"), CREDIT_24)
    move = apply(current, ask("cancelled", hours=48), CREDIT_24)
    assert (move.delta, move.ledger_kind) == (1, "reversal")


def test_uncharged_to_charged_takes_a_session_as_attendance():
    current = marked(ask("no_show"), CREDIT_24_HOLD)
    move = apply(current, ask("attended"), CREDIT_24_HOLD)
    assert (move.delta, move.ledger_kind) == (-1, "attendance")


def test_charged_to_charged_moves_nothing_and_writes_no_ledger_entry():
    current = marked(ask("attended"), CREDIT_24)
    move = apply(current, ask("no_show"), CREDIT_24)
    assert move.changed is True
    assert (move.delta, move.ledger_kind, move.ledger_note) == (0, None, None)


def test_an_override_is_kept_when_the_same_status_is_asked_again():
    current = marked(ask("attended", charge=False, reason="trial lesson"), CREDIT_24)
    move = apply(current, ask("attended", note="stayed late"), CREDIT_24)
    assert (move.after.charge_override, move.after.override_reason) == (False, "trial lesson")
    assert (move.after.charged, move.delta) == (False, 0)


def test_a_new_override_replaces_the_earlier_one_for_the_same_status():
    current = marked(ask("attended", charge=False, reason="trial lesson"), CREDIT_24)
    move = apply(current, ask("attended", charge=True, reason="not a trial after all"), CREDIT_24)
    assert (move.after.charge_override, move.after.override_reason) == (True, "not a trial after all")
    assert (move.after.charged, move.delta, move.ledger_kind) == (True, -1, "attendance")


def test_an_override_is_dropped_when_another_status_is_asked():
    current = marked(ask("no_show", charge=False, reason="was ill"), CREDIT_24)
    move = apply(current, ask("attended"), CREDIT_24)
    assert (move.after.charge_override, move.after.override_reason) == (None, None)
    assert (move.after.charged, move.delta, move.ledger_kind) == (True, -1, "attendance")


def test_a_cancellation_time_is_kept_when_cancelled_is_asked_again_without_one():
    free = marked(ask("cancelled", hours=48), CREDIT_24)
    move = apply(free, ask("cancelled", note="asked again"), CREDIT_24, now=at(-5))
    assert move.after.cancelled_at == at(48)
    assert (move.after.charged, move.after.late, move.delta) == (False, False, 0)


def test_a_new_cancellation_time_replaces_the_earlier_one():
    free = marked(ask("cancelled", hours=48), CREDIT_24)
    move = apply(free, ask("cancelled", hours=2), CREDIT_24)
    assert move.after.cancelled_at == at(2)
    assert (move.after.charged, move.after.late, move.delta) == (True, True, -1)


def test_a_note_given_is_recorded_and_a_note_not_given_keeps_the_old_one():
    first = marked(ask("attended", note="on time"), CREDIT_24)
    kept = apply(first, ask("no_show"), CREDIT_24).after
    replaced = apply(first, ask("attended", note="left early"), CREDIT_24).after
    assert (first.note, kept.note, replaced.note) == ("on time", "on time", "left early")


def test_a_new_note_alone_is_a_change_that_moves_no_balance():
    first = marked(ask("attended", note="on time"), CREDIT_24)
    move = apply(first, ask("attended", note="left early"), CREDIT_24)
    assert (move.changed, move.delta, move.ledger_kind) == (True, 0, None)


def test_a_recorded_mark_names_its_session_student_and_recorder():
    mark = marked(ask("attended"), CREDIT_24)
    assert (mark.company_id, mark.schedule_id, mark.session_key, mark.student_id) == (
        COMPANY,
        SCHEDULE,
        "R20270110",
        STUDENT,
    )
    assert (mark.starts_at, mark.teacher_id, mark.recorded_by, mark.recorded_at) == (START, TEACHER, RECORDER, EARLY)


# --- clearing a mark ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in CURRENT if n != "none"])
def test_clearing_a_mark_gives_back_the_charge_it_took(name):
    current, _ = current_mark(name)
    move = clear_mark(current)
    assert move.after is None and move.changed is True
    if current.charged:
        assert (move.delta, move.ledger_kind) == (1, "reversal")
    else:
        assert (move.delta, move.ledger_kind) == (0, None)


# --- the school cancelling the session ----------------------------------------------------------

CANCELLED_SESSION = session(status="cancelled", cancelled_at=at(30), cancel_reason="teacher ill")


def school_cancel(current: Mark | None, policy: Policy, the_session: Session = CANCELLED_SESSION):
    return school_cancel_mark(
        current,
        schedule=schedule(policy),
        session=the_session,
        enrollment=enrollment(),
        recorded_by=RECORDER,
        now=at(29),
    )


@pytest.mark.parametrize("name", CURRENT)
def test_a_school_cancellation_turns_any_mark_into_an_uncharged_school_cancellation(name):
    current, policy = current_mark(name)
    move = school_cancel(current, policy)
    after = move.after
    assert (after.status, after.cancelled_by, after.charged, after.held) == ("cancelled", "school", False, False)
    assert (after.charge_override, after.note) == (None, "teacher ill")
    assert (move.delta, move.ledger_kind) == expected_move(bool(current and current.charged), False)
    assert move.changed is True


@pytest.mark.parametrize("name", CURRENT)
def test_a_school_cancellation_applied_twice_changes_nothing_the_second_time(name):
    current, policy = current_mark(name)
    first = school_cancel(current, policy).after
    other_reason = replace(CANCELLED_SESSION, cancel_reason="room flooded")
    again = school_cancel(first, policy, other_reason)
    assert (again.changed, again.delta, again.ledger_kind) == (False, 0, None)
    assert again.after == first


def test_a_school_cancellation_gives_back_the_charge_of_an_attended_mark():
    current = marked(ask("attended"), DEDUCT)
    move = school_cancel(current, DEDUCT)
    assert (move.delta, move.ledger_kind, move.after.charged) == (1, "reversal", False)


# --- a session moved or given another teacher ---------------------------------------------------


def test_a_mark_already_at_the_sessions_time_and_teacher_needs_no_retiming():
    mark = marked(ask("attended"), CREDIT_24)
    assert retimed_mark(mark, session()) is None


def test_a_moved_session_retimes_its_mark_and_keeps_the_rest():
    mark = marked(ask("cancelled", hours=48, note="away"), CREDIT_24)
    moved = at(-24)
    retimed = retimed_mark(mark, session(starts_at=moved))
    assert retimed == replace(mark, starts_at=moved)


def test_a_substituted_teacher_is_written_onto_the_mark():
    mark = marked(ask("attended"), CREDIT_24)
    sub = ids.derived_id("staff", "sub")
    retimed = retimed_mark(mark, session(teacher_id=sub, teacher_name="Sid"))
    assert (retimed.teacher_id, retimed.teacher_name, retimed.starts_at) == (sub, "Sid", START)
    assert (retimed.status, retimed.charged) == (mark.status, mark.charged)


# --- the ledger's arithmetic --------------------------------------------------------------------


def test_a_ten_session_package_with_four_charges_has_six_left():
    balance, seq = 10, 1
    for _ in range(4):
        change = plan_change(balance, seq, -1)
        balance, seq = change.balance_after, change.seq
    assert (balance, seq) == (6, 5)


def test_a_change_records_its_delta_and_the_balance_after_it():
    change = plan_change(3, 7, 5)
    assert (change.delta, change.balance_after, change.seq) == (5, 8, 8)


def test_lowering_exactly_to_the_floor_is_allowed():
    assert plan_change(2, 1, -2, floor=0).balance_after == 0


def test_lowering_below_the_floor_is_refused():
    with pytest.raises(InsufficientBalance):
        plan_change(1, 3, -2, floor=0)
    with pytest.raises(InsufficientBalance):
        plan_change(0, 3, -1)


def test_an_overdraft_floor_allows_going_negative_down_to_it():
    floor = floor_of(Policy(overdraft=2))
    assert floor == -2
    assert plan_change(0, 1, -1, floor=floor).balance_after == -1
    assert plan_change(-1, 2, -1, floor=floor).balance_after == -2
    with pytest.raises(InsufficientBalance):
        plan_change(-2, 3, -1, floor=floor)


def test_without_an_overdraft_the_floor_is_zero():
    assert floor_of(Policy()) == 0


def test_raising_a_balance_below_the_floor_is_allowed():
    assert plan_change(-2, 4, 1, floor=0).balance_after == -1


def test_a_zero_change_is_invalid():
    with pytest.raises(InvalidInput):
        plan_change(3, 1, 0)


@pytest.mark.parametrize(
    "before,after,delta", [(False, True, -1), (True, False, 1), (True, True, 0), (False, False, 0)]
)
def test_the_charge_delta_is_the_charge_given_back_minus_the_charge_taken(before, after, delta):
    assert charge_delta(before, after) == delta


def test_the_late_window_edge_is_exclusive():
    edge = START_DT - timedelta(hours=24)
    assert is_late(START_DT, edge, 24) is False
    assert is_late(START_DT, edge + timedelta(seconds=1), 24) is True
    assert is_late(START_DT, edge - timedelta(seconds=1), 24) is False


def test_without_a_window_nothing_is_late_even_after_the_start():
    assert is_late(START_DT, START_DT + timedelta(hours=1), None) is False
