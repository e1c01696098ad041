"""Sending email: Amazon SES in deployed stages, the local outbox in the `local` stage.

The SES client is made once, lazily. Which sender is used is the stage's setting
(`OPTCLASS_MAILER`), read on every send.
"""
import boto3

from . import clock, config, ids
from .store import notifications as store

_ses = {"client": None, "region": None}


def _ses_client():
    region = config.region()
    if _ses["client"] is None or _ses["region"] != region:
        _ses["client"] = boto3.client("ses", region_name=region)
        _ses["region"] = region
    return _ses["client"]


def send(company_id: str, to: str, subject: str, body: str) -> str:
    """Send one plain-text email; returns the message id."""
    sender = config.email_sender()
    if config.mailer() == "ses":
        answer = _ses_client().send_email(
            Source=sender, Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": body, "Charset": "UTF-8"}}})
        return answer["MessageId"]
    message_id = ids.new_id()
    store.put_outbox(message_id, company_id=company_id, to=to, sender=sender, subject=subject, body=body,
                     created_at=clock.now_iso())
    return message_id
