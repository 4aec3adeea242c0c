"""The OpenAPI contracts, shipped as package data, and helpers to load them."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# The C loader when PyYAML was built with libyaml (several times faster at start-up).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SPECS = {
    "sim-control": "sim-control.openapi.yaml",
    "salesforce": "salesforce.openapi.yaml",
    "billing-adapter": "billing-adapter.openapi.yaml",
    "integration": "integration.openapi.yaml",
}


def spec_path(name: str) -> Path:
    try:
        filename = SPECS[name]
    except KeyError:
        raise KeyError(f"unknown contract {name!r}; known: {', '.join(SPECS)}") from None
    return Path(str(resources.files(__package__).joinpath(filename)))


@cache
def _load(name: str) -> dict[str, Any]:
    with spec_path(name).open(encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=YAML_LOADER)
    assert isinstance(loaded, dict)
    return loaded


def load_spec(name: str) -> dict[str, Any]:
    """The parsed document. Treat it as read-only (it is cached); deep-copy before changing it."""
    return _load(name)


def spec_text(name: str) -> str:
    return spec_path(name).read_text(encoding="utf-8")
