"""Packages (lots): consumption order, owed sessions, giving back, expiry and pauses, as
pure rules (chalicelib/domain/lots.py), and a state machine over all of them."""

from dataclasses import replace

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.domain import balances, lots
from chalicelib.domain.records import Enrollment, Lot, Pause
from chalicelib.errors import InsufficientBalance, InvalidInput

JAN = "2027-01-10T10:00:00.000Z"
FEB = "2027-02-15T10:00:00.000Z"
MARCH_1 = "2027-03-01T00:00:00.000Z"
MARCH_5 = "2027-03-05T10:00:00.000Z"
JUNE_1 = "2027-06-01T00:00:00.000Z"


def enrollment(**fields) -> Enrollment:
    base = dict(
        company_id="C",
        schedule_id="S",
        student_id="P",
        student_name="Ada",
        schedule_name="Piano",
        initial_balance=0,
        balance=0,
        seq=1,
        status="active",
        responsible_staff_id="T",
        created_at=JAN,
        updated_at=JAN,
    )
    return Enrollment(**{**base, **fields})


def apply(e: Enrollment, plan: lots.Plan) -> Enrollment:
    """The enrollment as the unit of work writes it: lots, owed, the balance moved by the plan."""
    return replace(e, lots=plan.lots, owed=plan.owed, balance=e.balance + plan.delta, seq=e.seq + len(plan.moves))


def bought(e: Enrollment, sessions: int, expires_at: str | None, at: str = JAN) -> Enrollment:
    lot = Lot(lot_id="", sessions=sessions, remaining=sessions, at=at, source=lots.TOP_UP, expires_at=expires_at)
    return apply(e, lots.add(e, lot, at, kind=balances.TOP_UP))


def remaining(e: Enrollment) -> dict[str, int]:
    return {lot.lot_id: lot.remaining for lot in e.lots}


def test_four_february_charges_use_the_soonest_expiring_lot_first_and_a_late_reversal_does_not_revive_it():
    e = enrollment()
    e = bought(e, 3, MARCH_1)  # A
    e = bought(e, 10, JUNE_1)  # B
    e = bought(e, 5, None)  # C
    charges = []
    for _ in range(4):
        plan = lots.charge(e, FEB, kind=balances.ATTENDANCE)
        charges.append(plan.lot_charged(balances.ATTENDANCE))
        e = apply(e, plan)
    assert remaining(e) == {"L1": 0, "L2": 9, "L3": 5}
    assert charges == ["L1", "L1", "L1", "L2"]
    assert e.balance == 14

    # One February charge of lot A cleared on 5 March: A has expired, it stays at 0.
    plan = lots.give_back(e, "L1", MARCH_5, kind=balances.REVERSAL)
    assert [(m.delta, m.kind, m.lot_id) for m in plan.moves] == [(1, "reversal", "L1"), (-1, "expiry", "L1")]
    e = apply(e, plan)
    assert remaining(e) == {"L1": 0, "L2": 9, "L3": 5}
    assert e.balance == 14 == lots.balance_of(e.lots, e.owed)
    a = e.lots[0]
    assert a.expired == 1 and a.expired_at == MARCH_5


def test_a_reversal_before_expiry_goes_back_to_the_lot_it_came_from():
    e = bought(bought(enrollment(), 2, MARCH_1), 2, None)
    e = apply(e, lots.charge(e, FEB, kind=balances.ATTENDANCE))
    e = apply(e, lots.give_back(e, "L1", FEB, kind=balances.REVERSAL))
    assert remaining(e) == {"L1": 2, "L2": 2}


def test_lots_without_expiry_come_last_and_the_oldest_of_equals_first():
    e = enrollment()
    e = bought(e, 1, None, at="2027-01-01T00:00:00.000Z")
    e = bought(e, 1, None, at="2027-01-02T00:00:00.000Z")
    e = bought(e, 1, JUNE_1, at="2027-01-03T00:00:00.000Z")
    order = [lot.lot_id for lot in lots.usable(e.lots, FEB)]
    assert order == ["L3", "L1", "L2"]


