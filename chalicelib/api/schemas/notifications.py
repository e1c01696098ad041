"""The caller's notifications."""

from pydantic import Field

from .common import ListQuery, Out


class NotificationsQuery(ListQuery):
    unread: bool = False


# A notification, with its enrollment's id laid over it by its view (api/notifications.py).
class NotificationOut(Out):
    id: str = Field(validation_alias="notification_id")
    kind: str = Field(description="low_balance | balance_exhausted | sessions_expiring")
    enrollment_id: str
    student_id: str
    student_name: str
    schedule_id: str
    schedule_name: str
    balance: int
    threshold: int
    last_session_at: str | None
    created_at: str
    read_at: str | None
    email: str
    expiring: int | None = Field(None, description="sessions_expiring: how many sessions lapse unused")
    expires_at: str | None = Field(None, description="sessions_expiring: when the first of them lapses")
    runs_out_on: str | None = Field(
        None, description="low balance: the day the balance runs out at the student's pace of the last 8 weeks"
    )
    booked_after: int | None = Field(
        None, description="low balance: sessions scheduled in the 8 weeks after runs_out_on (the student's, for a 1:1)"
    )
