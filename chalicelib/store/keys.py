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


def session_sk(session_key: str = "") -> str:
    return f"SESSION#{session_key}"


def mark_sk(session_key: str, student_id: str = "") -> str:
    return f"SESSION#{session_key}#MARK#{student_id}"


def timeline_session(starts_at: str, session_key: str) -> str:
    """LSI1 sort key of a session; its marks sort right after it."""
    return f"T#{starts_at}#{session_key}"


def timeline_mark(starts_at: str, session_key: str, student_id: str) -> str:
    return f"T#{starts_at}#{session_key}#M#{student_id}"


def timeline_bound(instant: str) -> str:
    return f"T#{instant}"


def open_session(starts_at: str, session_key: str) -> str:
    """LSI2 sort key of a session open to the whole roster."""
    return f"{starts_at}#{session_key}"


def person_session_sk(starts_at: str = "", session_id: str = "") -> str:
    """GSI1: a session made for one student (a booked 1:1)."""
    return f"S#{starts_at}#{session_id}" if starts_at else "S#"


def person_mark_sk(starts_at: str = "", session_id: str = "") -> str:
    """GSI1: one of the student's marks, in session time order."""
    return f"M#{starts_at}#{session_id}" if starts_at else "M#"


def teacher_session_sk(starts_at: str = "", session_id: str = "") -> str:
    return f"S#{starts_at}#{session_id}" if starts_at else "S#"


def held_pk(cid: str) -> str:
    """GSI4 partition of a company's held no-shows (sparse: only while held)."""
    return f"C#{cid}#HELD"


def held_sk(starts_at: str, session_id: str, student_id: str) -> str:
    return f"{starts_at}#{session_id}#{student_id}"


PLAN_SK = "#PLAN"
RECURRING_PK = "RECURRING"


def recurring_sk(horizon_until: str, cid: str, schedule_id: str) -> str:
    """GSI4: recurring schedules (of every company) ordered by how far ahead sessions exist."""
    return f"{horizon_until}#{cid}#{schedule_id}"


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


LOW_SHARDS = 8


def low_pk(shard: int) -> str:
    """GSI4: enrollments with a low-balance crossing not yet announced (all companies)."""
    return f"LOW#{shard}"


def mail_pending_pk(shard: int) -> str:
    """GSI4: notifications whose email has not gone out yet (crash recovery of the job)."""
    return f"MAILQ#{shard}"


def notifications_pk(cid: str, staff_id: str) -> str:
    return f"C#{cid}#N#{staff_id}"


def notification_sk(notification_id: str = "") -> str:
    return f"N#{notification_id}"


def email_record_pk(cid: str, staff_id: str) -> str:
    return f"C#{cid}#MAIL#{staff_id}"


def email_record_sk(run_date: str, digest: str) -> str:
    return f"{run_date}#{digest}"


OUTBOX_PK = "LOCAL#OUTBOX"
THRESHOLD_CHANGES_PK = "RETHRESHOLD"


def integration_pk(integration_id: str) -> str:
    """Integrations are found by id alone: a webhook's URL names nothing else."""
    return f"INTEGRATION#{integration_id}"


INTEGRATION_SK = "#INTEGRATION"


def company_integrations_pk(cid: str) -> str:
    return f"C#{cid}#INTEGRATIONS"


def bookings_pk(cid: str, integration_id: str) -> str:
    return f"C#{cid}#I#{integration_id}#B"


def deliveries_pk(cid: str, integration_id: str) -> str:
    return f"C#{cid}#I#{integration_id}#D"


def delivery_time(received_at: str, delivery_id: str) -> str:
    return f"{received_at}#{delivery_id}"


def failed_deliveries_pk(cid: str, integration_id: str) -> str:
    return f"C#{cid}#I#{integration_id}#FAILED"


def stats_pk(cid: str, dimension: str) -> str:
    """Report counters of one dimension: one item per entity per day, ordered by day."""
    return f"C#{cid}#STATS#{dimension}"


def stats_sk(day: str, entity: str = "") -> str:
    return f"{day}#{entity}"
