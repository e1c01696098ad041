"""The base classes of every body, the error shape, and what a response model validates from."""

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class Model(BaseModel):
    """Every schema: validators are built on first use (defer_build), so a cold start pays
    only for the models its first request needs."""

    model_config = ConfigDict(defer_build=True)


class In(Model):
    """A request body: unknown fields and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class PatchIn(In):
    """A partial update: absent fields are left alone; only `nullable` fields accept null."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self):
        bad = [name for name in self.model_fields_set if getattr(self, name) is None and name not in self.nullable]
        if bad:
            raise ValueError(f"may not be null: {', '.join(sorted(bad))}")
        if not self.model_fields_set:
            raise ValueError("at least one field must be given")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, mode="python")


class Query(Model):
    """Query parameters: all arrive as text; unknown ones are refused."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ListQuery(Query):
    limit: int = Field(50, ge=1, le=200)
    next: str | None = Field(None, max_length=2048)


class Out(Model):
    """A response body. It validates from the attributes of what the view returns (a record,
    a use case's result), a field's `validation_alias` naming the attribute it comes from
    where the names differ (`id` from `student_id`, `AliasPath` into a nested record).
    A response model's docstring would become its description in the OpenAPI document, so
    notes on where its fields come from are comments."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)


class Overlay:
    """An object's attributes with a few more laid over them, for a response model to
    validate from: what a presenter works out (a composite id, a rule's answer) beside the
    record's own fields, `Model.model_validate(Overlay(record, enrollment_id=...))`."""

    __slots__ = ("_base", "_more")

    def __init__(self, base: object, **more: Any) -> None:
        self._base = base
        self._more = more

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._more:
            return self._more[name]
        return getattr(self._base, name)


def _zero_if_none(value: Any) -> Any:
    return 0 if value is None else value


# A count or a version a record may lack (an item written before it was kept): shown as 0.
Count = Annotated[int, BeforeValidator(_zero_if_none)]


class ErrorDetail(Model):
    field: str
    message: str


class ErrorBody(Model):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorOut(Model):
    error: ErrorBody
