"""Declarative object and field mapping between Salesforce records and billing objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from integration.mapping.transforms import TRANSFORMS, TransformContext, TransformError

# The C loader when PyYAML was built with libyaml (several times faster at start-up).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["FieldError", "FieldRule", "MappingConfig", "ObjectMapping", "TransformContext", "load_mapping"]


class FieldRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from")
    transform: str | None = None
    required: bool = False
    label: str | None = None
    values: dict[str, Any] | None = None

    @field_validator("transform")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in TRANSFORMS:
            raise ValueError(f"unknown transform {value!r}; known: {', '.join(sorted(TRANSFORMS))}")
        return value


class ObjectMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    salesforce_object: str
    external_id_field: str | None = None
    to_billing: dict[str, FieldRule] = Field(default_factory=dict)
    to_salesforce: dict[str, FieldRule] = Field(default_factory=dict)

    def salesforce_fields(self) -> list[str]:
        """The Salesforce fields to read for ``to_billing`` (in mapping order, no repeats)."""
        return list(dict.fromkeys(rule.source for rule in self.to_billing.values()))


class MappingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: ObjectMapping
    financials: ObjectMapping
    invoice: ObjectMapping


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


DEFAULT_MAPPING = "mapping.yaml"


@cache
def _load(path: str | None) -> MappingConfig:
    if path is None:
        text = resources.files(__package__).joinpath(DEFAULT_MAPPING).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return MappingConfig.model_validate(yaml.load(text, Loader=YAML_LOADER))


def load_mapping(path: Path | str | None = None) -> MappingConfig:
    return _load(None if path is None else str(path))


def get_path(source: Mapping[str, Any], dotted: str) -> Any:
    value: Any = source
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def apply(
    rules: Mapping[str, FieldRule], source: Mapping[str, Any], context: TransformContext
) -> tuple[dict[str, Any], list[FieldError]]:
    """Map ``source`` through ``rules``. Targets with dots build nested objects. Every problem is
    collected (not just the first), so a person fixes a record in one go."""
    result: dict[str, Any] = {}
    errors: list[FieldError] = []
    for target, rule in rules.items():
        value = get_path(source, rule.source)
        if _blank(value):
            if rule.required:
                errors.append(FieldError(rule.source, f"{rule.label or rule.source} is required"))
            _set(result, target, None)
            continue
        try:
            if rule.values is not None:
                key = str(value)
                if key not in rule.values:
                    raise TransformError(f"no mapping for value {key!r}")
                value = rule.values[key]
            if rule.transform is not None:
                value = TRANSFORMS[rule.transform](value, context)
        except TransformError as exc:
            errors.append(FieldError(rule.source, str(exc)))
            continue
        _set(result, target, value)
    return result, errors


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = target
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def prune_nulls(value: dict[str, Any]) -> dict[str, Any]:
    """Drop nulls (and objects left empty): the billing contract refuses explicit nulls."""
    pruned: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            item = prune_nulls(item)
            if not item:
                continue
        if item is not None:
            pruned[key] = item
    return pruned