def test_a_charge_beyond_every_lot_is_owed_and_the_next_lot_settles_it_first():
    e = bought(enrollment(), 1, None)
    for _ in range(3):
        e = apply(e, lots.charge(e, FEB, kind=balances.ATTENDANCE))
    assert e.owed == 2 and e.balance == -2
    e = bought(e, 5, JUNE_1, at=FEB)
    assert e.owed == 0 and e.balance == 3
    new = e.lots[-1]
    assert (new.sessions, new.settled, new.remaining) == (5, 2, 3)
    plan_kinds = [m.kind for m in lots.add(e, replace(new, lot_id=""), FEB, kind="top_up").moves]
    assert plan_kinds == ["top_up"]  # nothing owed any more: no settlement
    # Clearing an owed charge now gives the session back to the lot that paid for it.
    e = apply(e, lots.give_back(e, None, FEB, kind=balances.REVERSAL))
    assert (e.lots[-1].remaining, e.lots[-1].settled, e.balance) == (4, 1, 4)


def test_clearing_an_owed_charge_while_still_owed_lowers_what_is_owed():
    e = apply(enrollment(), lots.charge(enrollment(), FEB, kind=balances.ATTENDANCE))
    assert (e.owed, e.balance) == (1, -1)
    e = apply(e, lots.give_back(e, None, FEB, kind=balances.REVERSAL))
    assert (e.owed, e.balance, e.lots) == (0, 0, ())


def test_a_charge_expires_a_lapsed_lot_first_with_one_expiry_entry():
    e = bought(bought(enrollment(), 3, MARCH_1), 2, None)
    plan = lots.charge(e, MARCH_5, kind=balances.ATTENDANCE)
    assert [(m.delta, m.kind, m.lot_id) for m in plan.moves] == [(-3, "expiry", "L1"), (-1, "attendance", "L2")]
    e = apply(e, plan)
    assert e.balance == 1 and lots.expire(e.lots, MARCH_5)[1] == []  # nothing left to expire twice


def test_an_enrollment_from_before_lots_is_one_lot_without_expiry():
    e = enrollment(balance=7, initial_balance=7)
    (lot,) = lots.lots_of(e)
    assert (lot.lot_id, lot.sessions, lot.remaining, lot.expires_at) == ("L0", 7, 7, None)
    assert lots.owed_of(enrollment(balance=-2)) == 2 and lots.lots_of(enrollment(balance=-2)) == ()


def test_a_correction_takes_from_lots_in_order_and_never_below_zero():
    e = bought(bought(enrollment(), 1, MARCH_1), 3, None)
    plan = lots.take(e, 2, FEB, kind=balances.ADJUSTMENT)
    assert [(m.delta, m.lot_id) for m in plan.moves] == [(-1, "L1"), (-1, "L2")]
    with pytest.raises(InsufficientBalance):
        lots.take(e, 5, FEB, kind=balances.ADJUSTMENT)


def test_a_pause_moves_every_unexpired_expiry_and_ending_it_early_gives_the_unused_days_back():
    e = bought(bought(enrollment(), 3, MARCH_1), 2, None)
    pause = Pause(
        pause_id="P1", starts="2027-02-01T00:00:00.000Z", ends="2027-02-15T00:00:00.000Z", reason="travel", at=JAN
    )
    plan, pauses = lots.add_pause(e, pause, JAN)
    e = replace(e, lots=plan.lots, pauses=pauses)
    assert e.lots[0].expires_at == "2027-03-15T00:00:00.000Z" and e.lots[1].expires_at is None
    assert lots.pause_at(e, "2027-02-03T10:00:00.000Z") == pause
    assert lots.pause_at(e, "2027-02-15T10:00:00.000Z") is None
    lots_after, pauses = lots.end_pause(e, "P1", "2027-02-05T00:00:00.000Z")
    e = replace(e, lots=lots_after, pauses=pauses)
    assert e.lots[0].expires_at == "2027-03-05T00:00:00.000Z"
    assert lots.pause_at(e, "2027-02-06T10:00:00.000Z") is None
    with pytest.raises(InvalidInput):
        lots.add_pause(e, replace(pause, pause_id="P2", starts="2027-02-04T00:00:00.000Z"), JAN)


def test_warnings_name_each_lot_once_within_the_warning_days():
    e = bought(bought(enrollment(), 3, MARCH_1), 2, JUNE_1)
    due = lots.to_warn(e.lots, "2027-02-20T00:00:00.000Z", 14)
    assert [lot.lot_id for lot in due] == ["L1"]
    warned = lots.warned(e.lots, due, "2027-02-20T00:00:00.000Z")
    assert lots.to_warn(warned, "2027-02-21T00:00:00.000Z", 14) == []
    assert lots.warn_at(warned) == JUNE_1 and lots.due_at(warned) == MARCH_1


# --- a state machine over top-ups with expiry, charges, corrections, pauses, expiry runs
# and the clock moving -----------------------------------------------------------------------

