"""Ledger arithmetic: what a balance change is allowed to do.

A balance is the sum of its ledger. Every change appends an entry with the balance after
it; nothing is edited in place. The floor is the lowest balance allowed: 0 for top-ups
and adjustments, `-overdraft` for attendance charges.
"""
from dataclasses import dataclass

from ..errors import InsufficientBalance, InvalidInput

INITIAL = "initial"
TOP_UP = "top_up"
ADJUSTMENT = "adjustment"
ATTENDANCE = "attendance"
REVERSAL = "reversal"
KINDS = (INITIAL, TOP_UP, ADJUSTMENT, ATTENDANCE, REVERSAL)


@dataclass(frozen=True)
class BalanceChange:
    delta: int
    balance_after: int
    seq: int


def plan_change(balance: int, seq: int, delta: int, floor: int = 0) -> BalanceChange:
    """The entry that moves `balance` by `delta`, refused if it would cross the floor.

    Raising the balance is always allowed, even from below the floor (it repays an
    overdraft); lowering it must end at or above the floor.
    """
    if delta == 0:
        raise InvalidInput("a balance change must not be zero", [{"field": "delta", "message": "must not be 0"}])
    after = balance + delta
    if delta < 0 and after < floor:
        raise InsufficientBalance(
            f"the balance is {balance}; a change of {delta} would take it to {after}, below the allowed {floor}",
            [{"field": "delta", "message": f"balance {balance} cannot go below {floor}"}],
        )
    return BalanceChange(delta=delta, balance_after=after, seq=seq + 1)


