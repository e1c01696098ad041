"""Health, and the OpenAPI document's query."""

from typing import Literal

from pydantic import ConfigDict

from .common import Model, Query


class HealthOut(Model):
    status: Literal["ok", "unavailable"]


class OpenApiQuery(Query):
    """Query strings are ignored."""

    model_config = ConfigDict(extra="allow")
