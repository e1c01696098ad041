"""Who is acting: a user from a token (their role from our records), a webhook delivery,
or a job; and a signed-in caller whose record a use case reads in its own first request."""

from dataclasses import dataclass, field

from ..domain import access
from ..domain.access import ADMIN, ROLES, STAFF, STUDENT, TEACHER
from ..domain.records import UserRef
from ..errors import Forbidden

__all__ = ["ADMIN", "ROLES", "STAFF", "STUDENT", "TEACHER", "Actor", "Caller"]


@dataclass(frozen=True)
class Actor:
    """The caller of a use case. `person_id` is the staff or student id of a login's record
    (None for a webhook delivery or a job, or when not looked up yet)."""

    company_id: str
    subject: str
    role: str | None
    person_id: str | None = None

    @property
    def label(self) -> str:
        """How the ledger and the marks name who did something."""
        return f"{self.role}:{self.subject}"

    @property
    def is_staff(self) -> bool:
        return self.role in (ADMIN, STAFF)


@dataclass(frozen=True)
class Caller:
    """A verified login not resolved to its record yet: a use case that reads anyway folds
    the login's user ref into its read and resolves it there (no extra request)."""

    company_id: str
    subject: str
    claimed_role: str | None
    allowed: frozenset[str] = field(default_factory=frozenset)

    def resolve(self, ref: UserRef | None) -> Actor:
        """The actor this login is, by its record; Forbidden if it has none or its role may
        not use the route."""
        actor = actor_of(self.company_id, self.subject, self.claimed_role, ref)
        if actor is None:
            raise Forbidden("this login has no record in the company; ask its admin for access")
        if self.allowed and actor.role not in self.allowed:
            raise Forbidden(f"the {actor.role} role may not do this")
        return actor


def actor_of(company_id: str, subject: str, claimed_role: str | None, ref: UserRef | None) -> Actor | None:
    """The actor a login's user ref makes it (None: no record)."""
    if ref is None:
        return None
    record_role = STUDENT if ref.person_kind == "student" else ref.role
    role = access.role_of(record_role, claimed_role)
    return None if role is None else Actor(company_id, subject, role, ref.person_id)
