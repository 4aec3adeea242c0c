"""Golden test: 1,000 seeded accounts over three months of virtual time.

The expected invoices, totals and summaries are computed here, independently of the engine: from
the seed's documented account layout (``simulators.billing.models.seed``), the catalog prices
written down below, plain calendar arithmetic and half-up rounding per line. The grand totals are
also written down as literals (derived once from the closed form below, never from the engine).

Timeline: seeded at 2025-01-01 00:00 UTC (services start on Jan 1 + (i % 28) days), every 7th
account pays its whole balance on 2025-03-15 at noon UTC, checked on 2025-04-01 at noon UTC (the
same local date, April 1, in every account time zone of the seed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from simulators.billing.models.payments import PaymentDraft
from simulators.billing.service.system import BillingSystem
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory

SEED = 2025
N = 1000
SEEDED_AT = datetime(2025, 1, 1, tzinfo=UTC)
PAY_AT = datetime(2025, 3, 15, 12, tzinfo=UTC)
CHECK_AT = datetime(2025, 4, 1, 12, tzinfo=UTC)
CHECK_DAY = date(2025, 4, 1)

# The seed's layout tables, restated: cycle by i % 5, payment terms by i % 4, product by i % 3.
CYCLES = ("monthly_1", "monthly_15", "anniversary", "quarterly", "monthly_1_eur")
TERMS_DAYS = (30, 15, 0, 45)
PRODUCTS = ("INET-100", "SIP-10", "VS-4")
# Catalog prices: (monthly price, installation fee) per currency.
PRICES = {
    "INET-100": {"USD": ("99.00", "150.00"), "EUR": ("89.00", "135.00")},
    "SIP-10": {"USD": ("150.00", "75.00"), "EUR": ("135.00", "65.00")},
    "VS-4": {"USD": ("80.00", "0"), "EUR": ("72.00", "0")},
}
STATIC_IP_X2 = Decimal("10.00")  # the add-on: 2 x 5.00 a month

# Written down once from the closed form below.
EXPECTED_INVOICES = 2508
EXPECTED_BILLED = {"USD": Decimal("560894.40"), "EUR": Decimal("118701.20")}
EXPECTED_DUE = {"USD": Decimal("514573.86"), "EUR": Decimal("105695.89")}
EXPECTED_PAST_DUE = {"USD": Decimal("218005.54"), "EUR": Decimal("67486.89")}


def rnd(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Bill:
    issue: date
    due: date
    lines: tuple[Decimal, ...]  # sorted

    @property
    def total(self) -> Decimal:
        return sum(self.lines, Decimal(0))


def expected_bills(i: int) -> list[Bill]:
    """The invoices of seeded account ``i`` through April 1, 2025, in closed form."""
    cycle = CYCLES[i % 5]
    currency = "EUR" if cycle == "monthly_1_eur" else "USD"
    price, install = (Decimal(x) for x in PRICES[PRODUCTS[i % 3]][currency])
    p = price * (1 + i % 2)  # quantity 1 + i % 2
    add_on = currency == "USD" and i % 12 == 0  # i % 4 == 0 and the product is Internet Access
    d = i % 28  # the service starts on January 1 + d days
    terms = TERMS_DAYS[i % 4]

    def lines(fraction_num: int | None, fraction_den: int, months: int, first: bool) -> list[Decimal]:
        """Recurring lines for one service (+ add-on): an optional prorated part, then ``months``
        full periods; the installation fee on the first invoice."""
        result: list[Decimal] = []
        for monthly in [p] + ([STATIC_IP_X2] if add_on else []):
            if fraction_num is not None:
                result.append(rnd(monthly * months * fraction_num / fraction_den))
            result.append(rnd(monthly * months))
        if first and install:
            result.append(install)
        return result

    def bill(issue: date, amounts: list[Decimal]) -> Bill:
        return Bill(issue, issue + timedelta(days=terms), tuple(sorted(amounts)))

    if cycle in ("monthly_1", "monthly_1_eur"):
        # Feb 1: Jan (1 + d) - Jan 31 is 31 - d of January's 31 days, then February in advance.
        partial = None if d == 0 else 31 - d
        first = (
            lines(partial, 31, 1, True) if partial else lines(None, 31, 1, True) + lines(None, 31, 1, False)
        )
        return [
            bill(date(2025, 2, 1), first),
            bill(date(2025, 3, 1), lines(None, 31, 1, False)),
            bill(date(2025, 4, 1), lines(None, 31, 1, False)),
        ]
    if cycle == "monthly_15":
        # Periods run from the 15th to the 14th; Dec 15 - Jan 14 and Jan 15 - Feb 14 have 31 days.
        if d < 14:  # Jan (1 + d) - Jan 14 on the Jan 15 run
            return [
                bill(date(2025, 1, 15), lines(14 - d, 31, 1, True)),
                bill(date(2025, 2, 15), lines(None, 31, 1, False)),
                bill(date(2025, 3, 15), lines(None, 31, 1, False)),
            ]
        if d == 14:  # starts on Jan 15 itself, before that day's run
            return [
                bill(date(2025, 1, 15), lines(None, 31, 1, True)),
                bill(date(2025, 2, 15), lines(None, 31, 1, False)),
                bill(date(2025, 3, 15), lines(None, 31, 1, False)),
            ]
        return [  # Jan (1 + d) - Feb 14 is 45 - d days, on the Feb 15 run
            bill(date(2025, 2, 15), lines(45 - d, 31, 1, True)),
            bill(date(2025, 3, 15), lines(None, 31, 1, False)),
        ]
    if cycle == "anniversary":
        if d == 0:  # seeded on Jan 1 itself: the first run is Feb 1 (January and February)
            return [
                bill(date(2025, 2, 1), lines(None, 31, 1, True) + lines(None, 31, 1, False)),
                bill(date(2025, 3, 1), lines(None, 31, 1, False)),
                bill(date(2025, 4, 1), lines(None, 31, 1, False)),
            ]
        return [bill(date(2025, m, 1 + d), lines(None, 31, 1, m == 1)) for m in (1, 2, 3)]
    # Quarterly: Jan (1 + d) - Mar 31 is 90 - d of Q1's 90 days, then Q2 in advance, on Apr 1.
    partial_q = None if d == 0 else 90 - d
    amounts = (
        lines(partial_q, 90, 3, True) if partial_q else lines(None, 90, 3, True) + lines(None, 90, 3, False)
    )
    return [bill(date(2025, 4, 1), amounts)]


def next_invoice_date(i: int) -> date:
    cycle = CYCLES[i % 5]
    d = i % 28
    if cycle == "monthly_15":
        return date(2025, 4, 15)
    if cycle == "quarterly":
        return date(2025, 7, 1)
    if cycle == "anniversary" and d > 0:
        return date(2025, 4, 1 + d)
    return date(2025, 5, 1)


async def test_golden_thousand_accounts_three_months() -> None:
    clock = Clock(start=SEEDED_AT, frozen=True)
    billing = BillingSystem(clock, IdFactory(SEED))
    created = billing.load_seed(SEED, {"accounts": N, "services_per_account": 1})
    assert created["accounts"] == N
    assert created["services"] == N + len([i for i in range(N) if i % 12 == 0 and i % 5 != 4])

    await clock.advance(to=PAY_AT)
    payers = [a for i, a in enumerate(billing.find_accounts()) if i % 7 == 0]
    for account in payers:
        due = billing.account_summary(account.id).amount_due
        if due.amount > 0:
            billing.create_payment(PaymentDraft(account_id=account.id, amount=due, reference="golden"))
    await clock.advance(to=CHECK_AT)

    billed: Counter[str] = Counter()
    due_total: Counter[str] = Counter()
    past_due_total: Counter[str] = Counter()
    invoice_count = 0
    for i, account in enumerate(billing.find_accounts()):
        expected = expected_bills(i)
        actual = billing.invoices(account_id=account.id)
        got = [
            Bill(inv.issue_date, inv.due_date, tuple(sorted(line.amount.amount for line in inv.lines)))
            for inv in actual
        ]
        assert got == expected, f"account {i} ({CYCLES[i % 5]}, d={i % 28})"
        assert [inv.total.amount for inv in actual] == [b.total for b in expected]
        invoice_count += len(expected)

        paid = Decimal(0)
        if i % 7 == 0:
            paid = sum((b.total for b in expected if b.issue <= PAY_AT.date()), Decimal(0))
        total = sum((b.total for b in expected), Decimal(0))
        open_past_due = sum(
            (
                b.total
                for b in expected
                if b.due < CHECK_DAY and not (i % 7 == 0 and b.issue <= PAY_AT.date())
            ),
            Decimal(0),
        )
        summary = billing.account_summary(account.id)
        currency = account.currency
        assert summary.total_billed.amount == total, i
        assert summary.amount_due.amount == total - paid, i
        assert summary.past_due_amount.amount == open_past_due, i
        assert summary.unapplied_credit.amount == 0
        assert summary.pending_charges.amount == 0
        assert summary.next_invoice_date == next_invoice_date(i), i
        assert summary.first_invoice is not None
        assert summary.latest_invoice is not None
        assert (summary.first_invoice.date, summary.first_invoice.amount.amount) == (
            expected[0].issue,
            expected[0].total,
        )
        assert (summary.latest_invoice.date, summary.latest_invoice.amount.amount) == (
            expected[-1].issue,
            expected[-1].total,
        )
        if paid:
            assert summary.last_payment is not None
            assert (summary.last_payment.date, summary.last_payment.amount.amount) == (
                date(2025, 3, 15),
                paid,
            )
        else:
            assert summary.last_payment is None
        billed[currency] += total
        due_total[currency] += total - paid
        past_due_total[currency] += open_past_due

    assert invoice_count == EXPECTED_INVOICES
    assert len(billing.invoices()) == EXPECTED_INVOICES
    assert dict(billed) == EXPECTED_BILLED
    assert dict(due_total) == EXPECTED_DUE
    assert dict(past_due_total) == EXPECTED_PAST_DUE
    posted = billing.events(types=["invoice.posted"])
    assert len(posted) == EXPECTED_INVOICES
    billing.close()
