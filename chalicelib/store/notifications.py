"""Repository of notifications, the emails the job has sent, and the local outbox.

Access patterns (docs/architecture.md): 28-33.
"""
import zlib

from pynamodb.exceptions import DoesNotExist

from . import keys
from .models import EmailRecord, Notification, OutboxMessage
from .pages import Page, query_page
from .tx import ConditionFailed, Transaction, retrying, translate


def _mail_shard(notification_id: str) -> int:
    return zlib.crc32(notification_id.encode()) % keys.LOW_SHARDS


def new_notification(cid: str, staff_id: str, notification_id: str, **fields) -> Notification:
    """A notification, queued for the job's email (GSI4) until the email is settled."""
    return Notification(keys.notifications_pk(cid, staff_id), keys.notification_sk(notification_id),
                        notification_id=notification_id, company_id=cid, staff_id=staff_id,
                        GSI4PK=keys.mail_pending_pk(_mail_shard(notification_id)),
                        GSI4SK=f"{cid}#{staff_id}#{notification_id}", **fields)


def list_notifications(cid: str, staff_id: str, limit: int, cursor: str | None,
                       unread_only: bool) -> Page[Notification]:
    return query_page(Notification, keys.notifications_pk(cid, staff_id),
                      Notification.SK.startswith(keys.notification_sk()), limit=limit, cursor=cursor,
                      forward=False, filter_condition=Notification.read_at.does_not_exist() if unread_only else None)


@translate
def get_notification(cid: str, staff_id: str, notification_id: str) -> Notification | None:
    try:
        return Notification.get(keys.notifications_pk(cid, staff_id), keys.notification_sk(notification_id),
                                consistent_read=True)
    except DoesNotExist:
        return None


@translate
def mark_read(notification: Notification, at: str) -> None:
    notification.update(actions=[Notification.read_at.set(at)], condition=Notification.read_at.does_not_exist())


@translate
def pending_mail(shard: int) -> list[Notification]:
    """Notifications whose email a crashed run left unsettled."""
    return list(Notification.attention.query(keys.mail_pending_pk(shard)))


def settle_mail(notifications: list[Notification], status: str) -> None:
    """Record that these notifications' email went out (or was skipped): they leave GSI4."""
    for start in range(0, len(notifications), 100):
        tx = Transaction()
        for n in notifications[start:start + 100]:
            tx.update(n, actions=[Notification.email.set(status), Notification.GSI4PK.remove(),
                                  Notification.GSI4SK.remove()])
        tx.commit()


def claim_email(cid: str, staff_id: str, run_date: str, digest: str, **fields) -> bool:
    """Record an email before it is sent; False if this very email was recorded already."""
    record = EmailRecord(keys.email_record_pk(cid, staff_id), keys.email_record_sk(run_date, digest),
                         company_id=cid, staff_id=staff_id, **fields)
    try:
        _put_new(record)
        return True
    except ConditionFailed:
        return False


@translate
def release_email(cid: str, staff_id: str, run_date: str, digest: str) -> None:
    """Forget a recorded email whose sending failed, so the next run tries it again."""
    EmailRecord(keys.email_record_pk(cid, staff_id), keys.email_record_sk(run_date, digest)).delete()


@translate
def _put_new(item) -> None:
    item.save(condition=type(item).PK.does_not_exist())


def put_outbox(message_id: str, **fields) -> None:
    """The local stage's "send": retried on transient errors like the job's other writes
    (the same message id each time, so a retry never makes a second message)."""
    retrying(lambda: _save_outbox(message_id, **fields))


@translate
def _save_outbox(message_id: str, **fields) -> None:
    OutboxMessage(keys.OUTBOX_PK, message_id, **fields).save()


def list_outbox(cid: str, limit: int, cursor: str | None) -> Page[OutboxMessage]:
    return query_page(OutboxMessage, keys.OUTBOX_PK, limit=limit, cursor=cursor, forward=False,
                      filter_condition=OutboxMessage.company_id == cid)
