"""Repository of enrollments and their ledgers (both in the schedule partition).

Access patterns (docs/architecture.md): 9-14. A balance only ever changes in
`commit_balance_change`, one transaction with its ledger entry.
"""
import zlib

from pynamodb.exceptions import DoesNotExist

from ..domain import stats as stats_domain
from ..domain import thresholds
from . import keys
from . import stats as stats_store
from .models import Enrollment, LedgerEntry, ThresholdChange
from .pages import Page, query_page
from .tx import ConditionFailed, Transaction, translate


def new_enrollment(cid: str, schedule_id: str, student_id: str, **fields) -> Enrollment:
    enrollment = Enrollment(
        keys.schedule_pk(cid, schedule_id), keys.enrollment_sk(student_id),
        schedule_id=schedule_id, student_id=student_id,
        GSI1PK=keys.person_pk(cid, student_id), GSI1SK=keys.person_enrollment_sk(schedule_id),
        **fields,
    )
    state = thresholds.alert_state(int(enrollment.balance), int(enrollment.threshold), 0,
                                   enrollment.status == "active")
    enrollment.alert_level = state.announced
    if state.needs_alert:
        enrollment.GSI4PK, enrollment.GSI4SK = _low_keys(enrollment)
    return enrollment


def _low_keys(enrollment: Enrollment) -> tuple[str, str]:
    shard = zlib.crc32(f"{enrollment.PK}|{enrollment.SK}".encode()) % keys.LOW_SHARDS
    return keys.low_pk(shard), f"{enrollment.PK}|{enrollment.SK}"


def alert_actions(enrollment: Enrollment, *, balance: int, status: str | None = None,
                  threshold: int | None = None) -> list:
    """Update actions that keep the enrollment's place in the low-balance index (GSI4) in
    step with its balance, status and threshold. Every write that changes one of those
    includes them, so the daily job finds exactly the crossings not yet announced."""
    status = status or enrollment.status
    threshold = int(threshold if threshold is not None else (enrollment.threshold or thresholds.DEFAULT_THRESHOLD))
    state = thresholds.alert_state(balance, threshold, int(enrollment.alert_level or 0), status == "active")
    actions = [Enrollment.threshold.set(threshold), Enrollment.alert_level.set(state.announced)]
    if state.needs_alert:
        pk, sk = _low_keys(enrollment)
        return actions + [Enrollment.GSI4PK.set(pk), Enrollment.GSI4SK.set(sk)]
    return actions + [Enrollment.GSI4PK.remove(), Enrollment.GSI4SK.remove()]


def new_ledger_entry(cid: str, enrollment: Enrollment, seq: int, **fields) -> LedgerEntry:
    return LedgerEntry(
        keys.schedule_pk(cid, enrollment.schedule_id), keys.ledger_sk(enrollment.student_id, seq),
        schedule_id=enrollment.schedule_id, student_id=enrollment.student_id, seq=seq, **fields,
    )


def enrollment_key(cid: str, schedule_id: str, student_id: str) -> tuple[str, str]:
    return keys.schedule_pk(cid, schedule_id), keys.enrollment_sk(student_id)


@translate
def get_enrollment(cid: str, schedule_id: str, student_id: str, consistent: bool = True) -> Enrollment | None:
    try:
        return Enrollment.get(keys.schedule_pk(cid, schedule_id), keys.enrollment_sk(student_id),
                              consistent_read=consistent)
    except DoesNotExist:
        return None


class AlreadyEnrolledError(Exception):
    pass


def create_enrollment(enrollment: Enrollment, initial_entry: LedgerEntry, extra: list | None = None) -> None:
    """Put the enrollment and its `initial` ledger entry together, once per student and schedule."""
    tx = Transaction().put(enrollment, condition=Enrollment.PK.does_not_exist())
    tx.put(initial_entry, condition=LedgerEntry.PK.does_not_exist())
    _count_sale(tx, initial_entry)
    for item in extra or []:
        tx.put(item, condition=type(item).PK.does_not_exist())
    try:
        tx.commit()
    except ConditionFailed as failed:
        if failed.failed_at(0):
            raise AlreadyEnrolledError() from failed
        raise


