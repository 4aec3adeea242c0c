"""The base of every request body model: unknown fields and explicit nulls are refused.

Refusing ``null`` (omit the field instead) keeps each body's JSON Schema and its validation the
same thing, which is what lets schemathesis check both directions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None:
                    raise ValueError(f"{key!r} cannot be null; leave it out instead")
        return data
