"""Packages (lots): what an enrollment's balance is made of, and how sessions are taken
from it, given back, expire and are paused. Pure rules; no I/O.

- An enrollment holds lots. Its balance is the sum of the `remaining` of its lots not yet
  expired, minus what is `owed` (sessions charged beyond every lot, allowed by the
  schedule's overdraft). Every change is a list of moves, one ledger entry each, naming the
  lot it moved (None: the owed count), so the balance still equals the sum of the ledger.
- **Consumption order.** A charge takes from the usable lot that expires soonest; lots
  without expiry come last; among equals the oldest (then the first made) goes first. A lot
  whose expiry has passed is never used: a charge first expires any lapsed lot (its
  `expiry` entry, exactly as the daily job would write it), then charges.
- **Owed.** A charge beyond every lot raises `owed`; the next lot that arrives (or a
  session given back) settles what is owed first: a `settlement` pair of entries, minus on
  the lot and plus on the owed count, so each lot's entries always sum to its `remaining`
  and the owed count's to `-owed`.
- **Giving back (a reversal).** A session goes back to the lot it was taken from. If that
  lot has expired meanwhile, it is not revived: the reversal is written to that lot and at
  once forfeited by an `expiry` entry (net zero, both visible on the statement), so staff
  see it and may grant a session instead. A charge that was owed reduces `owed` while
  something is owed; if the owed session has since been paid by a lot's `settled`, that
  lot gets it back (under the same rule). A charge made before lots existed goes back to the
  lot that will be used next, or to a new lot without expiry when none is open.
- **Pauses.** A pause of an enrollment (travel, injury) moves every unexpired lot's expiry by
  its length; no charge may land on a session starting inside it. Ending it early moves
  the expiries back by the days not used.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..errors import InsufficientBalance, InvalidInput
from .records import Enrollment, Lot, Pause

OPENING, TOP_UP, SALE, MAKE_UP, ADJUSTMENT = "opening", "top_up", "sale", "make_up", "adjustment"
SOURCES = (OPENING, TOP_UP, SALE, MAKE_UP, ADJUSTMENT)
EXPIRY = "expiry"  # the ledger kind of a lot's unused sessions lapsing
SETTLEMENT = "settlement"  # a lot paying for sessions owed: a pair of entries that sum to zero
LEGACY_LOT = "L0"  # the lot an enrollment written before lots is read as
MAX_LOTS = 500  # an enrollment item stays far below DynamoDB's 400 KB (about 250 bytes a lot)


@dataclass(frozen=True)
class Move:
    """One ledger entry's worth: `delta` on lot `lot_id` (None: the owed count)."""

    delta: int
    kind: str
    lot_id: str | None
    note: str | None = None


@dataclass(frozen=True)
class Plan:
    """An enrollment's lots and owed count after a change, and the moves that make it."""

    lots: tuple[Lot, ...]
    owed: int
    moves: tuple[Move, ...]

    @property
    def delta(self) -> int:
        return sum(move.delta for move in self.moves)

    @property
    def balance(self) -> int:
        return balance_of(self.lots, self.owed)

    def lot_charged(self, kind: str) -> str | None:
        """The lot the last move of `kind` with a negative delta took from."""
        for move in reversed(self.moves):
            if move.kind == kind and move.delta < 0:
                return move.lot_id
        return None


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    from ..clock import iso

    return iso(moment)


def lots_of(enrollment: Enrollment) -> tuple[Lot, ...]:
    """The enrollment's lots; one written before lots holds its positive balance as one lot
    without expiry (what the migration writes, tools/upgrade_table.py `lots`)."""
    if enrollment.lots or enrollment.balance <= 0 or enrollment.owed:
        return enrollment.lots
    return (
        Lot(
            lot_id=LEGACY_LOT,
            sessions=enrollment.balance,
            remaining=enrollment.balance,
            at=enrollment.created_at,
            source=OPENING,
            note="the balance held before packages",
        ),
    )


def owed_of(enrollment: Enrollment) -> int:
    if not enrollment.lots and not enrollment.owed and enrollment.balance < 0:
        return -enrollment.balance
    return enrollment.owed


def balance_of(lots: tuple[Lot, ...], owed: int) -> int:
    return sum(lot.remaining for lot in lots if lot.expired_at is None) - owed


def lapsed(lot: Lot, now: str) -> bool:
    return lot.expired_at is None and lot.expires_at is not None and lot.expires_at <= now


def usable(lots: tuple[Lot, ...], now: str) -> list[Lot]:
    """The lots a charge may take from, in the order it takes them."""
    open_ = [lot for lot in lots if lot.remaining > 0 and lot.expired_at is None and not lapsed(lot, now)]
    return sorted(open_, key=lambda lot: (lot.expires_at is None, lot.expires_at or "", lot.at, _lot_number(lot)))


def _lot_number(lot: Lot) -> int:
    digits = lot.lot_id[1:]
    return int(digits) if digits.isdigit() else 0


