"""The local stage's own routes: jobs run now, and the emails the app has "sent"."""

from typing import Any

from pydantic import Field

from ..fields import Day
from .common import Out, Query


class JobQuery(Query):
    on: Day | None = Field(None, alias="date")


class JobOut(Out):
    job: str
    date: str
    result: dict[str, Any]


class OutboxOut(Out):
    id: str = Field(validation_alias="message_id")
    to: str
    sender: str
    subject: str
    body: str
    created_at: str
