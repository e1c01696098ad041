"""Low-balance notifications: the daily job that finds crossings and tells the staff
member responsible (or the company's admins), and each staff member's inbox.

The job reads only what needs attention: the enrollments in the low-balance index (a
crossing not yet announced), their companies and recipients, and any email a crashed run
left unsettled. Each announcement is one transaction (the enrollment notes the level it
announced and leaves the index; the notifications are put), so a rerun announces nothing
twice. Emails are recorded before they are sent, one per staff member per run.
"""

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from .. import clock, ids, mail
from ..domain import records, runway, thresholds
from ..errors import NotFound, StoreUnavailable
from ..observability import count, log_event
from ..store import enrollments as enrollment_store
from ..store import notifications as store
from ..store import people as people_store
from ..store import reads
from ..store import schedules as schedules_store
from ..store import sessions as sessions_store
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import UnitOfWork
from .company import COMPANY_SCOPE
from .context import Actor
from .people import own_staff_id

EMAIL_RECORD_DAYS = 30


@dataclass
class RunSummary:
    date: str
    thresholds_updated: int = 0
    low_enrollments: int = 0
    notifications: int = 0
    emails: int = 0
    emails_recovered: int = 0
    recipients: list[str] = field(default_factory=list)


def run_low_balance_check(today: date) -> dict:
    summary = RunSummary(date=today.isoformat())
    summary.thresholds_updated = reconcile_threshold_changes()
    summary.emails_recovered = _send_pending(today)
    lows: list[records.Enrollment] = []
    for shard in enrollment_store.low_shards():
        lows += uow_.reading(lambda: enrollment_store.low_enrollments(shard), company_id=None)
    summary.low_enrollments = len(lows)
    if lows:
        recipients = _recipients(lows)
        created: list[records.Notification] = []
        for enrollment in lows:
            created += _announce(enrollment, recipients, today)
        summary.notifications = len(created)
        known = {(m.company_id, m.staff_id): m for members in recipients.values() for m in members}
        summary.emails, summary.recipients = _send_emails(created, today, known)
    count("NotificationsCreated", summary.notifications)
    count("EmailsSent", summary.emails + summary.emails_recovered)
    # Recipients by id: the log carries no email address or name.
    log_event(
        "job",
        job="low-balance",
        **{k: v for k, v in summary.__dict__.items() if k != "recipients"},
        recipients=len(summary.recipients),
    )
    return summary.__dict__


def _recipients(lows: list[records.Enrollment]) -> dict[tuple[str, str], list[records.StaffMember]]:
    """(company, responsible staff id) -> the staff members to tell: that one, or, if they
    are gone, the company's admins."""
    wanted = {(e.company_id, e.responsible_staff_id) for e in lows}
    refs = {pair: reads.staff(*pair) for pair in wanted}
    found = uow_.reading(lambda: reads.load(refs.values()), company_id=None)
    out, admins = {}, {}
    for cid, sid in wanted:
        member = found.get(refs[(cid, sid)])
        if member is not None:
            out[(cid, sid)] = [member]
            continue
        if cid not in admins:
            admins[cid] = [
                m
                for m in uow_.reading(lambda: people_store.list_staff(cid, 200, None), company_id=cid).items
                if m.role == "admin"
            ]
        out[(cid, sid)] = admins[cid]
    return out


def _runway(enrollment: records.Enrollment) -> tuple[str | None, int | None]:
    """When the balance runs out at the student's pace of the last 8 weeks in this schedule,
    and how many sessions are scheduled in the 8 weeks after: two queries (the student's
    latest marks, the schedule's sessions in that window)."""
    cid, now = enrollment.company_id, clock.now_iso()
    marks = uow_.reading(lambda: sessions_store.latest_marks(cid, enrollment.student_id, now, 40), company_id=cid)
    charged = [m.starts_at for m in marks if m.schedule_id == enrollment.schedule_id and m.charged]
    day = runway.runs_out_on(enrollment.balance, charged, now)
    if day is None:
        return None, None
    start = clock.iso(datetime.combine(day + timedelta(days=1), time.min, timezone.utc))
    end = clock.iso(datetime.combine(day + timedelta(days=runway.AHEAD_DAYS), time.min, timezone.utc))
    page = uow_.reading(
        lambda: sessions_store.list_schedule_sessions(cid, enrollment.schedule_id, start, end, 100, None),
        company_id=cid,
    )
    booked = [
        s
        for s in page.items
        if s.status != "cancelled" and (s.student_id is None or s.student_id == enrollment.student_id)
    ]
    return day.isoformat(), len(booked)


