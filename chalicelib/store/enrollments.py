"""Repository of enrollments and their ledgers (both in the schedule partition).

Access patterns (docs/architecture.md): 9-14. A balance only ever changes in
`commit_balance_change`, one transaction with its ledger entry.
"""
from pynamodb.exceptions import DoesNotExist

from . import keys
from .models import Enrollment, LedgerEntry
from .pages import Page, query_page
from .tx import ConditionFailed, Transaction, translate


def new_enrollment(cid: str, schedule_id: str, student_id: str, **fields) -> Enrollment:
    return Enrollment(
        keys.schedule_pk(cid, schedule_id), keys.enrollment_sk(student_id),
        schedule_id=schedule_id, student_id=student_id,
        GSI1PK=keys.person_pk(cid, student_id), GSI1SK=keys.person_enrollment_sk(schedule_id),
        **fields,
    )


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
    for item in extra or []:
        tx.put(item, condition=type(item).PK.does_not_exist())
    try:
        tx.commit()
    except ConditionFailed as failed:
        if failed.failed_at(0):
            raise AlreadyEnrolledError() from failed
        raise


def add_balance_change(tx: Transaction, enrollment: Enrollment, delta: int, floor: int,
                       entry: LedgerEntry, updated_at: str, extra_actions: list | None = None) -> Transaction:
    """Add "move this balance by `delta`, with its ledger entry" to a transaction.

    Conditional on the enrollment's version (VersionAttribute) and, as a second guard, on
    the balance staying at or above `floor`. `entry.seq` must be `enrollment.seq + 1`.
    The fact that causes the change (a mark, an idempotency record) joins the same
    transaction, so they commit together or not at all.
    """
    condition = Enrollment.balance >= floor - delta if delta < 0 else None
    actions = [Enrollment.balance.add(delta), Enrollment.seq.set(entry.seq), Enrollment.updated_at.set(updated_at)]
    tx.update(enrollment, actions=actions + list(extra_actions or []), condition=condition)
    tx.put(entry, condition=LedgerEntry.PK.does_not_exist())
    return tx


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
