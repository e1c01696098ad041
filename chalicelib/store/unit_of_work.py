"""The unit of work: one use case step's reads for update (`get`, `load`), its one
transaction, its idempotency record and its retries. Every write of OptClass goes through
here.

It is long because the retry policy, the lost-answer resend, the idempotency record and the
transaction's limits must be read together to see that a write happens exactly once; the
explanation below is most of its length.

A service says what should happen; `run(step)` runs `step(uow)`, which reads through the
repositories and stages writes on the `UnitOfWork` (repositories turn records into items and
conditions). When the step returns, its writes are committed as one TransactWriteItems
(with the request's idempotency record, when it carries an Idempotency-Key).

What a failed DynamoDB request means, and what happens then:

- *Ambiguous* (a timeout, a closed connection, a 5xx after the request left): the
  transaction may have committed. The very same request, with the same ClientRequestToken,
  is sent again before anything is re-read; DynamoDB answers a resent committed transaction
  with success and applies it once (for 10 minutes). Still unknown after `SEND_ATTEMPTS`:
  `OutcomeUnknown` (503), never a re-run that could apply it twice.
- *Throttled*, or *not sent* (no connection): nothing was applied; the step runs again.
- *A condition failed* (someone changed what the step read) or *a transaction conflict*
  (another transaction held one of the items): nothing was applied; the whole step runs
  again from fresh reads, after a jittered pause.
- A read that fails transiently: the step runs again.

The bound: a step runs at most 8 times (at most 3 of them after transient errors), and
each run makes its idempotency lookup (with a key), its reads (a BatchGetItem re-asks
unprocessed keys at most 3 times) and at most `SEND_ATTEMPTS` sends of its transaction;
then the caller gets 503 with Retry-After. So a mark (one read, one transaction) makes at
most 8 x (4 + 3) = 56 requests, under lasting throttling 3 x (1 + 1) = 6. botocore itself
sends every request once. A use case of several steps (a bulk mark, a school cancellation
of a large class) runs each step under the same bound. Steps do not nest: `run` inside a
step is a bug and raises. (How failures are sorted: store/failures.py.)
"""

