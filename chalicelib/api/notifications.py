"""The caller's own notifications."""

from chalice import Blueprint

from ..services import notifications
from .routing import TEACHING_ROLES, route
from .schemas import NotificationOut, NotificationsQuery

bp = Blueprint(__name__)


@route(
    bp,
    "/notifications",
    "GET",
    roles=TEACHING_ROLES,
    query=NotificationsQuery,
    summary="My notifications, newest first",
    response=NotificationOut,
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
)
def mark_read(req):
    return notifications.mark_read(req.actor, req.params["notification_id"])
