"""The invariants of the stored state, checked from the raw items of the table.

- every enrollment's balance equals the sum of its ledger deltas, its ledger is gap-free
  (sequence numbers 1..n, the enrollment's `seq` is n) and every entry's `balance_after` is
  the running sum;
- no mark is charged twice: the ledger entries of an enrollment that refer to a session
  (`session:<session_id>`) sum to -1 when the student's mark on it is charged, else to 0;
- every enrollment with lots: its balance is the sum of its unexpired lots' `remaining`
  minus what it owes; no lot is below zero or above its size, an expired lot holds
  nothing; each lot's ledger entries sum to what it holds (the opening lot `L0` of an
  enrollment from before lots: to what it holds beyond what it started with) and the
  entries naming no lot to minus what is owed;
- the report counters (`stats` items), once the table's stream is applied, equal a recount
  from the raw sessions, marks and ledger (the rules of `chalicelib/domain/stats.py`,
  applied from scratch).

`check_invariants()` reads the whole table (or takes the items read already), fails with
every violation listed, and returns the items for further assertions.
"""

from collections import defaultdict

from chalicelib import ids
from chalicelib.domain.stats import FIELDS, local_day
from tests.support import table_items


def _s(item: dict, name: str) -> str | None:
    value = item.get(name)
    return value.get("S") if value else None


