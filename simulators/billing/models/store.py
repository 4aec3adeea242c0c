"""In-memory tables with the indexes the engine needs (no scans over all accounts).

- accounts by id, by external id, by number and by bill cycle (insertion-ordered);
- services, orders, invoices, payments and pending charges by account;
- add-on services by parent service;
- the clock's work queue lives in ``engine.schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulators.billing.models.accounts import Account, AccountSummary
from simulators.billing.models.catalog import Product
from simulators.billing.models.invoices import BillRun, Invoice, PendingCharge
from simulators.billing.models.orders import Order
from simulators.billing.models.payments import Payment
from simulators.billing.models.reference import AccountCategory, BillCycle
from simulators.billing.models.services import Service

# Credit sources of an account, in creation order: ("payment", id) or ("invoice", id).
CreditSource = tuple[str, str]


@dataclass
class Store:
    bill_cycles: dict[str, BillCycle] = field(default_factory=dict)
    categories: dict[str, AccountCategory] = field(default_factory=dict)
    currencies: list[str] = field(default_factory=list)
    products: dict[str, Product] = field(default_factory=dict)

    accounts: dict[str, Account] = field(default_factory=dict)
    account_by_external_id: dict[str, str] = field(default_factory=dict)
    account_by_number: dict[str, str] = field(default_factory=dict)
    accounts_by_cycle: dict[str, dict[str, None]] = field(default_factory=dict)

    orders: dict[str, Order] = field(default_factory=dict)
    orders_by_account: dict[str, list[str]] = field(default_factory=dict)
    order_by_external_id: dict[str, str] = field(default_factory=dict)

    services: dict[str, Service] = field(default_factory=dict)
    services_by_account: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    pending_by_account: dict[str, dict[str, PendingCharge]] = field(default_factory=dict)

    invoices: dict[str, Invoice] = field(default_factory=dict)
    invoices_by_account: dict[str, list[str]] = field(default_factory=dict)
    draft_invoice_by_account: dict[str, str] = field(default_factory=dict)

    payments: dict[str, Payment] = field(default_factory=dict)
    payments_by_account: dict[str, list[str]] = field(default_factory=dict)
    credit_sources: dict[str, list[CreditSource]] = field(default_factory=dict)

    bill_runs: dict[str, BillRun] = field(default_factory=dict)
    #: Bill run awaiting approval per bill cycle (the next run of that cycle waits for it).
    open_run_by_cycle: dict[str, str] = field(default_factory=dict)

    last_summary: dict[str, AccountSummary] = field(default_factory=dict)
    summary_version: dict[str, int] = field(default_factory=dict)

    # -- indexes -------------------------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        self.accounts[account.id] = account
        if account.external_id is not None:
            self.account_by_external_id[account.external_id] = account.id
        self.account_by_number[account.number] = account.id
        self.accounts_by_cycle.setdefault(account.bill_cycle_id, {})[account.id] = None

    def add_service(self, service: Service) -> None:
        self.services[service.id] = service
        self.services_by_account.setdefault(service.account_id, []).append(service.id)
        if service.parent_service_id is not None:
            self.children.setdefault(service.parent_service_id, []).append(service.id)

    def account_services(self, account_id: str) -> list[Service]:
        return [self.services[s] for s in self.services_by_account.get(account_id, [])]

    def child_services(self, service_id: str) -> list[Service]:
        return [self.services[s] for s in self.children.get(service_id, [])]

    def add_order(self, order: Order) -> None:
        self.orders[order.id] = order
        self.orders_by_account.setdefault(order.account_id, []).append(order.id)
        if order.external_id is not None:
            self.order_by_external_id[order.external_id] = order.id

    def add_pending(self, charge: PendingCharge) -> None:
        self.pending_by_account.setdefault(charge.account_id, {})[charge.id] = charge

    def pending_charges(self, account_id: str) -> list[PendingCharge]:
        return list(self.pending_by_account.get(account_id, {}).values())

    def add_invoice(self, invoice: Invoice) -> None:
        self.invoices[invoice.id] = invoice
        self.invoices_by_account.setdefault(invoice.account_id, []).append(invoice.id)

    def account_invoices(self, account_id: str) -> list[Invoice]:
        return [self.invoices[i] for i in self.invoices_by_account.get(account_id, [])]

    def add_payment(self, payment: Payment) -> None:
        self.payments[payment.id] = payment
        self.payments_by_account.setdefault(payment.account_id, []).append(payment.id)

    def account_payments(self, account_id: str) -> list[Payment]:
        return [self.payments[p] for p in self.payments_by_account.get(account_id, [])]
