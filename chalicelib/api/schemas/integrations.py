"""Booking-system integrations, their deliveries, and the webhook receiver's answer."""

from typing import Annotated, Literal

from pydantic import AliasPath, ConfigDict, Field, field_validator

from ..fields import Id, Name
from .common import Count, In, ListQuery, Out, Query

EventTypeKey = Annotated[str, Field(min_length=1, max_length=300)]


class IntegrationIn(In):
    provider: Literal["standard", "calcom", "calendly", "acuity"]
    name: Name
    event_types: dict[EventTypeKey, Id] = Field(default_factory=dict, max_length=100)
    default_schedule_id: Id | None = None
    secret: Annotated[str, Field(min_length=8, max_length=500)] | None = None
    account_id: Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")] | None = None


class SecretIn(In):
    secret: Annotated[str, Field(min_length=8, max_length=500)] | None = None


class IntegrationOut(Out):
    id: str = Field(validation_alias="integration_id")
    provider: str
    name: str
    event_types: dict[str, str]
    default_schedule_id: str | None
    account_id: str | None
    active: bool
    webhook_path: str = Field(validation_alias="integration_id")
    secret_rotating: bool = Field(validation_alias="previous_secret")
    created_at: str
    updated_at: str

    @field_validator("webhook_path", mode="before")
    @classmethod
    def _webhook_path(cls, integration_id: str) -> str:
        """Where the booking system delivers (api/integrations.py's receiver)."""
        return f"/webhooks/{integration_id}"

    @field_validator("secret_rotating", mode="before")
    @classmethod
    def _rotating(cls, previous_secret: str | None) -> bool:
        """Rotating while the secret before it is still accepted."""
        return bool(previous_secret)


# The integration, with the secret it was just given laid over it by its view (shown this
# once; the record keeps it sealed).
class IntegrationWithSecretOut(IntegrationOut):
    secret: str


class DeliveriesQuery(ListQuery):
    status: Literal["applied", "duplicate", "ignored", "failed"] | None = None


class DeliveryOut(Out):
    id: str = Field(validation_alias="delivery_id")
    integration_id: str
    provider: str
    provider_key: str
    event: str | None
    booking_id: str | None
    status: str
    reason: str | None
    received_at: str
    updated_at: str
    repeats: Count
    replays: Count


class WebhookQuery(Query):
    """Booking systems may add their own query parameters; they are ignored."""

    model_config = ConfigDict(extra="allow")


# The receiver's outcome (services.webhooks.Outcome): its delivery, and whether it was a repeat.
class WebhookOut(Out):
    delivery_id: str = Field(validation_alias=AliasPath("delivery", "delivery_id"))
    status: str = Field(validation_alias=AliasPath("delivery", "status"))
    reason: str | None = Field(validation_alias=AliasPath("delivery", "reason"))
    repeat: bool
