"""The caller's own notifications."""

from chalice import Blueprint

from .. import ids
from ..domain import records
from ..services import notifications
from .routing import TEACHING_ROLES, route
from .schemas.common import Overlay
from .schemas.notifications import NotificationOut, NotificationsQuery

bp = Blueprint(__name__)


def notification_out(n: records.Notification) -> NotificationOut:
    """A notification, with the id of the enrollment it is about."""
    return NotificationOut.model_validate(Overlay(n, enrollment_id=ids.enrollment_id(n.schedule_id, n.student_id)))


@route(
    bp,
    "/notifications",
    "GET",
    roles=TEACHING_ROLES,
    query=NotificationsQuery,
    summary="My notifications, newest first",
    response=NotificationOut,
    presenter=notification_out,
    many=True,
)
def list_notifications(req):
    q = req.query
    return notifications.my_notifications(req.actor, q.limit, q.next, q.unread)


@route(
    bp,
    "/notifications/{notification_id}/read",
    "POST",
    roles=TEACHING_ROLES,
    summary="Mark one of my notifications read",
    response=NotificationOut,
    presenter=notification_out,
)
def mark_read(req):
    return notifications.mark_read(req.actor, req.params["notification_id"])
