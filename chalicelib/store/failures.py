"""What a failed DynamoDB request means for the caller, sorted once for every store call.

- `ConditionFailed`: a condition of a write did not hold; nothing was applied.
- `Contended`: another transaction held one of the items (TransactionConflict).
- `TransientStoreError`: throttling, a timeout, a server error; a later attempt may succeed.
- anything else is a bug and propagates.

Only the unit of work (store/unit_of_work.py) decides what to do about them; `translate`
wraps the repositories' reads so they raise these instead of the driver's errors, and
refuses to run outside a unit of work's step (a read there would have no retry policy).
"""

import contextvars
from typing import Any, Callable, TypeVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NotConnected
from pynamodb.exceptions import PynamoDBException

T = TypeVar("T")

# The unit of work of the step running in this context (set by unit_of_work.run).
active_step: contextvars.ContextVar[Any] = contextvars.ContextVar("optclass_uow", default=None)

THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
SERVER_SIDE = {"InternalServerError", "ServiceUnavailable", "InternalFailure"}
# The request left and its answer did not come back (a read timeout, a connection closed or
# reset mid-way): it may have been applied. And: the request never left (no connection).
AMBIGUOUS = (HTTPClientError,)
NOT_SENT = (NotConnected,)
NETWORK = AMBIGUOUS + NOT_SENT


class ConditionFailed(Exception):
    """A condition of the transaction did not hold: nothing was applied. One reason per
    action, in the order the actions were staged (None where that action was fine)."""

    def __init__(self, reasons: list[str | None]):
        super().__init__(f"condition failed: {reasons}")
        self.reasons = reasons

    def failed_at(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


class Contended(Exception):
    """Another transaction held one of the items (TransactionConflict): nothing was applied."""


class TransientStoreError(Exception):
    """A read or a send failed in a way a later attempt may not: throttling, a timeout."""


def _codes(error: ClientError) -> tuple[str, list[str | None]]:
    code = error.response.get("Error", {}).get("Code", "")
    reasons = [
        None if r.get("Code") in (None, "None") else r.get("Code")
        for r in error.response.get("CancellationReasons") or []
    ]
    return code, reasons


def classify(exc: BaseException) -> Exception | None:
    """A driver error of a read as our store error; None for a bug (it propagates)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NETWORK):
            return TransientStoreError(type(current).__name__)
        if isinstance(current, ClientError):
            code, reasons = _codes(current)
            if code in THROTTLED | SERVER_SIDE or "ThrottlingError" in reasons:
                return TransientStoreError(code)
            if (
                code in ("TransactionConflictException", "TransactionInProgressException")
                or "TransactionConflict" in reasons
            ):
                return Contended(code)
            if code == "ConditionalCheckFailedException":
                return ConditionFailed(["ConditionalCheckFailed"])
            return None
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    return None


def translate(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator of repository reads: our store errors instead of the driver's; and a read
    outside a unit of work is a bug (it would have no retry policy)."""

    def wrapper(*args: Any, **kwargs: Any) -> T:
        if active_step.get() is None:
            raise RuntimeError(f"{fn.__name__}: a store read outside a unit of work (use unit_of_work.run)")
        try:
            return fn(*args, **kwargs)
        except (PynamoDBException, ClientError, *NETWORK) as exc:
            mapped = classify(exc)
            if mapped is None:
                raise
            raise mapped from exc

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
