"""Sending email: Amazon SES in deployed stages, the local outbox in the `local` stage.

The SES client is made once, lazily. Which sender is used is the stage's setting
(`OPTCLASS_MAILER`), read on every send.
"""

from . import clock, config, ids
from .domain import records
from .store import notifications as store
from .store import unit_of_work

_ses = {"client": None, "region": None}


def _ses_client():
    region = config.region()
    if _ses["client"] is None or _ses["region"] != region:
        import boto3  # only a job that sends email needs it: keep it off the API's cold start

        _ses["client"] = boto3.client("ses", region_name=region)
        _ses["region"] = region
    return _ses["client"]


def resends_idempotently() -> bool:
    """Whether sending the same message again (same key) can never make a second one: true
    of the local outbox, whose "send" is a put under the key; not of SES."""
    return config.mailer() != "ses"


def send(company_id: str, to: str, subject: str, body: str, key: str | None = None) -> str:
    """Send one plain-text email; returns the message id. `key` names the message in the
    local outbox, so a repeat of the same message overwrites it instead of adding one."""
    sender = config.email_sender()
    if config.mailer() == "ses":
        answer = _ses_client().send_email(
            Source=sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )
        return answer["MessageId"]
    message = records.OutboxMessage(
        message_id=key or ids.new_id(),
        company_id=company_id,
        to=to,
        sender=sender,
        subject=subject,
        body=body,
        created_at=clock.now_iso(),
    )
    unit_of_work.run(lambda uow: store.put_outbox(uow, message), company_id=company_id)
    return message.message_id