DAY = 86400


def _iso(day: int) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime(2027, 1, 1, tzinfo=timezone.utc) + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Lots(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.e = enrollment()
        self.day = 0
        self.ledger: list[lots.Move] = []
        self.charged: dict[int, str | None] = {}  # session number -> the lot it took from
        self.sessions = 0
        self.floor = -2  # the schedule's overdraft

    def _apply(self, plan: lots.Plan):
        self.ledger += plan.moves
        self.e = apply(self.e, plan)

    @rule(days=st.integers(0, 40))
    def time_passes(self, days):
        self.day += days

    @rule(sessions=st.integers(1, 6), valid=st.one_of(st.none(), st.integers(1, 60)))
    def top_up(self, sessions, valid):
        now = _iso(self.day)
        expires = _iso(self.day + valid) if valid else None
        lot = Lot(lot_id="", sessions=sessions, remaining=sessions, at=now, source=lots.TOP_UP, expires_at=expires)
        self._apply(lots.add(self.e, lot, now, kind=balances.TOP_UP))

    @rule()
    def charge(self):
        now = _iso(self.day)
        if lots.pause_at(self.e, now) is not None:
            return  # refused by the mark path
        before = lots.expire_lapsed(self.e, now)
        if lots.balance_of(before.lots, before.owed) - 1 < self.floor:
            return  # refused by the floor
        plan = lots.charge(self.e, now, kind=balances.ATTENDANCE)
        self.sessions += 1
        self.charged[self.sessions] = plan.lot_charged(balances.ATTENDANCE)
        self._apply(plan)

    @precondition(lambda self: self.charged)
    @rule(data=st.data())
    def clear(self, data):
        session = data.draw(st.sampled_from(sorted(self.charged)))
        lot_id = self.charged.pop(session)
        self._apply(lots.give_back(self.e, lot_id, _iso(self.day), kind=balances.REVERSAL))

    @rule(count=st.integers(1, 4))
    def correct_down(self, count):
        now = _iso(self.day)
        try:
            self._apply(lots.take(self.e, count, now, kind=balances.ADJUSTMENT))
        except InsufficientBalance:
            held = lots.expire_lapsed(self.e, now)
            assert count > lots.balance_of(held.lots, held.owed) or held.owed  # the refusal was right

    @rule()
    def expiry_run(self):
        self._apply(lots.expire_lapsed(self.e, _iso(self.day)))

    @rule(offset=st.integers(0, 10), length=st.integers(1, 20))
    def pause(self, offset, length):
        now = _iso(self.day)
        pause = Pause(
            pause_id=f"P{len(self.e.pauses) + 1}",
            starts=_iso(self.day + offset),
            ends=_iso(self.day + offset + length),
            reason="travel",
            at=now,
        )
        try:
            plan, pauses = lots.add_pause(self.e, pause, now)
        except InvalidInput:
            return  # overlapping: refused
        self._apply(plan)
        self.e = replace(self.e, pauses=pauses)

    @invariant()
    def balance_is_lots_minus_owed_and_the_ledger(self):
        assert self.e.balance == lots.balance_of(self.e.lots, self.e.owed) == sum(m.delta for m in self.ledger)

    @invariant()
    def no_lot_below_zero_or_above_its_size_and_nothing_owed_beside_a_usable_lot(self):
        for lot in self.e.lots:
            assert 0 <= lot.remaining <= lot.sessions
            assert lot.expired_at is None or lot.remaining == 0
        assert self.e.owed >= 0
        if self.e.owed:
            assert not lots.usable(self.e.lots, _iso(self.day))

    @invariant()
    def each_lots_entries_add_up_to_what_it_holds_and_the_owed_entries_to_minus_owed(self):
        for lot in self.e.lots:
            assert sum(m.delta for m in self.ledger if m.lot_id == lot.lot_id) == lot.remaining
        assert sum(m.delta for m in self.ledger if m.lot_id is None) == -self.e.owed

    @invariant()
    def every_session_is_charged_at_most_once(self):
        taken = sum(1 for m in self.ledger if m.kind == balances.ATTENDANCE)
        back = sum(1 for m in self.ledger if m.kind == balances.REVERSAL)
        assert taken - back == len(self.charged)

    @invariant()
    def no_expired_lot_is_ever_used(self):
        now = _iso(self.day)
        for lot in lots.usable(self.e.lots, now):
            assert lot.expires_at is None or lot.expires_at > now


Lots.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestLots = Lots.TestCase
