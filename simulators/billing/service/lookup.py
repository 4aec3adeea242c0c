"""Found-or-404: every ``get_*`` of the service layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from simulators.billing.models import errors

T = TypeVar("T")


def found(table: Mapping[str, T], key: str, kind: str) -> T:
    """``table[key]``, or the ``not_found`` problem naming ``kind`` and ``key``."""
    value = table.get(key)
    if value is None:
        raise errors.not_found(kind, key)
    return value