import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, TypeVar, runtime_checkable

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from .. import clock, config
from ..domain import balances, lots, records, thresholds
from ..errors import IdempotencyKeyReused, OutcomeUnknown, StoreUnavailable
from . import engine
from . import models as m
from .failures import (
    AMBIGUOUS,
    NOT_SENT,
    SERVER_SIDE,
    THROTTLED,
    ConditionFailed,
    Contended,
    TransientStoreError,
    _codes,
    active_step,
    translate,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
R = TypeVar("R", bound="DataclassInstance")  # a record (a dataclass of chalicelib/domain/records.py)


@runtime_checkable
class Versioned(Protocol):
    """A record of a versioned item: the version it was read at (0: not stored yet)."""

    @property
    def version(self) -> int: ...


SEND_ATTEMPTS = 3  # sends of one transaction (the first included) before giving up
MAX_ACTIONS = 100  # DynamoDB's limit of actions per transaction
MAX_BYTES = 4 * 1024 * 1024  # and of their aggregate size

# --- reading for update --------------------------------------------------------------------

UNPROCESSED_ROUNDS = 3  # BatchGetItem: unprocessed keys asked again at most this often
BATCH_LIMIT = 100


@dataclass(frozen=True)
class Ref:
    """One record to read: its item type and key (the item type builds the key)."""

    model: type[m.Item]
    key: tuple[str, str]


@translate
def get(ref: Ref) -> Any | None:
    """One record (the item itself for the store's own bookkeeping items), or None."""
    try:
        item = ref.model.get(*ref.key, consistent_read=True)
        return item.record() if item.RECORD else item
    except DoesNotExist:
        return None


@translate
def load(refs: Iterable[Ref]) -> dict[Ref, Any]:
    """The records found, by ref (missing ones are absent; the store's own bookkeeping items,
    which have no record, come as items); one BatchGetItem per 100."""
    wanted = list(dict.fromkeys(refs))
    by_key = {r.key: r for r in wanted}
    found: dict[Ref, Any] = {}
    client = engine.connection().client
    table = config.table_name()
    for start in range(0, len(wanted), BATCH_LIMIT):
        request = {
            table: {
                "Keys": [{"PK": {"S": r.key[0]}, "SK": {"S": r.key[1]}} for r in wanted[start : start + BATCH_LIMIT]],
                "ConsistentRead": True,
            }
        }
        for round_ in range(UNPROCESSED_ROUNDS + 1):
            answer = client.batch_get_item(RequestItems=request)
            for raw in answer.get("Responses", {}).get(table, []):
                item = m.Item.from_raw_data(raw)
                found[by_key[(item.PK, item.SK)]] = item.record() if item.RECORD else item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            if round_ == UNPROCESSED_ROUNDS:
                raise TransientStoreError("BatchGetItem left keys unprocessed")
            time.sleep(config.store_backoff_base_seconds() * (2**round_))
    return found


# --- idempotency -------------------------------------------------------------------------------


@dataclass
class Idempotency:
    """A request's Idempotency-Key: who sent it, a digest of what it asked, and how to
    render its answer for a replay. Its record is written in the transaction of the effect."""

    company_id: str
    subject: str
    key: str
    fingerprint: str
    render: Callable[[Any], tuple[int, str]]
    recorded: bool = False


class Replayed(Exception):
    """Raised instead of running a use case again: the answer first given to this
    Idempotency-Key, for the route to send as it was (so a use case's return type is only
    ever its own result)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"answered before with {status}")
        self.status = status
        self.body = body


Refusal = Callable[[], Exception] | None

# --- the unit of work --------------------------------------------------------------------------

_active = active_step

MODELS: dict[type, type[m.Item]] = {
    model.RECORD: model
    for model in (
        m.Company,
        m.CountedThrough,
        m.StaffMember,
        m.Student,
        m.UserRef,
        m.Schedule,
        m.Enrollment,
        m.LedgerEntry,
        m.Session,
        m.Mark,
        m.Seat,
        m.NoShowRun,
        m.RecurringPlan,
        m.ThresholdChange,
        m.Notification,
        m.OutboxMessage,
        m.Integration,
        m.Booking,
        m.Delivery,
        m.Stats,
        m.Import,
        m.ImportPart,
        m.ImportRow,
    )
}


def item_of(record: Any) -> m.Item:
    return MODELS[type(record)].of(record)


class UnitOfWork:
    """The writes of one step, committed together or not at all."""

    def __init__(self, company_id: str | None, idempotency: Idempotency | None = None):
        self.company_id = company_id
        self.idempotency = idempotency
        self._actions: list[dict] = []
        self._targets: list[tuple[str, str]] = []
        self._refusals: list[Refusal] = []
        self._answer_at: int | None = None  # where the idempotency record is among the actions
        self.sends = 0

    def __len__(self) -> int:
        return len(self._actions)

    # Staging, for repositories: an item (or a key) and the condition it is written under.

    def put(self, item: m.Item, condition=None, refusal: Refusal = None) -> None:
        """Put the item; a versioned item only over the version it was read at (absent if 0)."""
        self._stage("Put", item.get_save_kwargs_from_instance(condition=condition), (item.PK, item.SK), refusal)

    def update(
        self, item: m.Item, actions: list, condition=None, *, versioned: bool = True, refusal: Refusal = None
    ) -> None:
        kwargs = item.get_update_kwargs_from_instance(
            actions=actions, condition=condition, add_version_condition=versioned
        )
        self._stage("Update", kwargs, (item.PK, item.SK), refusal)

    def delete(self, item: m.Item, condition=None, refusal: Refusal = None) -> None:
        self._stage("Delete", item.get_delete_kwargs_from_instance(condition=condition), (item.PK, item.SK), refusal)

    def check(self, model: type[m.Item], key: tuple[str, str], condition, refusal: Refusal = None) -> None:
        self._stage("ConditionCheck", model.get_operation_kwargs_from_class(*key, condition=condition), key, refusal)

    def _stage(self, action: str, kwargs: dict, target: tuple[str, str], refusal: Refusal) -> None:
        kwargs = {k: v for k, v in kwargs.items() if v not in (None, {}, [])}
        self._actions.append({action: kwargs})
        self._targets.append(target)
        self._refusals.append(refusal)

    # Records, for repositories and services: create once, or save over the version read.

    def create(self, record: R, refusal: Refusal = None) -> R:
        """Put a new record. If it exists already, the step fails with `refusal()` when one is
        given (a business answer such as "already enrolled"), else it runs again.
        Returns the record as it will be stored."""
        item = item_of(record)
        self.put(item, condition=type(item).PK.does_not_exist(), refusal=refusal)
        return _stored_version(record, item)

    def save(self, record: R, refusal: Refusal = None) -> R:
        """Put a changed record over the version it was read at (a new one: if absent).
        Returns the record as it will be stored (its version one higher)."""
        item = item_of(record)
        if type(item)._version_attribute_name is None:
            raise TypeError(f"{type(record).__name__} is not versioned: create or overwrite it")
        self.put(item, refusal=refusal)
        return _stored_version(record, item)

    def overwrite(self, record: Any, condition=None) -> None:
        """Put a record whatever the stored one says (items only the system writes)."""
        self.put(item_of(record), condition=condition)

    def remove(self, record: Any) -> None:
        """Delete a record, over the version it was read at when it has one."""
        self.delete(item_of(record))

    # The one place a balance changes.

    def move_balance(
        self,
        enrollment: records.Enrollment,
        plan: "lots.Plan",
        *,
        floor: int,
        actor: str,
        at: str,
        reference: str | None = None,
        **changes: Any,
    ) -> tuple[records.Enrollment, list[records.LedgerEntry]]:
        """Stage: the enrollment's lots, owed count and balance as `plan` says, with one
        ledger entry per move (each naming its lot), conditional on the version read and, as
        a second guard, on the balance staying at or above `floor` when it falls. `changes`
        are other fields of the enrollment changed in the same write. Returns the enrollment
        and the entries as they will be once committed."""
        delta = plan.delta
        if delta < 0:
            balances.plan_change(enrollment.balance, enrollment.seq, delta, floor=floor)  # refuses below the floor
        balance, seq, entries = enrollment.balance, enrollment.seq, []
        for move in plan.moves:
            balance, seq = balance + move.delta, seq + 1
            entries.append(
                records.LedgerEntry(
                    company_id=enrollment.company_id,
                    schedule_id=enrollment.schedule_id,
                    student_id=enrollment.student_id,
                    seq=seq,
                    at=at,
                    delta=move.delta,
                    balance_after=balance,
                    kind=move.kind,
                    actor=actor,
                    reference=reference,
                    note=move.note,
                    lot_id=move.lot_id,
                )
            )
        after = thresholds.rearmed(
            replace(enrollment, balance=balance, seq=seq, lots=plan.lots, owed=plan.owed, updated_at=at, **changes)
        )
        item = m.Enrollment.of(enrollment)
        keyed = m.Enrollment.of(after)
        actions: list[Action] = [
            m.Enrollment.seq.set(seq),
            m.Enrollment.updated_at.set(at),
            m.Enrollment.alert_level.set(after.alert_level),
            m.Enrollment.lots.set(m._stored(plan.lots) or []),
            m.Enrollment.owed.set(plan.owed),
        ]
        if delta:
            actions.append(m.Enrollment.balance.add(delta))
        for name in ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK", "LSI1SK"):
            value, attribute = getattr(keyed, name), getattr(m.Enrollment, name)
            actions.append(attribute.set(value) if value else attribute.remove())
        for name, value in changes.items():
            attribute = getattr(m.Enrollment, name)
            actions.append(attribute.set(m._stored(value)) if value is not None else attribute.remove())
        condition = m.Enrollment.balance >= floor - delta if delta < 0 else None
        self.update(item, actions, condition)
        for entry in entries:
            self.create(entry)
        return replace(after, version=enrollment.version + 1), entries

    # Committing.

    def commit(self, answer: Any = None) -> None:
        """Send the staged writes (and the idempotency record, with `answer`) as one transaction."""
        if self.idempotency is not None and not self.idempotency.recorded:
            self._stage_answer(self.idempotency, answer)
        if not self._actions:
            return
        if len(self._actions) > MAX_ACTIONS:
            raise TransactionTooLarge(f"{len(self._actions)} actions in one transaction")
        params = {"TransactItems": self._actions, "ClientRequestToken": str(uuid.uuid4())}
        if len(json.dumps(params, default=str)) > MAX_BYTES:
            raise TransactionTooLarge("the transaction is over 4 MB")
        from . import logins

        refs = [target for target in self._targets if logins.remembered(target[1])]
        try:
            self._send(params)
        finally:
            for pk, sk in refs:  # a login or company changed (or may have): this container reads it again
                logins.forget(pk, sk)
        self._actions, self._targets, self._refusals, self._answer_at = [], [], [], None
        if self.idempotency is not None:
            self.idempotency.recorded = True

    def _stage_answer(self, claim: Idempotency, answer: Any) -> None:
        status, body = claim.render(answer)
        now = time.time()
        record = m.IdempotencyRecord(
            *m.IdempotencyRecord.key(claim.company_id, claim.subject, claim.key),
            company_id=claim.company_id,
            fingerprint=claim.fingerprint,
            status_code=status,
            body=body,
            created_at=clock.now_iso(),
            expires_at=int(now + config.idempotency_ttl_seconds()),
        )
        # A record whose TTL passed but that DynamoDB has not deleted yet no longer counts.
        self._answer_at = len(self._actions)
        self.put(
            record, condition=m.IdempotencyRecord.PK.does_not_exist() | (m.IdempotencyRecord.expires_at <= int(now))
        )

    def _send(self, params: dict) -> None:
        """Send the transaction; resend the very same request (same token) while its outcome
        is unknown, at most SEND_ATTEMPTS sends in all."""
        client = engine.connection().client
        unsure = False
        for send in range(1, SEND_ATTEMPTS + 1):
            self.sends += 1
            engine.note_send(resend=send > 1)
            try:
                client.transact_write_items(**params)
                return
            except AMBIGUOUS:
                unsure = True  # it may have committed: resend the same request, same token
            except NOT_SENT as error:
                if not unsure:  # it never left: nothing was applied, the step runs again
                    raise TransientStoreError(type(error).__name__) from error
            except ClientError as error:
                code, reasons = _codes(error)
                if "ConditionalCheckFailed" in reasons or code == "ConditionalCheckFailedException":
                    self._refuse(reasons)
                    raise ConditionFailed(reasons or ["ConditionalCheckFailed"]) from error
                if "TransactionConflict" in reasons or code == "TransactionConflictException":
                    raise Contended(str(reasons)) from error
                if code in SERVER_SIDE or code == "TransactionInProgressException":
                    unsure = True
                elif code in THROTTLED or {"ThrottlingError", "ProvisionedThroughputExceeded"} & set(reasons):
                    if not unsure:  # refused before it ran: nothing was applied, the step runs again
                        raise TransientStoreError(code) from error
                else:
                    raise  # a bug (validation, a mismatched token): not the store's weather
            if send < SEND_ATTEMPTS:
                _pause(send, base=config.store_backoff_base_seconds(), cap=0.25)
        raise OutcomeUnknown()

    def _refuse(self, reasons: list[str | None]) -> None:
        """A failed condition that answers the request (staged with a refusal) ends the step,
        unless the request's own idempotency record failed too: a twin request with the same
        key got there first, and the step runs again to replay its answer."""
        if (
            self._answer_at is not None
            and self._answer_at < len(reasons)
            and reasons[self._answer_at] == "ConditionalCheckFailed"
        ):
            return
        for reason, refusal in zip(reasons, self._refusals):
            if reason == "ConditionalCheckFailed" and refusal is not None:
                raise refusal()


def _stored_version(record: R, item: m.Item) -> R:
    if type(item)._version_attribute_name is None:
        return record
    if not isinstance(record, Versioned):
        raise TypeError(f"{type(record).__name__} has no version, but its item is versioned")
    return replace(record, version=record.version + 1)


class TransactionTooLarge(Exception):
    """A use case staged more than DynamoDB takes in one transaction: a bug, never data."""


def _pause(attempt: int, base: float, cap: float) -> None:
    """Full jitter: a random pause up to base * 2**attempt, at most `cap` seconds."""
    time.sleep(random.uniform(0, min(cap, base * (2**attempt))))


def active() -> UnitOfWork | None:
    return _active.get()


def run(step: Callable[[UnitOfWork], T], *, company_id: str | None, idempotency: Idempotency | None = None) -> T:
    """Run one step of a use case under the retry policy and commit what it staged.

    A step runs at most `store_max_attempts()` times (8): again after a failed condition or a
    transaction conflict, and, at most `store_transient_attempts()` times in all (3), after a
    throttled or failed read or send. Between runs: a jittered pause, doubling each time.

    With `idempotency`, an answer already recorded for the key is raised (`Replayed`)
    instead of running the step, and the step's answer is recorded with its writes."""
    if _active.get() is not None:
        raise RuntimeError("steps do not nest: compose use cases inside one step instead")
    most, transient_most = config.store_max_attempts(), config.store_transient_attempts()
    runs = transient = 0
    while True:
        runs += 1
        uow = UnitOfWork(company_id, idempotency)
        token = _active.set(uow)
        try:
            if idempotency is not None:
                _replay_if_answered(idempotency)
            result = step(uow)
            uow.commit(result)
            return result
        except TransientStoreError:
            transient += 1
            if transient >= transient_most or runs >= most:
                break
        except (ConditionFailed, Contended):
            if runs >= most:
                break
        finally:
            _active.reset(token)
        engine.note_retry()
        _pause(runs, base=config.store_backoff_base_seconds(), cap=config.store_backoff_cap_seconds())
    raise StoreUnavailable()


def _replay_if_answered(claim: Idempotency) -> None:
    """Raise `Replayed` with the answer recorded for the claim's key, if there is one."""
    record = _get_record(claim)
    if record is None or record.expires_at <= time.time():
        return  # TTL deletion is lazy: an expired record no longer counts
    if record.fingerprint != claim.fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used with another request",
            [{"field": "Idempotency-Key", "message": "reused with a different body"}],
        )
    claim.recorded = True
    raise Replayed(status=int(record.status_code), body=json.loads(record.body))