def _n(item: dict, name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if value and "N" in value else 0


def _type(item: dict) -> str | None:
    return _s(item, "type")


def company_of(item: dict) -> str | None:
    """The company an item belongs to (None for items of no company: the outbox, indexes' markers)."""
    pk = item["PK"]["S"]
    return pk.split("#")[1] if pk.startswith("C#") else None


def ledger_violations(items: list[dict]) -> list[str]:
    enrollments = {(i["PK"]["S"], _s(i, "student_id")): i for i in items if _type(i) == "enrollment"}
    ledgers: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for item in items:
        if _type(item) == "ledger":
            ledgers[(item["PK"]["S"], _s(item, "student_id"))].append(item)
    problems = []
    for key in sorted(set(enrollments) | set(ledgers)):
        entries = sorted(ledgers.get(key, []), key=lambda e: _n(e, "seq"))
        enrollment = enrollments.get(key)
        if enrollment is None:
            problems.append(f"{key}: {len(entries)} ledger entries without an enrollment")
            continue
        seqs = [_n(e, "seq") for e in entries]
        if seqs != list(range(1, len(entries) + 1)):
            problems.append(f"{key}: ledger sequence numbers {seqs} are not 1..{len(entries)}")
        if _n(enrollment, "seq") != len(entries):
            problems.append(f"{key}: enrollment seq {_n(enrollment, 'seq')} but {len(entries)} ledger entries")
        running = 0
        for entry in entries:
            running += _n(entry, "delta")
            if _n(entry, "balance_after") != running:
                problems.append(
                    f"{key}: entry {_n(entry, 'seq')} has balance_after {_n(entry, 'balance_after')}, "
                    f"running sum {running}"
                )
        if _n(enrollment, "balance") != running:
            problems.append(f"{key}: balance {_n(enrollment, 'balance')} != sum of ledger deltas {running}")
    return problems


def lot_violations(items: list[dict]) -> list[str]:
    sums: dict[tuple[str, str, str | None], int] = defaultdict(int)
    for item in items:
        if _type(item) == "ledger":
            sums[(item["PK"]["S"], _s(item, "student_id"), _s(item, "lot_id"))] += _n(item, "delta")
    problems = []
    for e in items:
        if _type(e) != "enrollment" or "lots" not in e:
            continue
        key = (e["PK"]["S"], _s(e, "student_id"))
        lots = [lot["M"] for lot in e["lots"]["L"]]
        owed = _n(e, "owed")
        held = sum(_n(lot, "remaining") for lot in lots if "expired_at" not in lot)
        if _n(e, "balance") != held - owed:
            problems.append(f"{key}: balance {_n(e, 'balance')} != lots {held} - owed {owed}")
        legacy = any(_s(lot, "lot_id") == "L0" for lot in lots)
        for lot in lots:
            lot_id, remaining, sessions = _s(lot, "lot_id"), _n(lot, "remaining"), _n(lot, "sessions")
            if not 0 <= remaining <= sessions or ("expired_at" in lot and remaining):
                problems.append(f"{key}: lot {lot_id} holds {remaining} of {sessions}")
            expected = remaining - sessions if lot_id == "L0" else remaining
            if sums.get((*key, lot_id), 0) != expected:
                problems.append(f"{key}: lot {lot_id} entries sum to {sums.get((*key, lot_id), 0)}, not {expected}")
        if not legacy and sums.get((*key, None), 0) != -owed:
            problems.append(f"{key}: entries of no lot sum to {sums.get((*key, None), 0)}, owed {owed}")
    return problems


def charge_violations(items: list[dict]) -> list[str]:
    expected: dict[tuple[str, str, str], int] = {}
    for mark in items:
        if _type(mark) == "mark":
            reference = f"session:{ids.session_id(_s(mark, 'schedule_id'), _s(mark, 'session_key'))}"
            charged = bool(mark.get("charged", {}).get("BOOL"))
            expected[(mark["PK"]["S"], _s(mark, "student_id"), reference)] = -1 if charged else 0
    moved: dict[tuple[str, str, str], int] = defaultdict(int)
    for entry in items:
        reference = _s(entry, "reference") or ""
        if _type(entry) == "ledger" and reference.startswith("session:"):
            moved[(entry["PK"]["S"], _s(entry, "student_id"), reference)] += _n(entry, "delta")
    return [
        f"{key}: the ledger moved {moved.get(key, 0)} for this session, the mark says {expected.get(key, 0)}"
        for key in sorted(set(expected) | set(moved))
        if moved.get(key, 0) != expected.get(key, 0)
    ]


def recount_stats(items: list[dict]) -> dict[tuple[str, str, str, str], dict[str, int]]:
    """(company, dimension, entity, day) -> counters, recomputed from sessions, marks and ledger."""
    counts: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sessions = {}
    for s in items:
        if _type(s) == "session":
            sessions[(s["PK"]["S"], _s(s, "session_key"))] = s
            cid, tz = company_of(s), _s(s, "timezone") or "UTC"
            day = local_day(_s(s, "starts_at"), tz)
            cancelled = _s(s, "status") == "cancelled"
            for dim, entity in (("teacher", _s(s, "teacher_id")), ("schedule", _s(s, "schedule_id")), ("company", "-")):
                row = counts[(cid, dim, entity, day)]
                row["sessions"] += 1
                row["cancelled"] += int(cancelled)
                row["seats"] += 0 if cancelled else _n(s, "seats")
    for m in items:
        if _type(m) != "mark":
            continue
        session = sessions.get((m["PK"]["S"], _s(m, "session_key")))
        day = local_day(_s(m, "starts_at"), (_s(session, "timezone") if session else None) or "UTC")
        status = _s(m, "status")
        name = {"attended": "attended", "no_show": "no_show"}.get(status) or (
            "cancelled_school" if _s(m, "cancelled_by") == "school" else "cancelled_student"
        )
        for dim, entity in (
            ("student", _s(m, "student_id")),
            ("teacher", _s(m, "teacher_id")),
            ("schedule", _s(m, "schedule_id")),
            ("company", "-"),
        ):
            row = counts[(company_of(m), dim, entity, day)]
            row[name] += 1
            row["charged"] += int(bool(m.get("charged", {}).get("BOOL")))
    for e in items:
        if _type(e) == "ledger" and _s(e, "kind") in ("initial", "top_up") and _n(e, "delta") > 0:
            for dim, entity in (("schedule", _s(e, "schedule_id")), ("company", "-")):
                counts[(company_of(e), dim, entity, _s(e, "at")[:10])]["sold"] += _n(e, "delta")
        if _type(e) == "ledger" and _s(e, "kind") == "expiry" and _n(e, "delta") < 0:
            for dim, entity in (("schedule", _s(e, "schedule_id")), ("company", "-")):
                counts[(company_of(e), dim, entity, _s(e, "at")[:10])]["forfeited"] -= _n(e, "delta")
    return {key: {f: v for f, v in row.items() if v} for key, row in counts.items() if any(row.values())}


def stored_stats(items: list[dict]) -> dict[tuple[str, str, str, str], dict[str, int]]:
    out = {}
    for item in items:
        if _type(item) != "stats":
            continue
        row = {f: _n(item, f) for f in FIELDS if _n(item, f)}
        if row:
            out[(company_of(item), _s(item, "dimension"), _s(item, "entity"), _s(item, "day"))] = row
    return out


def stats_violations(items: list[dict]) -> list[str]:
    expected, stored = recount_stats(items), stored_stats(items)
    return [
        f"counters {key}: stored {stored.get(key, {})}, recount {expected.get(key, {})}"
        for key in sorted(set(expected) | set(stored), key=str)
        if stored.get(key) != expected.get(key)
    ]


def violations(items: list[dict]) -> list[str]:
    return ledger_violations(items) + lot_violations(items) + charge_violations(items) + stats_violations(items)


def drain_stream() -> int:
    """Apply every change still waiting in the table's stream to the report counters, through
    the very handler Lambda calls (the counters follow the stream)."""
    from chalicelib.services import counters

    return counters.drain_local()


def check_invariants(items: list[dict] | None = None, company_id: str | None = None) -> list[dict]:
    """Assert every invariant on the stored items (of one company, if given); returns the items.
    Without `items`, the stream is applied first and the whole table read."""
    if items is None:
        drain_stream()
        items = table_items()
    if company_id is not None:
        items = [i for i in items if company_of(i) == company_id]
    problems = violations(items)
    assert problems == [], "invariants broken:\n" + "\n".join(problems)
    return items