def add_balance_change(tx: Transaction, enrollment: Enrollment, delta: int, floor: int,
                       entry: LedgerEntry, updated_at: str, extra_actions: list | None = None,
                       status: str | None = None, threshold: int | None = None) -> Transaction:
    """Add "move this balance by `delta`, with its ledger entry" to a transaction.

    Conditional on the enrollment's version (VersionAttribute) and, as a second guard, on
    the balance staying at or above `floor`. `entry.seq` must be `enrollment.seq + 1`.
    The fact that causes the change (a mark, an idempotency record) joins the same
    transaction, so they commit together or not at all; the enrollment's place in the
    low-balance index moves with the balance (pass `status`/`threshold` when they change too).
    """
    condition = Enrollment.balance >= floor - delta if delta < 0 else None
    actions = [Enrollment.balance.add(delta), Enrollment.seq.set(entry.seq), Enrollment.updated_at.set(updated_at)]
    actions += alert_actions(enrollment, balance=int(enrollment.balance) + delta, status=status, threshold=threshold)
    tx.update(enrollment, actions=actions + list(extra_actions or []), condition=condition)
    tx.put(entry, condition=LedgerEntry.PK.does_not_exist())
    _count_sale(tx, entry)
    return tx


def _count_sale(tx: Transaction, entry: LedgerEntry) -> None:
    """Sessions sold (an initial balance or a top-up) count on the day of the sale."""
    if entry.kind in ("initial", "top_up") and int(entry.delta) > 0:
        cid = entry.PK.removeprefix("C#").split("#S#")[0]
        stats_store.add_counts(tx, cid, stats_domain.sale_counts(entry.schedule_id, entry.at[:10], int(entry.delta)))


@translate
def roster(cid: str, schedule_id: str) -> list[Enrollment]:
    """Every enrollment of a schedule, active and ended (a roster is one class, not paged)."""
    return list(Enrollment.query(keys.schedule_pk(cid, schedule_id), Enrollment.SK.startswith(keys.enrollment_sk()),
                                 consistent_read=True))


def list_schedule_enrollments(cid: str, schedule_id: str, limit: int, cursor: str | None) -> Page[Enrollment]:
    return query_page(Enrollment, keys.schedule_pk(cid, schedule_id),
                      Enrollment.SK.startswith(keys.enrollment_sk()), limit=limit, cursor=cursor)


def list_student_enrollments(cid: str, student_id: str, limit: int, cursor: str | None) -> Page[Enrollment]:
    return query_page(Enrollment.by_person, keys.person_pk(cid, student_id),
                      Enrollment.GSI1SK.startswith(keys.person_enrollment_sk()), hash_attr="GSI1PK",
                      limit=limit, cursor=cursor)


def list_ledger(cid: str, schedule_id: str, student_id: str, limit: int, cursor: str | None) -> Page[LedgerEntry]:
    return query_page(LedgerEntry, keys.schedule_pk(cid, schedule_id),
                      LedgerEntry.SK.startswith(keys.ledger_prefix(student_id)),
                      limit=limit, cursor=cursor, consistent=True)


@translate
def low_enrollments(shard: int) -> list[Enrollment]:
    """Enrollments (of every company) with a low-balance crossing not yet announced."""
    return list(Enrollment.attention.query(keys.low_pk(shard)))


@translate
def update_enrollment_item(enrollment: Enrollment, actions: list) -> None:
    """A conditional update (on the version read) of an enrollment's fields."""
    enrollment.update(actions=actions)


@translate
def record_threshold_change(cid: str, scope: str) -> None:
    """Note that a schedule's or the company's threshold changed: the daily job brings the
    enrollments under it in line before it looks for low balances."""
    ThresholdChange(keys.company_pk(cid) + "#RETHRESHOLD", scope, company_id=cid, scope=scope,
                    GSI4PK=keys.THRESHOLD_CHANGES_PK, GSI4SK=f"{cid}#{scope}").save()


@translate
def pending_threshold_changes() -> list[ThresholdChange]:
    return list(ThresholdChange.attention.query(keys.THRESHOLD_CHANGES_PK))


@translate
def forget_threshold_change(change: ThresholdChange) -> None:
    change.delete()