def next_lot_id(lots: tuple[Lot, ...]) -> str:
    return f"L{max((_lot_number(lot) for lot in lots), default=0) + 1}"


def _put(lots: tuple[Lot, ...], lot: Lot) -> tuple[Lot, ...]:
    return tuple(lot if old.lot_id == lot.lot_id else old for old in lots)


def expire(lots: tuple[Lot, ...], now: str) -> tuple[tuple[Lot, ...], list[Move]]:
    """Every lapsed lot expired: one `expiry` entry for each with sessions left."""
    moves = []
    for lot in lots:
        if not lapsed(lot, now):
            continue
        if lot.remaining:
            moves.append(Move(-lot.remaining, EXPIRY, lot.lot_id, f"{lot.remaining} unused session(s) expired"))
        lots = _put(lots, replace(lot, remaining=0, expired=lot.expired + lot.remaining, expired_at=now))
    return lots, moves


def start(enrollment: Enrollment, now: str) -> tuple[tuple[Lot, ...], int, list[Move]]:
    """The enrollment's lots and owed count as of `now`, with any lapsed lot expired."""
    lots, moves = expire(lots_of(enrollment), now)
    return lots, owed_of(enrollment), moves


def expire_lapsed(enrollment: Enrollment, now: str) -> Plan:
    lots, owed, moves = start(enrollment, now)
    return Plan(lots, owed, tuple(moves))


def charge(enrollment: Enrollment, now: str, *, kind: str, note: str | None = None) -> Plan:
    """One session taken: from the first usable lot, else owed."""
    lots, owed, moves = start(enrollment, now)
    order = usable(lots, now)
    if order:
        lot = order[0]
        lots = _put(lots, replace(lot, remaining=lot.remaining - 1))
        moves.append(Move(-1, kind, lot.lot_id, note))
    else:
        owed += 1
        moves.append(Move(-1, kind, None, note))
    return Plan(lots, owed, tuple(moves))


def give_back(enrollment: Enrollment, lot_id: str | None, now: str, *, kind: str, note: str | None = None) -> Plan:
    """One session given back to the lot it came from (see the module's rule)."""
    lots, owed, moves = start(enrollment, now)
    if lot_id is None and owed > 0:
        moves.append(Move(1, kind, None, note))
        return Plan(lots, owed - 1, tuple(moves))
    target = next((lot for lot in lots if lot.lot_id == lot_id), None) if lot_id else None
    if target is None and lot_id is None:
        settled = [lot for lot in lots if lot.settled > 0]
        if settled:
            target = max(settled, key=lambda lot: (lot.at, _lot_number(lot)))
            lots = _put(lots, replace(target, settled=target.settled - 1))
            target = replace(target, settled=target.settled - 1)
    if target is None:
        order = usable(lots, now)
        if not order:
            lot = Lot(lot_id=next_lot_id(lots), sessions=1, remaining=0, at=now, source=ADJUSTMENT, note=note)
            lots, order = lots + (lot,), [lot]
        target = order[0]
    if target.expired_at is not None:
        # Expired: written back and forfeited at once, never revived.
        moves.append(Move(1, kind, target.lot_id, note))
        moves.append(Move(-1, EXPIRY, target.lot_id, "given back after the lot expired: forfeited"))
        lots = _put(lots, replace(target, expired=target.expired + 1))
        return Plan(lots, owed, tuple(moves))
    target = replace(target, remaining=target.remaining + 1)
    moves.append(Move(1, kind, target.lot_id, note))
    target, owed = _settle(target, owed, moves)
    return Plan(_put(lots, target), owed, tuple(moves))


def _settle(lot: Lot, owed: int, moves: list[Move]) -> tuple[Lot, int]:
    """What is owed paid from `lot` first (a settlement pair of entries)."""
    paid = min(owed, lot.remaining)
    if not paid:
        return lot, owed
    note = f"{paid} owed session(s) paid from {lot.lot_id}"
    moves += [Move(-paid, SETTLEMENT, lot.lot_id, note), Move(paid, SETTLEMENT, None, note)]
    return replace(lot, remaining=lot.remaining - paid, settled=lot.settled + paid), owed - paid


def add(enrollment: Enrollment, lot: Lot, now: str, *, kind: str, note: str | None = None) -> Plan:
    """A new lot of `lot.sessions`; what is owed is settled from it first."""
    if lot.sessions <= 0:
        raise InvalidInput("a package holds at least one session", [{"field": "sessions", "message": "must be > 0"}])
    if lot.expires_at is not None and lot.expires_at <= now:
        raise InvalidInput(
            "the package would expire before it can be used", [{"field": "expires_at", "message": "in the past"}]
        )
    lots, owed, moves = start(enrollment, now)
    if len(lots) >= MAX_LOTS:
        raise InvalidInput(
            f"an enrollment holds at most {MAX_LOTS} packages", [{"field": "sessions", "message": "too many packages"}]
        )
    made = replace(lot, lot_id=next_lot_id(lots), remaining=lot.sessions, settled=0)
    moves.append(Move(lot.sessions, kind, made.lot_id, note))
    made, owed = _settle(made, owed, moves)
    return Plan(lots + (made,), owed, tuple(moves))


