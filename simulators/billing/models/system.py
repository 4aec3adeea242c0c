"""``BillingSystem``: the facade the HTTP layer calls. It validates requests (raising ``Problem``),
delegates the rules to ``simulators.billing.engine`` and keeps the event log.

Conventions:
- every mutating call ends by running clock work already due and by firing
  ``account.summary_changed`` for accounts whose figures changed;
- the system subscribes itself to the clock (``subscribe_clock=False`` to wire it by hand);
  ``on_time_passed`` is idempotent: work is queued by due instant and runs once, in time order
  (scheduled order items, then term ends, then bill runs, then aging at the same instant).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Literal

from faker import Faker

from contracts.problem import Problem
from simulators.billing.engine import accounts as account_rules
from simulators.billing.engine import aging, bill_run, ordering, renewals, summary
from simulators.billing.engine import payments as payment_engine
from simulators.billing.engine.changes import etl_quote as compute_quote
from simulators.billing.engine.runtime import EngineSettings, Runtime, paused_gc, start_of
from simulators.billing.models import errors
from simulators.billing.models.accounts import (
    Account,
    AccountChanges,
    AccountDraft,
    AccountSummary,
)
from simulators.billing.models.catalog import Product, ProductChanges
from simulators.billing.models.events import EVENT_TYPES, Event, EventLog
from simulators.billing.models.invoices import BillRun, Invoice
from simulators.billing.models.orders import ItemStatus, Order, OrderDraft, OrderItem, OrderStatus
from simulators.billing.models.payments import Payment, PaymentDraft
from simulators.billing.models.reference import AccountCategory, BillCycle
from simulators.billing.models.seed import (
    CURRENCIES,
    SEED_MAXIMUMS,
    account_layout,
    build_catalog,
    build_categories,
    build_cycles,
)
from simulators.billing.models.services import EtlQuote, Service
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
        self._cycles_by_key: dict[str, BillCycle] = {}
        self._categories_by_key: dict[str, AccountCategory] = {}
        self._products_by_code: dict[str, Product] = {}
        self._load_reference()
        self._unsubscribe = clock.subscribe(self.on_time_passed) if subscribe_clock else None

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- seed ----------------------------------------------------------------------------------

    def _load_reference(self) -> None:
        now = self.rt.now()
        store = self.rt.store
        self._cycles_by_key = build_cycles(self.ids, now)
        self._categories_by_key = build_categories(self.ids, now)
        self._products_by_code = build_catalog(self.ids, now)
        store.bill_cycles = {c.id: c for c in self._cycles_by_key.values()}
        store.categories = {c.id: c for c in self._categories_by_key.values()}
        store.products = {p.id: p for p in self._products_by_code.values()}
        store.currencies = list(CURRENCIES)
        today = self.rt.today()
        for cycle in store.bill_cycles.values():
            if cycle.auto_bill:
                self.rt.schedule(start_of(self._next_run_date(cycle, today)), "cycle_run", cycle.id)

    def _next_run_date(self, cycle: BillCycle, after: date) -> date:
        if cycle.alignment == "anniversary":
            return after + timedelta(days=1)
        schedule = cycle.schedule(None)
        assert schedule is not None
        return schedule.next_start_after(after)

    def load_seed(self, seed: int, counts: Mapping[str, int]) -> dict[str, int]:
        """Drop everything; reference data and catalog, then ``counts['accounts']`` accounts."""
        for key, value in counts.items():
            if key not in SEED_MAXIMUMS:
                raise errors.fail(
                    errors.INVALID_VALUE,
                    f"unknown seed count {key!r}; known: {sorted(SEED_MAXIMUMS)}",
                    param=f"counts.{key}",
                )
            if not 0 <= value <= SEED_MAXIMUMS[key]:
                raise errors.fail(
                    errors.INVALID_VALUE,
                    f"{key} must be between 0 and {SEED_MAXIMUMS[key]}",
                    param=f"counts.{key}",
                )
        self.ids.reset(seed)
        self.rt.reset()
        self._load_reference()
        n_accounts = counts.get("accounts", 0)
        per_account = max(1, min(3, counts.get("services_per_account", 1)))
        fake = Faker("en_US") if n_accounts else None
        if fake is not None:
            fake.seed_instance(seed)
        today = self.rt.today()
        with paused_gc():
            self._seed_accounts(n_accounts, per_account, today, fake)
        store = self.rt.store
        return {
            "bill_cycles": len(store.bill_cycles),
            "account_categories": len(store.categories),
            "products": len(store.products),
            "accounts": len(store.accounts),
            "orders": len(store.orders),
            "services": len(store.services),
        }

    def _seed_accounts(self, n_accounts: int, per_account: int, today: date, fake: Faker | None) -> None:
        for i in range(n_accounts):
            draft, items = account_layout(
                i,
                per_account,
                today,
                cycles=self._cycles_by_key,
                categories=self._categories_by_key,
                products=self._products_by_code,
                fake=fake,
            )
            account = self.create_account(draft)
            self.submit_order(
                OrderDraft(account_id=account.id, items=items, external_id=f"{draft.external_id}-O1")
            )

    def product_by_code(self, code: str) -> Product:
        product = self._products_by_code.get(code)
        if product is None:
            raise errors.not_found("product", code)
        return product

    def bill_cycle_by_key(self, key: str) -> BillCycle:
        """Seeded cycles by key (``monthly_1``, ``monthly_15``, ``anniversary``, ...)."""
        return self._cycles_by_key[key]

    def account_category_by_key(self, key: str) -> AccountCategory:
        return self._categories_by_key[key]

    # -- the clock -----------------------------------------------------------------------------

    async def on_time_passed(self, old: datetime, new: datetime) -> None:
        self._run_due(new)

    def _run_due(self, until: datetime) -> None:
        rt = self.rt
        if not rt.queue or rt.queue[0].due > until:
            return
        with paused_gc():
            self._run_due_items(until)

    def _run_due_items(self, until: datetime) -> None:
        rt = self.rt
        while (item := rt.next_due(until)) is not None:
            with rt.at(item.due):
                if item.kind == "order_item":
                    ordering.process_scheduled(rt, item.key, self._bill_account_now)
                elif item.kind == "term_end":
                    renewals.process(rt, item.key)
                elif item.kind == "cycle_run":
                    self._cycle_run(item.key, item.due.date())
                else:
                    aging.process(rt, item.key)
                summary.flush(rt)

    def _cycle_run(self, cycle_id: str, day: date) -> None:
        rt = self.rt
        cycle = rt.store.bill_cycles.get(cycle_id)
        if cycle is None:
            return
        rt.schedule(start_of(self._next_run_date(cycle, day)), "cycle_run", cycle.id)
        if cycle.status != "active" or not cycle.auto_bill or cycle.id in rt.store.open_run_by_cycle:
            return
        accounts = [rt.store.accounts[a] for a in rt.store.accounts_by_cycle.get(cycle.id, {})]
        if cycle.alignment == "anniversary":
            accounts = [
                a
                for a in accounts
                if a.bill_cycle_day is not None and _is_bill_day(cycle, a.bill_cycle_day, day)
            ]
        if not accounts:
            return
        bill_run.run(
            rt,
            accounts,
            through=day,
            auto_approve=cycle.auto_approve,
            trigger="schedule",
            bill_cycle_id=cycle.id,
        )

    def _settle(self) -> None:
        self._run_due(self.clock.now())
        summary.flush(self.rt)

    # -- reference data ------------------------------------------------------------------------

    def bill_cycles(self) -> list[BillCycle]:
        return list(self.rt.store.bill_cycles.values())

    def get_bill_cycle(self, bill_cycle_id: str) -> BillCycle:
        cycle = self.rt.store.bill_cycles.get(bill_cycle_id)
        if cycle is None:
            raise errors.not_found("bill cycle", bill_cycle_id)
        return cycle

    def account_categories(self) -> list[AccountCategory]:
        return list(self.rt.store.categories.values())

    def get_account_category(self, category_id: str) -> AccountCategory:
        category = self.rt.store.categories.get(category_id)
        if category is None:
            raise errors.not_found("account category", category_id)
        return category

    def currencies(self) -> list[str]:
        return list(self.rt.store.currencies)

    # -- accounts ------------------------------------------------------------------------------

    def create_account(self, draft: AccountDraft) -> Account:
        account = account_rules.create(self.rt, draft)
        self._settle()
        return account

    def get_account(self, account_id: str) -> Account:
        account = self.rt.store.accounts.get(account_id)
        if account is None:
            raise errors.not_found("account", account_id)
        return account

    def find_accounts(
        self, *, external_id: str | None = None, number: str | None = None, status: str | None = None
    ) -> list[Account]:
        store = self.rt.store
        if external_id is not None:
            found = store.account_by_external_id.get(external_id)
            candidates = [store.accounts[found]] if found else []
        elif number is not None:
            found = store.account_by_number.get(number)
            candidates = [store.accounts[found]] if found else []
        else:
            candidates = list(store.accounts.values())
        return [
            a
            for a in candidates
            if (number is None or a.number == number) and (status is None or a.status == status)
        ]

    def update_account(
        self, account_id: str, changes: AccountChanges, *, expected_version: int | None = None
    ) -> Account:
        account = account_rules.update(
            self.rt, self.get_account(account_id), changes, expected_version=expected_version
        )
        self._settle()
        return account

    def account_summary(self, account_id: str) -> AccountSummary:
        return summary.compute(self.rt, self.get_account(account_id))

    # -- catalog -------------------------------------------------------------------------------

    def products(
        self, *, type: str | None = None, status: str | None = None, updated_since: datetime | None = None
    ) -> list[Product]:
        return [
            p
            for p in self.rt.store.products.values()
            if (type is None or p.type == type)
            and (status is None or p.status == status)
            and (updated_since is None or (p.updated_at is not None and p.updated_at >= updated_since))
        ]

    def get_product(self, product_id: str) -> Product:
        product = self.rt.store.products.get(product_id)
        if product is None:
            raise errors.not_found("product", product_id)
        return product

    def update_product(self, product_id: str, changes: ProductChanges) -> Product:
        """Edit the catalog (control plane / tests); ``product.updated`` on any change."""
        product = self.get_product(product_id)
        updates = {
            key: value
            for key, value in vars(changes).items()
            if value is not None and getattr(product, key) != value
        }
        if not updates:
            return product
        for key, value in updates.items():
            setattr(product, key, value)
        product.version += 1
        product.updated_at = self.rt.now()
        self.rt.emit("product.updated", product, object_type="product", account_id=None)
        return product

    # -- orders and services -------------------------------------------------------------------

    def submit_order(self, draft: OrderDraft, *, invalid_items: Literal["raise", "fail"] = "raise") -> Order:
        """Validate the whole order, then apply, schedule or hold it.

        An invalid item raises its problem (``param`` ``items.<i>.<field>``) and nothing is
        stored (``invalid_items="raise"``, the default); with ``invalid_items="fail"`` the order is
        stored as ``failed`` instead (the bad item ``failed`` with its error, the others
        ``voided``), ``order.failed`` fires and the order is returned.
        """
        rt = self.rt
        store = rt.store
        if draft.account_id is None:
            raise errors.missing("account_id")
        account = store.accounts.get(draft.account_id)
        if account is None:
            raise errors.fail(
                errors.UNKNOWN_ACCOUNT, f"account {draft.account_id!r} does not exist", param="account_id"
            )
        if account.status == "closed":
            raise errors.fail(errors.ACCOUNT_CLOSED, f"account {account.id!r} is closed", param="account_id")
        if not draft.items:
            raise errors.missing("items", "at least one item")
        if draft.external_id is not None:
            existing_id = store.order_by_external_id.get(draft.external_id)
            existing = store.orders.get(existing_id) if existing_id else None
            if existing is not None and existing.status not in ("failed", "voided"):
                raise errors.fail(
                    errors.DUPLICATE_EXTERNAL_ID,
                    f"order external id {draft.external_id!r} is already used by order {existing.id}",
                    param="external_id",
                    extra={"existing_order_id": existing.id},
                )
        try:
            plans = ordering.validate(rt, account, draft.items)
        except Problem as problem:
            if invalid_items == "raise" or not (problem.param or "").startswith("items."):
                raise
            order = self._new_order(
                account, draft, ordering.failed_items(rt, account, draft.items, problem), "failed"
            )
            rt.emit("order.failed", order, object_type="order", account_id=account.id)
            self._settle()
            return order
        needs_approval = any(p.product is not None and p.product.requires_approval for p in plans)
        status: OrderStatus = (
            "draft" if draft.draft else ("pending_approval" if needs_approval else "processing")
        )
        item_status: ItemStatus = "pending_approval" if status == "pending_approval" else "pending"
        order = self._new_order(
            account, draft, tuple(ordering.to_item(p, item_status) for p in plans), status
        )
        if status == "pending_approval":
            rt.emit("order.pending_approval", order, object_type="order", account_id=account.id)
        elif status == "processing":
            ordering.accept(rt, account, order, plans, self._bill_account_now)
        self._settle()
        return order

    def _new_order(
        self, account: Account, draft: OrderDraft, items: tuple[OrderItem, ...], status: OrderStatus
    ) -> Order:
        now = self.rt.now()
        order = Order(
            id=self.ids.prefixed("ord"),
            number=f"ORD-{self.ids.next_number('order'):06d}",
            account_id=account.id,
            status=status,
            items=items,
            created_at=now,
            updated_at=now,
            external_id=draft.external_id,
            requested_by=draft.requested_by,
        )
        self.rt.store.add_order(order)
        return order

    def confirm_order(self, order_id: str) -> Order:
        """A ``draft`` order is submitted (validated again against today's inventory)."""
        order = ordering.confirm(self.rt, self.get_order(order_id), self._bill_account_now)
        self._settle()
        return order

    def approve_order(self, order_id: str) -> Order:
        """Approve an order waiting in ``pending_approval`` (GTV's approval operation)."""
        order = ordering.approve(self.rt, self.get_order(order_id), self._bill_account_now)
        self._settle()
        return order

    def void_order(self, order_id: str) -> Order:
        return ordering.void(self.rt, self.get_order(order_id))

    def get_order(self, order_id: str) -> Order:
        order = self.rt.store.orders.get(order_id)
        if order is None:
            raise errors.not_found("order", order_id)
        return order

    def orders(self, *, account_id: str | None = None) -> list[Order]:
        store = self.rt.store
        if account_id is not None:
            return [store.orders[o] for o in store.orders_by_account.get(account_id, [])]
        return list(store.orders.values())

    def services(self, *, account_id: str | None = None, status: str | None = None) -> list[Service]:
        store = self.rt.store
        found = (
            store.account_services(account_id) if account_id is not None else list(store.services.values())
        )
        return [s for s in found if status is None or s.status == status]

    def get_service(self, service_id: str) -> Service:
        service = self.rt.store.services.get(service_id)
        if service is None:
            raise errors.not_found("service", service_id)
        return service

    def etl_quote(self, service_id: str, effective_date: date | None = None) -> EtlQuote:
        """What a cancel effective ``effective_date`` (default: today for the account, or the
        service start if later) would bill as ``early_termination``; changes nothing."""
        service = self.get_service(service_id)
        if effective_date is None:
            today = self.rt.local_today(self.rt.store.accounts[service.account_id])
            effective_date = max(today, service.start_date)
        if not service.live:
            raise errors.fail(
                errors.SERVICE_NOT_LIVE, f"service {service_id!r} is {service.status}; nothing to terminate"
            )
        if service.status != "pending" and effective_date < service.start_date:
            raise errors.fail(
                errors.INVALID_EFFECTIVE_DATE,
                f"effective date {effective_date} is before the service start {service.start_date}",
                param="effective_date",
            )
        return compute_quote(self.rt, service, effective_date)

    # -- billing -------------------------------------------------------------------------------

    def start_bill_run(
        self,
        *,
        bill_cycle_id: str | None = None,
        account_ids: Collection[str] | None = None,
        through_date: date,
        auto_approve: bool | None = None,
    ) -> BillRun:
        rt = self.rt
        store = rt.store
        if bill_cycle_id is None and account_ids is None:
            raise errors.missing("bill_cycle_id", "bill_cycle_id or account_ids")
        if bill_cycle_id is not None and account_ids is not None:
            raise errors.invalid("account_ids", "give bill_cycle_id or account_ids, not both")
        self._check_through(through_date)
        approve = self.settings.default_auto_approve if auto_approve is None else auto_approve
        if bill_cycle_id is not None:
            cycle = store.bill_cycles.get(bill_cycle_id)
            if cycle is None:
                raise errors.fail(
                    errors.UNKNOWN_BILL_CYCLE,
                    f"bill cycle {bill_cycle_id!r} does not exist",
                    param="bill_cycle_id",
                )
            open_run = store.open_run_by_cycle.get(cycle.id)
            if open_run is not None:
                raise errors.fail(
                    errors.BILL_RUN_AWAITING_APPROVAL,
                    f"bill run {open_run} of this cycle awaits approval; the next run waits for it",
                    param="bill_cycle_id",
                    extra={"bill_run_id": open_run},
                )
            accounts = [store.accounts[a] for a in store.accounts_by_cycle.get(cycle.id, {})]
            ids: tuple[str, ...] | None = None
        else:
            assert account_ids is not None
            if not account_ids:
                raise errors.missing("account_ids", "at least one account id")
            ids = tuple(dict.fromkeys(account_ids))
            accounts = []
            for i, account_id in enumerate(ids):
                account = store.accounts.get(account_id)
                if account is None:
                    raise errors.fail(
                        errors.UNKNOWN_ACCOUNT,
                        f"account {account_id!r} does not exist",
                        param=f"account_ids.{i}",
                    )
                if account_id in store.draft_invoice_by_account:
                    raise errors.fail(
                        errors.DRAFT_INVOICE_PENDING,
                        f"account {account_id} has a draft invoice awaiting approval",
                        param=f"account_ids.{i}",
                        extra={"invoice_id": store.draft_invoice_by_account[account_id]},
                    )
                accounts.append(account)
        result = bill_run.run(
            rt,
            accounts,
            through=through_date,
            auto_approve=approve,
            trigger="api",
            bill_cycle_id=bill_cycle_id,
            account_ids=ids,
        )
        self._settle()
        return result

    def approve_bill_run(self, bill_run_id: str) -> BillRun:
        run = self.get_bill_run(bill_run_id)
        if run.status != "awaiting_approval":
            raise errors.fail(
                errors.INVALID_BILL_RUN_STATE,
                f"bill run {bill_run_id!r} is {run.status}, not awaiting_approval",
            )
        bill_run.approve(self.rt, run)
        self._settle()
        return run

    def get_bill_run(self, bill_run_id: str) -> BillRun:
        run = self.rt.store.bill_runs.get(bill_run_id)
        if run is None:
            raise errors.not_found("bill run", bill_run_id)
        return run

    def bill_runs(self) -> list[BillRun]:
        return list(self.rt.store.bill_runs.values())

    def bill_now(self, account_id: str, *, through_date: date | None = None) -> Invoice | None:
        account = self.get_account(account_id)
        if account.status == "closed":
            raise errors.fail(errors.ACCOUNT_CLOSED, f"account {account_id!r} is closed")
        if through_date is not None:
            self._check_through(through_date)
        if account.id in self.rt.store.draft_invoice_by_account:
            raise errors.fail(
                errors.DRAFT_INVOICE_PENDING,
                f"account {account_id} has a draft invoice awaiting approval",
                extra={"invoice_id": self.rt.store.draft_invoice_by_account[account.id]},
            )
        invoice = self._bill_account_now(account, through_date)
        self._settle()
        return invoice

    def _check_through(self, through_date: date) -> None:
        """Billing in advance reaches at most a year ahead, catch-up at most ten years back
        (``invalid_through_date`` beyond)."""
        limit = self.rt.today() + timedelta(days=366)
        if through_date < self.rt.today() - timedelta(days=3653):
            raise errors.fail(
                errors.INVALID_THROUGH_DATE,
                f"through date {through_date} is more than ten years ago",
                param="through_date",
            )
        if through_date > limit:
            raise errors.fail(
                errors.INVALID_THROUGH_DATE,
                f"through date {through_date} is more than a year ahead (latest {limit})",
                param="through_date",
            )

    def _bill_account_now(self, account: Account, through: date | None = None) -> Invoice | None:
        run = bill_run.run(
            self.rt,
            [account],
            through=through or self.rt.local_today(account),
            auto_approve=True,
            trigger="bill_now",
            account_ids=(account.id,),
        )
        return self.rt.store.invoices[run.invoice_ids[0]] if run.invoice_ids else None

    def invoices(
        self,
        *,
        account_id: str | None = None,
        status: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> list[Invoice]:
        store = self.rt.store
        found = (
            store.account_invoices(account_id) if account_id is not None else list(store.invoices.values())
        )
        return [
            inv
            for inv in found
            if (status is None or inv.status == status)
            and (issued_from is None or inv.issue_date >= issued_from)
            and (issued_to is None or inv.issue_date <= issued_to)
        ]

    def get_invoice(self, invoice_id: str) -> Invoice:
        invoice = self.rt.store.invoices.get(invoice_id)
        if invoice is None:
            raise errors.not_found("invoice", invoice_id)
        return invoice

    def void_invoice(self, invoice_id: str) -> Invoice:
        """Void a posted invoice with nothing paid on it (its charges are written off)."""
        invoice = self.get_invoice(invoice_id)
        if invoice.status != "posted" or invoice.amount_paid.amount != 0:
            raise errors.fail(
                errors.INVALID_INVOICE_STATE,
                f"invoice {invoice_id!r} is {invoice.status}; only posted invoices with nothing paid can be voided",
            )
        invoice.status = "void"
        invoice.amount_due = invoice.amount_paid
        self.rt.touch(invoice)
        self.rt.mark_dirty(invoice.account_id)
        self.rt.emit("invoice.voided", invoice, object_type="invoice", account_id=invoice.account_id)
        self._settle()
        return invoice

    # -- payments ------------------------------------------------------------------------------

    def create_payment(self, draft: PaymentDraft) -> Payment:
        if draft.account_id is None:
            raise errors.missing("account_id")
        account = self.rt.store.accounts.get(draft.account_id)
        if account is None:
            raise errors.fail(
                errors.UNKNOWN_ACCOUNT, f"account {draft.account_id!r} does not exist", param="account_id"
            )
        payment = payment_engine.create(self.rt, account, draft)
        self._settle()
        return payment

    def payments(self, *, account_id: str | None = None) -> list[Payment]:
        store = self.rt.store
        return store.account_payments(account_id) if account_id is not None else list(store.payments.values())

    def get_payment(self, payment_id: str) -> Payment:
        payment = self.rt.store.payments.get(payment_id)
        if payment is None:
            raise errors.not_found("payment", payment_id)
        return payment

    def reverse_payment(self, payment_id: str) -> Payment:
        payment = payment_engine.reverse(self.rt, self.get_payment(payment_id))
        self._settle()
        return payment

    # -- events --------------------------------------------------------------------------------

    def events(
        self,
        *,
        after: str | None = None,
        types: Collection[str] | None = None,
        object_id: str | None = None,
        account_id: str | None = None,
    ) -> list[Event]:
        log = self.rt.log
        if after is not None and not log.contains(after):
            raise errors.invalid("after", f"cursor {after!r} is not an event id of this log")
        if types:
            unknown = sorted(set(types) - set(EVENT_TYPES))
            if unknown:
                raise errors.fail(errors.UNKNOWN_EVENT_TYPE, f"unknown event types {unknown}", param="types")
        return log.query(after=after, types=types, object_id=object_id, account_id=account_id)

    def get_event(self, event_id: str) -> Event:
        event = self.rt.log.get(event_id)
        if event is None:
            raise errors.not_found("event", event_id)
        return event


def _is_bill_day(cycle: BillCycle, bill_cycle_day: int, day: date) -> bool:
    schedule = cycle.schedule(bill_cycle_day)
    return schedule is not None and schedule.is_start(day)
