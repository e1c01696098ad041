"""Who is acting: a user from a token, a webhook delivery, or a job."""
from dataclasses import dataclass

ADMIN, STAFF, TEACHER, STUDENT = "admin", "staff", "teacher", "student"
ROLES = (ADMIN, STAFF, TEACHER, STUDENT)


@dataclass(frozen=True)
class Actor:
    """The caller of a use case."""

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
