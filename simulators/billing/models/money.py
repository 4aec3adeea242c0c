"""Money: a Decimal amount in a currency, rounded half-up to the currency's minor unit.

Conventions:
- amounts are ``decimal.Decimal``, never floats;
- every invoice line is rounded on its own, half-up, to the currency exponent (2 for USD, 0 for
  JPY); totals are sums of rounded lines, so they never need rounding themselves;
- intermediate arithmetic (proration fractions, ETL month counts) keeps full precision until the
  line is rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents of the currencies the simulator accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "CHF": 2,
    "JPY": 0,
}
_QUANTA: dict[str, Decimal] = {code: Decimal(1).scaleb(-exp) for code, exp in CURRENCY_EXPONENTS.items()}
ZERO = Decimal(0)


def is_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


def quantum(currency: str) -> Decimal:
    return _QUANTA[currency]


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """The one rounding rule: half-up to the currency's minor unit."""
    return amount.quantize(_QUANTA[currency], rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """A rounded amount (``Money.of("38.705", "USD") == 38.71 USD``)."""
        return cls(round_half_up(Decimal(amount), currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(round_half_up(ZERO, currency), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        """Multiply and round half-up (one line's worth of arithmetic)."""
        return Money.of(self.amount * factor, self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(amounts: list[Money] | tuple[Money, ...], currency: str) -> Money:
    result = Money.zero(currency)
    for item in amounts:
        result = result + item
    return result