def take(enrollment: Enrollment, count: int, now: str, *, kind: str, note: str | None = None) -> Plan:
    """`count` sessions removed (a correction), from the lots in consumption order; one entry
    per lot touched. Refused beyond what the lots hold."""
    lots, owed, moves = start(enrollment, now)
    order = usable(lots, now)
    held = sum(lot.remaining for lot in order)
    if count > held - owed or count > held:
        balance = held - owed
        raise InsufficientBalance(
            f"the balance is {balance}; a change of {-count} would take it to {balance - count}, below the allowed 0",
            [{"field": "delta", "message": f"balance {balance} cannot go below 0"}],
        )
    left = count
    for lot in order:
        if not left:
            break
        used = min(left, lot.remaining)
        lots = _put(lots, replace(lot, remaining=lot.remaining - used))
        moves.append(Move(-used, kind, lot.lot_id, note))
        left -= used
    return Plan(lots, owed, tuple(moves))


# --- when lots lapse -------------------------------------------------------------------------


def due_at(lots: tuple[Lot, ...]) -> str | None:
    """The earliest expiry of a lot with sessions left (the expiry job's index key)."""
    return min(
        (lot.expires_at for lot in lots if lot.expires_at and lot.remaining and lot.expired_at is None), default=None
    )


def warn_at(lots: tuple[Lot, ...]) -> str | None:
    """The earliest expiry of a lot with sessions left whose lapse is not yet announced."""
    return min(
        (
            lot.expires_at
            for lot in lots
            if lot.expires_at and lot.remaining and lot.expired_at is None and lot.warned_at is None
        ),
        default=None,
    )


def to_warn(lots: tuple[Lot, ...], now: str, days: int) -> list[Lot]:
    horizon = _iso(_instant(now) + timedelta(days=days))
    return [
        lot
        for lot in lots
        if lot.expires_at
        and lot.remaining
        and lot.expired_at is None
        and lot.warned_at is None
        and lot.expires_at <= horizon
    ]


def warned(lots: tuple[Lot, ...], which: list[Lot], now: str) -> tuple[Lot, ...]:
    ids_ = {lot.lot_id for lot in which}
    return tuple(replace(lot, warned_at=now) if lot.lot_id in ids_ else lot for lot in lots)


# --- pauses ----------------------------------------------------------------------------------


def pause_at(enrollment: Enrollment, instant: str) -> Pause | None:
    """The pause a session starting at `instant` falls in, if any."""
    for pause in enrollment.pauses:
        end = pause.ended_early_at or pause.ends
        if pause.starts <= instant < end:
            return pause
    return None


def _shift(lots: tuple[Lot, ...], since: str, by: timedelta, made_by: str | None = None) -> tuple[Lot, ...]:
    """Every lot not yet expired whose expiry lies after `since` (and, with `made_by`, that
    existed by then) moves by `by`."""
    return tuple(
        replace(lot, expires_at=_iso(_instant(lot.expires_at) + by))
        if lot.expires_at
        and lot.expired_at is None
        and lot.expires_at > since
        and (made_by is None or lot.at <= made_by)
        else lot
        for lot in lots
    )


def add_pause(enrollment: Enrollment, pause: Pause, now: str) -> tuple[Plan, tuple[Pause, ...]]:
    """The pause added; lots already lapsed are expired first (a pause never revives one)."""
    if pause.ends <= pause.starts:
        raise InvalidInput("a pause ends after it starts", [{"field": "ends_on", "message": "not after starts_on"}])
    for other in enrollment.pauses:
        if other.starts < pause.ends and pause.starts < (other.ended_early_at or other.ends):
            raise InvalidInput(
                "the pause overlaps another one", [{"field": "starts_on", "message": f"overlaps {other.pause_id}"}]
            )
    lots, owed, moves = start(enrollment, now)
    length = _instant(pause.ends) - _instant(pause.starts)
    return Plan(_shift(lots, pause.starts, length), owed, tuple(moves)), enrollment.pauses + (pause,)


def end_pause(enrollment: Enrollment, pause_id: str, at: str) -> tuple[tuple[Lot, ...], tuple[Pause, ...]]:
    """The pause ends at `at` (not before it started, not after its end): the days not
    used are taken back from the expiries it moved."""
    pause = next((p for p in enrollment.pauses if p.pause_id == pause_id), None)
    if pause is None or pause.ended_early_at is not None:
        raise InvalidInput("no such running pause", [{"field": "pause_id", "message": "not found or ended"}])
    end = max(min(at, pause.ends), pause.starts)
    unused = _instant(pause.ends) - _instant(end)
    lots = _shift(lots_of(enrollment), end, -unused, made_by=pause.at) if unused else lots_of(enrollment)
    pauses = tuple(replace(p, ended_early_at=end) if p.pause_id == pause_id else p for p in enrollment.pauses)
    return lots, pauses