def _announce(enrollment: records.Enrollment, recipients: dict, today: date) -> list[records.Notification]:
    """One transaction: the enrollment notes the level it announced (over the version read)
    and leaves the low-balance index; the recipients' notifications are put, each with the
    runway (read before the transaction)."""
    cid = enrollment.company_id
    attempts = 0
    runs_out, booked_after = _runway(enrollment)

    def step(uow: UnitOfWork) -> list[records.Notification]:
        nonlocal attempts
        attempts += 1  # the first attempt trusts the index's copy; a retry reads the enrollment
        current = (
            enrollment
            if attempts == 1
            else enrollment_store.get_enrollment(cid, enrollment.schedule_id, enrollment.student_id)
        )
        if current is None:
            return []
        state = thresholds.alert_state(
            current.balance, current.threshold, current.alert_level, current.status == "active"
        )
        level = thresholds.level_of(current.balance, current.threshold)
        made = []
        if state.needs_alert:
            for member in recipients.get((cid, current.responsible_staff_id), []):
                made.append(
                    records.Notification(
                        company_id=cid,
                        staff_id=member.staff_id,
                        notification_id=ids.new_id(),
                        kind=thresholds.LEVEL_NAMES[level],
                        schedule_id=current.schedule_id,
                        schedule_name=current.schedule_name,
                        student_id=current.student_id,
                        student_name=current.student_name,
                        balance=current.balance,
                        threshold=current.threshold,
                        last_session_at=current.last_session_at,
                        created_at=clock.now_iso(),
                        run_date=today.isoformat(),
                        runs_out_on=runs_out,
                        booked_after=booked_after,
                    )
                )
        enrollment_store.announce(uow, current, level if state.needs_alert else None)
        for n in made:
            store.add_notification(uow, n)
        if state.needs_alert and not made:
            log_event(
                "warning",
                message="low balance with nobody to tell",
                company_id=cid,
                enrollment_id=current.enrollment_id,
            )
        return made

    return uow_.run(step, company_id=cid)


def _email_text(notes: list[records.Notification]) -> tuple[str, str]:
    urgent = sum(1 for n in notes if n.kind == "balance_exhausted")
    subject = f"{len(notes)} student{'s' if len(notes) != 1 else ''} running out of sessions"
    if urgent:
        subject += f" ({urgent} with none left)"
    lines = ["These students need a renewal:", ""]
    for n in sorted(notes, key=lambda n: (n.balance, n.student_name)):
        last = (n.last_session_at or "")[:10] or "none yet"
        flag = "NONE LEFT" if n.kind == "balance_exhausted" else "low"
        runway_text = ""
        if n.runs_out_on:
            runway_text = f"; at the recent pace it runs out around {n.runs_out_on}"
            if n.booked_after:
                runway_text += f", with {n.booked_after} session(s) scheduled after that"
        lines.append(
            f"- {n.student_name} ({n.schedule_name}): {n.balance} session(s) left [{flag}], "
            f"last session {last}{runway_text}"
        )
    lines += ["", "You receive this because you are responsible for these enrollments in OptClass."]
    return subject, "\n".join(lines)


def _send_emails(notes: list[records.Notification], today: date, known: dict | None = None) -> tuple[int, list[str]]:
    """One email per staff member; `known` holds the staff members this run already read."""
    by_staff: dict[tuple[str, str], list[records.Notification]] = {}
    for n in notes:
        by_staff.setdefault((n.company_id, n.staff_id), []).append(n)
    if not by_staff:
        return 0, []
    known = dict(known or {})
    missing = [k for k in by_staff if k not in known]
    if missing:
        refs = {pair: reads.staff(*pair) for pair in missing}
        found = uow_.reading(lambda: reads.load(refs.values()), company_id=None)
        known.update({pair: found.get(ref) for pair, ref in refs.items()})
    sent, recipients = 0, []
    for (cid, sid), group in by_staff.items():
        member = known.get((cid, sid))
        if member is None:
            _settle(cid, group, "skipped")
            continue
        try:
            if _send_one(cid, member, group, today):
                sent += 1
                recipients.append(member.email)
        except StoreUnavailable:
            raise  # not one recipient's failure: the run fails, and its rerun sends what is pending
        except Exception as exc:  # noqa: BLE001 - one recipient's failure must not stop the others
            log_event(
                "error",
                message="email not sent; the next run retries it",
                company_id=cid,
                staff_id=sid,
                error=type(exc).__name__,
            )
    return sent, recipients


class _AlreadyRecorded(Exception):
    """This very email was recorded by an earlier run."""


def _settle(cid: str, group: list[records.Notification], status: str) -> None:
    for start in range(0, len(group), 100):
        chunk = group[start : start + 100]
        uow_.run(lambda uow: store.settle_mail(uow, chunk, status), company_id=cid)


