"""Repository of notifications, the emails the job has sent, and the local outbox.

Access patterns (docs/architecture.md): 29-32, 34.
"""

from ..domain import records
from . import models as m
from .failures import translate
from .pages import Page, query_page
from .unit_of_work import UnitOfWork


def add_notification(uow: UnitOfWork, notification: records.Notification) -> None:
    """Stage a new notification, queued for the job's email (GSI4) until the email is settled."""
    uow.create(notification)


def list_notifications(
    cid: str, staff_id: str, limit: int, cursor: str | None, unread_only: bool
) -> Page[records.Notification]:
    return query_page(
        m.Notification,
        m.Notification.partition(cid, staff_id),
        m.Notification.SK.startswith("N#"),
        limit=limit,
        cursor=cursor,
        forward=False,
        filter_condition=m.Notification.read_at.does_not_exist() if unread_only else None,
    )


@translate
def get_notification(cid: str, staff_id: str, notification_id: str) -> records.Notification | None:
    try:
        return m.Notification.get(*m.Notification.key(cid, staff_id, notification_id), consistent_read=True).record()
    except m.Notification.DoesNotExist:
        return None


def mark_read(uow: UnitOfWork, notification: records.Notification, at: str) -> None:
    """Stage: read at `at`, unless it was read meanwhile (then the step reads it again)."""
    uow.update(
        m.Notification.of(notification),
        [m.Notification.read_at.set(at)],
        condition=m.Notification.read_at.does_not_exist(),
    )


@translate
def pending_mail(shard: int) -> list[records.Notification]:
    """Notifications whose email a crashed run left unsettled."""
    return [n.record() for n in m.Notification.attention.query(m.Notification.mail_queue(shard))]


def mail_shards() -> range:
    return range(m.MAIL_SHARDS)


def settle_mail(uow: UnitOfWork, notifications: list[records.Notification], status: str) -> None:
    """Stage: these notifications' email went out (or was skipped); they leave GSI4."""
    for n in notifications:
        item = m.Notification.of(n)
        uow.update(
            item, [m.Notification.email.set(status), m.Notification.GSI4PK.remove(), m.Notification.GSI4SK.remove()]
        )


def record_email(uow: UnitOfWork, cid: str, staff_id: str, run_date: str, digest: str, *, refusal, **fields) -> None:
    """Stage the record of an email before it is sent: `refusal()` if this very email was
    recorded already (a rerun)."""
    record = m.EmailRecord(
        *m.EmailRecord.key(cid, staff_id, run_date, digest), company_id=cid, staff_id=staff_id, **fields
    )
    uow.put(record, condition=m.EmailRecord.PK.does_not_exist(), refusal=refusal)


def forget_email(uow: UnitOfWork, cid: str, staff_id: str, run_date: str, digest: str) -> None:
    """Stage: forget a recorded email whose sending failed, so the next run tries it again."""
    uow.delete(m.EmailRecord(*m.EmailRecord.key(cid, staff_id, run_date, digest)))


def put_outbox(uow: UnitOfWork, message: records.OutboxMessage) -> None:
    """The local stage's "send": a put under the message's id, so a repeat makes no second one."""
    uow.overwrite(message)


def list_outbox(cid: str, limit: int, cursor: str | None) -> Page[records.OutboxMessage]:
    return query_page(
        m.OutboxMessage,
        m.OUTBOX_PK,
        limit=limit,
        cursor=cursor,
        forward=False,
        filter_condition=m.OutboxMessage.company_id == cid,
    )
