"""Who is acting, and the idempotency claim a request may carry into its transaction."""
import time
from dataclasses import dataclass
from typing import Any, Callable

from .. import clock, config
from ..store import idempotency as idem_store
from ..store.tx import Transaction

ADMIN, STAFF, TEACHER, STUDENT = "admin", "staff", "teacher", "student"
ROLES = (ADMIN, STAFF, TEACHER, STUDENT)


@dataclass(frozen=True)
class Actor:
    """The caller of a use case: a user from a token, a webhook delivery, or a job."""

    company_id: str
    subject: str
    role: str

    @property
    def label(self) -> str:
        """How the ledger and the marks name who did something."""
        return f"{self.role}:{self.subject}"

    @property
    def is_staff(self) -> bool:
        return self.role in (ADMIN, STAFF)


@dataclass
class IdempotencyClaim:
    """A request's `Idempotency-Key`, the digest of what it asked, and how to record its answer."""

    company_id: str
    subject: str
    key: str
    fingerprint: str
    render: Callable[[Any], tuple[int, str]]
    used: bool = False

    def _record(self, result: Any, now: float):
        status, body = self.render(result)
        return idem_store.new_record(
            self.company_id, self.subject, self.key, fingerprint=self.fingerprint,
            status_code=status, body=body, created_at=clock.now_iso(),
            expires_at=int(now + config.idempotency_ttl_seconds()),
        )

    def add_to(self, tx: Transaction, result: Any) -> None:
        """Record `result` as this key's answer, in the same transaction as the effect."""
        now = time.time()
        idem_store.add_record(tx, self._record(result, now), now)
        self.used = True

    def record_alone(self, result: Any) -> None:
        """Record the answer of a request whose effects were several transactions, each
        idempotent on its own (bulk marks, a school cancellation), or none at all."""
        now = time.time()
        idem_store.put_record(self._record(result, now), now)
        self.used = True


def commit_with_claim(tx: Transaction, claim: IdempotencyClaim | None, result: Any) -> None:
    """Commit the use case's writes, with the idempotency record when there is a claim."""
    if claim is not None:
        claim.add_to(tx, result)
    tx.commit()