def _send_one(cid: str, member, group: list[records.Notification], today: date) -> bool:
    """Record, then send, then settle: at most one email per staff member and set of
    notifications, even if the run is repeated or crashed halfway (the in-app notification
    is the durable record; the email is its announcement)."""
    subject, body = _email_text(group)
    digest = hashlib.sha256(",".join(sorted(n.notification_id for n in group)).encode()).hexdigest()[:20]

    def refuse() -> Exception:
        return _AlreadyRecorded()

    try:
        uow_.run(
            lambda uow: store.record_email(
                uow,
                cid,
                member.staff_id,
                today.isoformat(),
                digest,
                refusal=refuse,
                to=member.email,
                subject=subject,
                body=body,
                notification_ids=[n.notification_id for n in group],
                created_at=clock.now_iso(),
                expires_at=int(clock.now().timestamp()) + EMAIL_RECORD_DAYS * 86400,
            ),
            company_id=cid,
        )
        fresh = True
    except _AlreadyRecorded:
        fresh = False
    # Where sending again cannot double a message (the local outbox), a recorded email is
    # sent again under the same key: a crash between recording and sending loses nothing.
    if fresh or mail.resends_idempotently():
        try:
            mail.send(cid, member.email, subject, body, key=f"{today.isoformat()}#{member.staff_id}#{digest}")
        except Exception:
            # The send failed (SES refused or was unreachable): forget the record so the next
            # run sends it. Only a crash between recording and sending loses an email.
            uow_.run(
                lambda uow: store.forget_email(uow, cid, member.staff_id, today.isoformat(), digest), company_id=cid
            )
            raise
    _settle(cid, group, "sent")
    return fresh


def _send_pending(today: date) -> int:
    """Email what an earlier, interrupted run announced but did not get to send."""
    pending: list[records.Notification] = []
    for shard in store.mail_shards():
        pending += uow_.reading(lambda: store.pending_mail(shard), company_id=None)
    if not pending:
        return 0
    by_run: dict[str, list[records.Notification]] = {}
    for n in pending:
        by_run.setdefault(n.run_date, []).append(n)
    total = 0
    for run_date, notes in by_run.items():
        total += _send_emails(notes, date.fromisoformat(run_date))[0]
    return total


# --- thresholds that changed at schedule or company level ------------------------------


def reconcile_threshold_changes() -> int:
    """Bring the threshold every enrollment carries in line with schedule and company
    changes recorded since the last run. Costs nothing on days without such changes."""
    updated = 0
    for change in uow_.reading(enrollment_store.pending_threshold_changes, company_id=None):
        cid = change.company_id
        company = uow_.reading(lambda: people_store.get_company(cid), company_id=cid)
        company_t = company.low_balance_threshold if company else None
        if change.scope == COMPANY_SCOPE:
            schedules, cursor = [], None
            while True:
                page = uow_.reading(lambda: schedules_store.list_schedules(cid, 200, cursor), company_id=cid)
                schedules += page.items
                cursor = page.next
                if not cursor:
                    break
        else:
            one = uow_.reading(lambda: schedules_store.get_schedule(cid, change.scope), company_id=cid)
            schedules = [one] if one else []
        for schedule in schedules:
            roster = uow_.reading(lambda: enrollment_store.roster(cid, schedule.schedule_id), company_id=cid)
            for enrollment in roster:
                target = thresholds.effective_threshold(
                    enrollment.low_balance_threshold, schedule.low_balance_threshold, company_t
                )
                if enrollment.threshold != target:
                    uow_.run(lambda uow: _set_threshold(uow, enrollment, target), company_id=cid)
                    updated += 1
        try:
            uow_.run(lambda uow: enrollment_store.forget_threshold_change(uow, change, _ChangedAgain), company_id=cid)
        except _ChangedAgain:
            pass  # it changed again while this run worked: the next run brings that in line
    return updated


class _ChangedAgain(Exception):
    """A threshold changed again while the job brought enrollments in line with it."""


def _set_threshold(uow: UnitOfWork, enrollment: records.Enrollment, target: int) -> None:
    current = enrollment_store.get_enrollment(enrollment.company_id, enrollment.schedule_id, enrollment.student_id)
    if current is not None and current.threshold != target:
        enrollment_store.save_enrollment(uow, replace(current, threshold=target))


# --- the inbox ---------------------------------------------------------------------------


def my_notifications(actor: Actor, limit: int, cursor: str | None, unread_only: bool) -> Page[records.Notification]:
    staff_id = own_staff_id(actor)
    if staff_id is None:
        return Page(items=[], next=None)
    return store.list_notifications(actor.company_id, staff_id, limit, cursor, unread_only)


def mark_read(actor: Actor, notification_id: str) -> records.Notification:
    def step(uow: UnitOfWork) -> records.Notification:
        staff_id = own_staff_id(actor)
        found = (
            store.get_notification(actor.company_id, staff_id, notification_id)
            if staff_id and ids.is_id(notification_id)
            else None
        )
        if found is None:
            raise NotFound("notification", notification_id)
        if found.read_at is not None:
            return found
        at = clock.now_iso()
        store.mark_read(uow, found, at)
        return replace(found, read_at=at)

    return uow_.run(step, company_id=actor.company_id)


def outbox(actor: Actor, limit: int, cursor: str | None):
    return store.list_outbox(actor.company_id, limit, cursor)