@translate
def _get_record(claim: Idempotency) -> m.IdempotencyRecord | None:
    try:
        return m.IdempotencyRecord.get(
            *m.IdempotencyRecord.key(claim.company_id, claim.subject, claim.key), consistent_read=True
        )
    except DoesNotExist:
        return None


def reading(fn: Callable[[], T], *, company_id: str | None) -> T:
    """A read-only use case under the same retry policy (it stages nothing)."""
    return run(lambda uow: fn(), company_id=company_id)


def in_steps(fn: Callable[[], T], *, company_id: str, idempotency: Idempotency | None) -> T:
    """A use case of several steps (each its own `run`), answered once per Idempotency-Key:
    the recorded answer is replayed (raised), else the steps run and the answer is recorded
    last (each step is idempotent on its own, so a retry after a failure part-way converges)."""
    if idempotency is not None:
        reading(lambda: _replay_if_answered(idempotency), company_id=company_id)
    result = fn()
    if idempotency is None:
        return result
    return run(lambda uow: result, company_id=company_id, idempotency=idempotency)


def fingerprint(method: str, path: str, raw_body: bytes) -> str:
    """A digest of what a request asked, to tell a retry from another request under one key."""
    try:
        canonical = json.dumps(json.loads(raw_body or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = (raw_body or b"").decode("utf-8", "replace")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()
