import pytest

from chalicelib.domain.ledger import plan_change
from chalicelib.errors import InsufficientBalance, InvalidInput


def test_a_ten_session_package_with_four_charges_has_six_left():
    balance, seq = 10, 1
    for _ in range(4):
        change = plan_change(balance, seq, -1)
        balance, seq = change.balance_after, change.seq
    assert (balance, seq) == (6, 5)


def test_lowering_below_the_floor_is_refused():
    with pytest.raises(InsufficientBalance):
        plan_change(1, 3, -2, floor=0)


def test_overdraft_floor_allows_going_negative_down_to_it():
    assert plan_change(0, 1, -1, floor=-1).balance_after == -1
    with pytest.raises(InsufficientBalance):
        plan_change(-1, 2, -1, floor=-1)


def test_raising_a_balance_below_the_floor_is_allowed():
    assert plan_change(-2, 4, 1, floor=0).balance_after == -1


def test_zero_change_is_invalid():
    with pytest.raises(InvalidInput):
        plan_change(3, 1, 0)
