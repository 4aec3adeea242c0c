"""``BillingSystem``: the facade the HTTP handlers, the control plane and tests call. It owns the
runtime (store, clock, ids, event log, work queue) and one service per aggregate; every public
method delegates to one of them.

Conventions:
- every mutating call ends by running clock work already due and by firing
  ``account.summary_changed`` for accounts whose figures changed (``engine.clockwork.settle``);
- the system subscribes itself to the clock (``subscribe_clock=False`` to wire it by hand);
  ``on_time_passed`` is idempotent: work is queued by due instant and runs once, in time order
  (scheduled order items, then term ends, then bill runs, then aging at the same instant).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Literal

from simulators.billing.engine import clockwork
from simulators.billing.engine.runtime import EngineSettings, Runtime
from simulators.billing.models.accounts import Account, AccountChanges, AccountDraft, AccountSummary
from simulators.billing.models.catalog import (
    PriceDraft,
    Product,
    ProductChanges,
    ProductDraft,
    TermOptionChanges,
    TermOptionDraft,
)
from simulators.billing.models.events import Event, EventLog
from simulators.billing.models.invoices import BillRun, Invoice
from simulators.billing.models.money import Money
from simulators.billing.models.orders import Order, OrderDraft
from simulators.billing.models.payments import Payment, PaymentDraft
from simulators.billing.models.reference import AccountCategory, BillCycle
from simulators.billing.models.services import EtlQuote, Service
from simulators.billing.service.accounts import AccountService
from simulators.billing.service.billing import BillingService
from simulators.billing.service.catalog import CatalogService
from simulators.billing.service.events import EventService
from simulators.billing.service.invoices import InvoiceService
from simulators.billing.service.orders import OrderService
from simulators.billing.service.payments import PaymentService
from simulators.billing.service.reference import ReferenceService
from simulators.billing.service.seed import SeedService
from simulators.billing.service.services import ServiceInventory
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory

__all__ = ["BillingSystem", "EngineSettings"]


class BillingSystem:
    def __init__(
        self,
        clock: Clock,
        ids: IdFactory,
        settings: EngineSettings | None = None,
        *,
        publish: Callable[[Event], None] | None = None,
        subscribe_clock: bool = True,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.settings = settings or EngineSettings()
        self.rt = Runtime(clock, ids, self.settings, EventLog(ids, publish))
        rt = self.rt
        self._reference = ReferenceService(rt)
        self._accounts = AccountService(rt)
        self._catalog = CatalogService(rt)
        self._orders = OrderService(rt)
        self._inventory = ServiceInventory(rt)
        self._billing = BillingService(rt)
        self._invoices = InvoiceService(rt)
        self._payments = PaymentService(rt)
        self._events = EventService(rt)
        self._seed = SeedService(rt, self._reference, self._accounts, self._orders)
        self._reference.load()
        self._unsubscribe = clock.subscribe(self.on_time_passed) if subscribe_clock else None

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def on_time_passed(self, old: datetime, new: datetime) -> None:
        clockwork.run_due(self.rt, new)

    # -- seed and reference data ---------------------------------------------------------------

    def load_seed(self, seed: int, counts: Mapping[str, int]) -> dict[str, int]:
        """Drop everything; reference data and catalog, then ``counts['accounts']`` accounts."""
        return self._seed.load(seed, counts)

    def product_by_code(self, code: str) -> Product:
        return self._reference.product_by_code(code)

    def bill_cycle_by_key(self, key: str) -> BillCycle:
        """Seeded cycles by key (``monthly_1``, ``monthly_15``, ``anniversary``, ...)."""
        return self._reference.bill_cycle_by_key(key)

    def account_category_by_key(self, key: str) -> AccountCategory:
        return self._reference.account_category_by_key(key)

    def bill_cycles(self) -> list[BillCycle]:
        return self._reference.bill_cycles()

    def get_bill_cycle(self, bill_cycle_id: str) -> BillCycle:
        return self._reference.get_bill_cycle(bill_cycle_id)

    def account_categories(self) -> list[AccountCategory]:
        return self._reference.account_categories()

    def get_account_category(self, category_id: str) -> AccountCategory:
        return self._reference.get_account_category(category_id)

    def currencies(self) -> list[str]:
        return self._reference.currencies()

    # -- accounts ------------------------------------------------------------------------------

    def create_account(self, draft: AccountDraft) -> Account:
        return self._accounts.create(draft)

    def get_account(self, account_id: str) -> Account:
        return self._accounts.get(account_id)

    def find_accounts(
        self, *, external_id: str | None = None, number: str | None = None, status: str | None = None
    ) -> list[Account]:
        return self._accounts.find(external_id=external_id, number=number, status=status)

    def update_account(
        self, account_id: str, changes: AccountChanges, *, expected_version: int | None = None
    ) -> Account:
        return self._accounts.update(account_id, changes, expected_version=expected_version)

    def account_summary(self, account_id: str) -> AccountSummary:
        return self._accounts.summary(account_id)

    # -- catalog -------------------------------------------------------------------------------

    def products(
        self, *, type: str | None = None, status: str | None = None, updated_since: datetime | None = None
    ) -> list[Product]:
        return self._catalog.products(type=type, status=status, updated_since=updated_since)

    def get_product(self, product_id: str) -> Product:
        return self._catalog.get(product_id)

    def update_product(
        self, product_id: str, changes: ProductChanges, *, expected_version: int | None = None
    ) -> Product:
        """Edit the catalog; ``product.updated`` on any change (``CatalogService``)."""
        return self._catalog.update(product_id, changes, expected_version=expected_version)

    def create_product(self, draft: ProductDraft) -> Product:
        return self._catalog.create(draft)

    def deactivate_product(self, product_id: str) -> Product:
        return self._catalog.deactivate(product_id)

    def add_product_price(self, product_id: str, draft: PriceDraft) -> Product:
        return self._catalog.add_price(product_id, draft)

    def update_product_price(self, product_id: str, price_id: str, amount: Money) -> Product:
        return self._catalog.update_price(product_id, price_id, amount)

    def add_product_term_option(self, product_id: str, draft: TermOptionDraft) -> Product:
        return self._catalog.add_term_option(product_id, draft)

    def update_product_term_option(
        self, product_id: str, term_option_id: str, changes: TermOptionChanges
    ) -> Product:
        return self._catalog.update_term_option(product_id, term_option_id, changes)

    # -- orders and services -------------------------------------------------------------------

    def submit_order(self, draft: OrderDraft, *, invalid_items: Literal["raise", "fail"] = "raise") -> Order:
        """Validate the whole order, then apply, schedule or hold it (``OrderService.submit``)."""
        return self._orders.submit(draft, invalid_items=invalid_items)

    def confirm_order(self, order_id: str) -> Order:
        return self._orders.confirm(order_id)

    def approve_order(self, order_id: str) -> Order:
        return self._orders.approve(order_id)

    def void_order(self, order_id: str) -> Order:
        return self._orders.void(order_id)

    def get_order(self, order_id: str) -> Order:
        return self._orders.get(order_id)

    def orders(self, *, account_id: str | None = None) -> list[Order]:
        return self._orders.find(account_id=account_id)

    def services(self, *, account_id: str | None = None, status: str | None = None) -> list[Service]:
        return self._inventory.find(account_id=account_id, status=status)

    def get_service(self, service_id: str) -> Service:
        return self._inventory.get(service_id)

    def etl_quote(self, service_id: str, effective_date: date | None = None) -> EtlQuote:
        return self._inventory.etl_quote(service_id, effective_date)

    # -- billing and invoices ------------------------------------------------------------------

    def start_bill_run(
        self,
        *,
        bill_cycle_id: str | None = None,
        account_ids: Collection[str] | None = None,
        through_date: date,
        auto_approve: bool | None = None,
    ) -> BillRun:
        return self._billing.start_bill_run(
            bill_cycle_id=bill_cycle_id,
            account_ids=account_ids,
            through_date=through_date,
            auto_approve=auto_approve,
        )

    def approve_bill_run(self, bill_run_id: str) -> BillRun:
        return self._billing.approve_bill_run(bill_run_id)

    def get_bill_run(self, bill_run_id: str) -> BillRun:
        return self._billing.get_bill_run(bill_run_id)

    def bill_runs(self) -> list[BillRun]:
        return self._billing.bill_runs()

    def bill_now(self, account_id: str, *, through_date: date | None = None) -> Invoice | None:
        return self._billing.bill_now(account_id, through_date=through_date)

    def invoices(
        self,
        *,
        account_id: str | None = None,
        status: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> list[Invoice]:
        return self._invoices.find(
            account_id=account_id, status=status, issued_from=issued_from, issued_to=issued_to
        )

    def get_invoice(self, invoice_id: str) -> Invoice:
        return self._invoices.get(invoice_id)

    def void_invoice(self, invoice_id: str) -> Invoice:
        return self._invoices.void(invoice_id)

    # -- payments and events -------------------------------------------------------------------

    def create_payment(self, draft: PaymentDraft) -> Payment:
        return self._payments.create(draft)

    def payments(self, *, account_id: str | None = None) -> list[Payment]:
        return self._payments.find(account_id=account_id)

    def get_payment(self, payment_id: str) -> Payment:
        return self._payments.get(payment_id)

    def reverse_payment(self, payment_id: str) -> Payment:
        return self._payments.reverse(payment_id)

    def events(
        self,
        *,
        after: str | None = None,
        types: Collection[str] | None = None,
        object_id: str | None = None,
        account_id: str | None = None,
    ) -> list[Event]:
        return self._events.find(after=after, types=types, object_id=object_id, account_id=account_id)

    def get_event(self, event_id: str) -> Event:
        return self._events.get(event_id)
