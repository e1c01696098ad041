"""Business exceptions, named for what went wrong in the school's terms.

Domain and service code raise these; `chalicelib/api/errors.py` is the one place that
turns them into HTTP answers.
"""

from typing import Any


class OptClassError(Exception):
    """Base of every failure a client can be told about."""

    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(OptClassError):
    code = "invalid_input"


class NotFound(OptClassError):
    code = "not_found"

    def __init__(self, what: str, ident: str | None = None):
        label = f"{what} {ident!r}" if ident else what
        super().__init__(f"{label} was not found")
        self.what = what


class Unauthenticated(OptClassError):
    code = "unauthenticated"


class Forbidden(OptClassError):
    code = "forbidden"


class Conflict(OptClassError):
    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"


class NotEnrolled(Conflict):
    """The student has no active enrollment in the session's schedule."""

    code = "not_enrolled"


class SessionCancelled(Conflict):
    """The school cancelled the session: nobody's attendance can be recorded on it."""

    code = "session_cancelled"


class SessionNotStarted(Conflict):
    """Attendance (attended, no-show) is recorded once the session has started."""

    code = "session_not_started"


class ScheduleFull(Conflict):
    """The schedule holds as many active students as it may."""

    code = "schedule_full"


class InsufficientBalance(Conflict):
    """A charge or correction would take a balance below its floor."""

    code = "insufficient_balance"


class EnrollmentPaused(Conflict):
    """A charge for a session that starts while the enrollment is paused."""

    code = "enrollment_paused"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class VersionMismatch(OptClassError):
    code = "version_mismatch"


class PayloadTooLarge(OptClassError):
    code = "payload_too_large"


class NotConfigured(OptClassError):
    """A deployed stage lacks the settings it needs to run safely (503, every request)."""

    code = "misconfigured"


class StoreUnavailable(OptClassError):
    """The store throttled or conflicted past our retry budget; the client may retry."""

    code = "store_unavailable"

    def __init__(self, message: str = "the data store is busy; retry shortly", retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknown(StoreUnavailable):
    """A write was sent and its answer lost on every resend: it may or may not have been
    saved. Only an Idempotency-Key makes retrying it safe."""

    code = "store_unavailable"

    def __init__(self):
        super().__init__(
            "the data store did not confirm this change; it may have been saved. Retry with the "
            "same Idempotency-Key, or read the record before repeating it"
        )
