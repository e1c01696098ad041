"""Signing and sending deliveries the way each booking system does."""

import json
import time
import uuid

from chalicelib.webhooks import acuity, calcom, calendly, standard


class Sender:
    def __init__(self, client, integration: dict):
        self.client = client
        self.integration = integration
        self.path = integration["webhook_path"]
        self.secret = integration["secret"]

    def raw(self, body: bytes, headers: dict):
        from tests.functional.helpers import Answer

        response = self.client.http.post(self.path, headers=headers, body=body)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        return Answer(
            response.status_code,
            json.loads(text) if text else None,
            {k.lower(): v for k, v in response.headers.items()},
        )

    def standard(self, event: dict, msg_id: str | None = None, timestamp: int | None = None, secret: str | None = None):
        return self.standard_body(json.dumps(event, ensure_ascii=False).encode(), msg_id, timestamp, secret)

    def standard_body(
        self, body: bytes, msg_id: str | None = None, timestamp: int | None = None, secret: str | None = None
    ):
        """Exact bytes, correctly signed (for bodies json.dumps would not write, e.g. nested 1,000 deep)."""
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        timestamp = timestamp or int(time.time())
        sig = standard.sign(secret or self.secret, msg_id, timestamp, body)
        return self.raw(
            body,
            {
                "Content-Type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sig,
            },
        )

    def calcom(self, event: dict, signature: str | None = None):
        body = json.dumps(event, ensure_ascii=False).encode()
        return self.raw(
            body,
            {"Content-Type": "application/json", "X-Cal-Signature-256": signature or calcom.sign(self.secret, body)},
        )

    def calendly(self, event: dict, timestamp: int | None = None):
        body = json.dumps(event, ensure_ascii=False).encode()
        header = calendly.sign(self.secret, timestamp or int(time.time()), body)
        return self.raw(body, {"Content-Type": "application/json", "Calendly-Webhook-Signature": header})

    def acuity(self, form: str):
        body = form.encode()
        return self.raw(
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": acuity.sign(self.secret, body)},
        )
