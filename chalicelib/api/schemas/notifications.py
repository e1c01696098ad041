"""The caller's notifications."""

from pydantic import Field

from .common import ListQuery, Out


class NotificationsQuery(ListQuery):
    unread: bool = False


# A notification, with its enrollment's id laid over it by its view (api/notifications.py).
class NotificationOut(Out):
    id: str = Field(validation_alias="notification_id")
    kind: str
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
