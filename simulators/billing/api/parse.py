"""Contract JSON (already validated against the contract) to domain values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from simulators.billing.models.accounts import Address
from simulators.billing.models.money import Money


def money(data: dict[str, Any]) -> Money:
    """Exact: no rounding here; the billing system checks currency and precision."""
    return Money(Decimal(data["amount"]), data["currency"])


def opt_money(data: dict[str, Any] | None) -> Money | None:
    return None if data is None else money(data)


def day(text: str) -> date:
    return date.fromisoformat(text)


def opt_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def timestamp(text: str) -> datetime:
    value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def opt_timestamp(text: str | None) -> datetime | None:
    return None if text is None else timestamp(text)


def address(data: dict[str, Any]) -> Address:
    return Address(
        line1=data["line1"],
        city=data["city"],
        postal_code=data["postal_code"],
        country=data["country"],
        line2=data.get("line2"),
        region=data.get("region"),
    )


def pick(body: dict[str, Any] | None, *names: str) -> dict[str, Any]:
    """The named fields present in the body (absent ones are left to the domain's defaults)."""
    if not body:
        return {}
    return {name: body[name] for name in names if name in body}
