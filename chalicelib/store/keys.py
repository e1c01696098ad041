"""Every key of the table is built here, and only here.

A key always starts with the company id, which comes from the caller's token: that is
what keeps one company's data out of another's reach.
"""

COMPANY_SK = "#COMPANY"
IDEMPOTENCY_SK = "IDEM"


def company_pk(cid: str) -> str:
    return f"C#{cid}"


def staff_sk(staff_id: str = "") -> str:
    return f"STAFF#{staff_id}"


def student_sk(student_id: str = "") -> str:
    return f"STUDENT#{student_id}"


def schedule_sk(schedule_id: str = "") -> str:
    return f"SCHEDULE#{schedule_id}"


def user_ref_sk(user_id: str) -> str:
    return f"USER#{user_id}"


def email_pk(cid: str, email: str) -> str:
    return f"C#{cid}#EMAIL#{email.strip().lower()}"


def schedule_pk(cid: str, schedule_id: str) -> str:
    return f"C#{cid}#S#{schedule_id}"


def enrollment_sk(student_id: str = "") -> str:
    return f"ENR#{student_id}"


def ledger_prefix(student_id: str) -> str:
    return f"LEDGER#{student_id}#"


def ledger_sk(student_id: str, seq: int) -> str:
    return f"{ledger_prefix(student_id)}{seq:010d}"


def person_pk(cid: str, person_id: str) -> str:
    """GSI1 partition of one student: their enrollments (and later marks, sessions)."""
    return f"C#{cid}#P#{person_id}"


def person_enrollment_sk(schedule_id: str = "") -> str:
    return f"ENR#{schedule_id}"


def teacher_pk(cid: str, teacher_id: str) -> str:
    """GSI2 partition of one teacher: their schedules (and later sessions)."""
    return f"C#{cid}#T#{teacher_id}"


def idempotency_pk(cid: str, subject: str, key: str) -> str:
    return f"C#{cid}#IDEM#{subject}#{key}"
