"""The base of every request body model: unknown fields and explicit nulls are refused.

Refusing ``null`` (omit the field instead) keeps each body's JSON Schema and its validation the
same thing, which is what lets schemathesis check both directions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)


def _whole_number(value: Any) -> Any:
    # JSON Schema 2020-12 counts 72.0 as an integer; strict pydantic would refuse it.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_whole_number)]
"""An integer field of a request body: whole-number floats accepted, booleans and strings not."""


# Strict models see strings after their before-validators run, so date/time fields parse in
# lax mode (ISO 8601 strings only; JSON has no other date form).
def _iso_string(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string")
    return value


JsonDatetime = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_iso_string)]
JsonDate = Annotated[date, Field(strict=False), BeforeValidator(_iso_string)]


class StrictModel(BaseModel):
    """Validated from JSON in strict mode: no coercion of "5" to 5 or of 0 to False."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave it out instead")
        return value


class StrictVariant(BaseModel):
    """For members of a discriminated union (pydantic forbids field validators on the
    discriminator): the same rules, checked on the whole object."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None:
                    raise ValueError(f"{key!r} cannot be null; leave it out instead")
        return data
