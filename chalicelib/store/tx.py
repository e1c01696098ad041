"""Transactions, and what a failed DynamoDB call means for the caller.

`Transaction` collects the writes of one use case and commits them in one
TransactWriteItems. Store failures are sorted into three kinds:

- `ConditionFailed`: a condition in the write did not hold (someone else changed the item
  since we read it, or a put-if-absent found the item). The use case re-reads and decides.
- `TransientStoreError`: throttling, a transaction conflict, a timeout. Safe to retry,
  because a transaction either commits whole or not at all.
- anything else is a bug and propagates.

`retrying` runs a whole use case (reads included) again on both of the first two, a
bounded number of times with jittered backoff, then gives up with `StoreUnavailable`.
"""
import random
import time
from typing import Any, Callable, TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

from .. import config
from ..errors import StoreUnavailable
from . import engine

T = TypeVar("T")

TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
}
TRANSIENT_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
TRANSIENT_BOTOCORE = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)

# Optimistic writes lose to concurrent writers of the same enrollment or mark; they re-read
# and try again. Contention is a handful of people clicking on one student, so this bound
# is generous.
MAX_STALE_ATTEMPTS = 25


class ConditionFailed(Exception):
    def __init__(self, reasons: list[str | None]):
        super().__init__(f"condition failed: {reasons}")
        self.reasons = reasons

    def failed_at(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


class TransientStoreError(Exception):
    pass


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__


def _reasons(error: ClientError) -> list[str | None]:
    raw = error.response.get("CancellationReasons")
    if raw:
        return [r.get("Code") for r in raw]
    # PynamoDB keeps the reasons on its own error, with None for "no failure here".
    return [getattr(r, "code", None) for r in getattr(error, "cancellation_reasons", None) or []]


def classify(exc: BaseException) -> Exception | None:
    """Translate a store exception into ConditionFailed / TransientStoreError, else None."""
    for link in _chain(exc):
        if isinstance(link, TRANSIENT_BOTOCORE):
            return TransientStoreError(str(link))
        if isinstance(link, ClientError):
            code = link.response.get("Error", {}).get("Code", "")
            reasons = _reasons(link)
            if code in TRANSIENT_CODES or any(r in TRANSIENT_REASONS for r in reasons):
                return TransientStoreError(code)
            if code == "ConditionalCheckFailedException":
                return ConditionFailed(["ConditionalCheckFailed"])
            if code == "TransactionCanceledException":
                if "ConditionalCheckFailed" in reasons:
                    return ConditionFailed([None if r == "None" else r for r in reasons])
            return None
    return None


def translate(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator for repository functions: raise our store errors, not the driver's."""

    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except (PynamoDBException, ClientError, *TRANSIENT_BOTOCORE) as exc:
            mapped = classify(exc)
            if mapped is None:
                raise
            raise mapped from exc

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class Transaction:
    """The writes of one use case, committed together or not at all."""

    def __init__(self) -> None:
        self._ops: list[tuple[str, tuple, dict]] = []

    def put(self, item, condition=None) -> "Transaction":
        self._ops.append(("save", (item,), {"condition": condition}))
        return self

    def update(self, item, actions, condition=None, add_version_condition: bool = True) -> "Transaction":
        self._ops.append(
            ("update", (item, actions), {"condition": condition, "add_version_condition": add_version_condition})
        )
        return self

    def check(self, model_cls, hash_key, range_key, condition) -> "Transaction":
        self._ops.append(("condition_check", (model_cls, hash_key, range_key), {"condition": condition}))
        return self

    def delete(self, item, condition=None) -> "Transaction":
        self._ops.append(("delete", (item,), {"condition": condition}))
        return self

    def __len__(self) -> int:
        return len(self._ops)

    @translate
    def commit(self) -> None:
        """Commit; raises ConditionFailed with one reason per operation, in order added."""
        if not self._ops:
            return
        # PynamoDB groups operations by kind in the request; keep our own order for reasons.
        order = {"condition_check": 0, "delete": 1, "save": 2, "update": 3}
        indexed = sorted(enumerate(self._ops), key=lambda pair: order[pair[1][0]])
        try:
            with TransactWrite(connection=engine.connection()) as tw:
                for _, (name, args, kwargs) in indexed:
                    getattr(tw, name)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - classified below
            mapped = classify(exc)
            if isinstance(mapped, ConditionFailed) and len(mapped.reasons) == len(indexed):
                reasons: list[str | None] = [None] * len(indexed)
                for position, (original, _) in enumerate(indexed):
                    reasons[original] = mapped.reasons[position]
                raise ConditionFailed(reasons) from exc
            raise


def _sleep_backoff(attempt: int, base: float, cap: float) -> None:
    time.sleep(random.uniform(0, min(cap, base * (2**attempt))))


def retrying(fn: Callable[[], T]) -> T:
    """Run a use case; on transient errors or lost optimistic races, run it again."""
    transient_attempts = 0
    stale_attempts = 0
    base = config.store_backoff_base_seconds()
    while True:
        try:
            return fn()
        except TransientStoreError:
            transient_attempts += 1
            if transient_attempts >= config.store_max_attempts():
                raise StoreUnavailable()
            _sleep_backoff(transient_attempts, base, 1.0)
        except ConditionFailed:
            stale_attempts += 1
            if stale_attempts >= MAX_STALE_ATTEMPTS:
                raise StoreUnavailable("too many concurrent changes to the same record; retry shortly")
            _sleep_backoff(min(stale_attempts, 5), 0.005, 0.2)
