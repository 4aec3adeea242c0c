"""``process_orders``: one pass over activated orders.

Read (one query per 300 orders) -> plan missing work orders and tasks -> run the task state
machine as far as it goes -> roll statuses up -> write everything (``flush``). The state
machine runs in steps; each step gathers, across all orders, the tasks waiting on the same
kind of work and does it in one batch (accounts linked together, billing calls bounded by the
flow's concurrency), then looks again, until nothing moves: a manual task waits for a person
(its change event brings the order back), a billing order that answered 202 waits for its
``order.*`` webhook.

Crash safety: the CRM is the state. Nothing is written before the flush, and every billing
call is idempotent (order keys from the Order and its item ids), so a run killed anywhere is
redone by the next one without a second work order, billing order or service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.flows.context import FlowContext
from integration.flows.inventory import InventoryReport, write_inventory
from integration.flows.link import link_accounts
from integration.flows.orders.etl import cents, quote_services, refusal
from integration.flows.orders.flush import flush, roll_up
from integration.flows.orders.model import (
    CREATING,
    IN_PROGRESS,
    PENDING,
    READY,
    SYNC_PENDING,
    Line,
    Order,
    OrderReport,
    Task,
)
from integration.flows.orders.plan import needs_templates, plan_work_orders
from integration.flows.orders.pricing import PricingUnavailable, price_book_mismatches
from integration.flows.orders.read import load_orders
from integration.flows.orders.submit import submit_lines
from integration.flows.orders.templates import load_templates

MAX_STEPS = 16  # a template's automated tasks, each at most one step (plus the waits between)

Entry = tuple[Line, Task]


@dataclass
class _Wants:
    """The automated tasks at the head of their work orders, by what they wait for."""

    link: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    etl: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    submit: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    results: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))

    def empty(self) -> bool:
        return not (self.link or self.etl or self.submit or self.results)


async def process_orders(ctx: FlowContext, order_ids: Sequence[str]) -> OrderReport:
    """Process the orders named (see the module doc); draft or unknown ones are skipped."""
    report = OrderReport()
    orders = await load_orders(ctx, order_ids)
    found = {order.id for order in orders}
    report.skipped.update((i, "no such order") for i in order_ids if i not in found)
    live: list[Order] = []
    for order in orders:
        if order.activated:
            live.append(order)
        else:
            report.skipped[str(order.id)] = f"not activated (Status {order.get('Status')})"
    report.orders = len(live)
    if not live:
        return report
    if needs_templates(live):
        plan_work_orders(live, await load_templates(ctx), report)
    run = _Run(ctx, live, report)
    await run.run()
    for order in live:
        roll_up(order)
    await flush(ctx, live, report)
    # Billing's order.completed / order.failed webhooks for these are then echoes of this pass.
    final = {
        billing.id: billing.version
        for crm_order, billing_orders in run.billing.items()
        if crm_order not in report.failed
        for billing in billing_orders
        if billing.status in ("completed", "failed")
    }
    await ctx.store.applied.record("order", final)
    report.waiting = sorted(
        str(o.id)
        for o in live
        if o.get("Billing_Sync_Status__c") == SYNC_PENDING and o.id not in report.failed
    )
    return report


class _Run:
    def __init__(self, ctx: FlowContext, orders: list[Order], report: OrderReport) -> None:
        self.ctx = ctx
        self.orders = {str(order.id): order for order in orders}
        self.report = report
        # Billing orders seen this pass, per CRM order (the main one and any supplements).
        self.billing: dict[str, list[wire.Order]] = defaultdict(list)

    # -- task outcomes ----------------------------------------------------------------------

    def complete(self, task: Task) -> None:
        task.complete()
        self.report.tasks_completed += 1

    def fail(self, task: Task, message: str) -> None:
        task.fail(message)
        self.report.tasks_failed += 1

    def transient(self, order: Order, reason: str) -> None:
        self.report.failed.setdefault(str(order.id), reason)

    def _moved(self) -> int:
        return self.report.tasks_completed + self.report.tasks_failed

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        for _ in range(MAX_STEPS):
            wants = self._collect()
            if wants.empty():
                return
            before = self._moved()
            await self._link(wants.link)
            await self._etl(wants.etl)
            await self._submit(wants.submit)
            await self._results(wants.results)
            if self._moved() == before:
                return  # everything left waits (a person, billing, or a retry of this order)

    def _collect(self) -> _Wants:
        wants = _Wants()
        for order_id, order in self.orders.items():
            if order_id in self.report.failed:
                continue  # a transient failure: the engine retries the whole order
            for line in order.lines:
                work_order = line.work_order
                if work_order is None or work_order.failed_task() is not None:
                    continue
                task = work_order.current()
                if task is None:
                    continue
                if task.manual:
                    if task.status == PENDING:
                        task.set(Status=READY)  # a person's turn: their change event resumes us
                    continue
                bucket = {
                    "link_account": wants.link,
                    "quote_etl": wants.etl,
                    "submit_order": wants.submit,
                    "await_result": wants.results,
                    "write_inventory": wants.results,
                }.get(task.operation or "")
                if bucket is None:
                    self.fail(task, f"Unknown billing operation {task.operation!r}")
                else:
                    bucket[order_id].append((line, task))
        return wants

    # -- link_account -----------------------------------------------------------------------

    async def _link(self, wants: dict[str, list[Entry]]) -> None:
        to_link: dict[str, dict[str, object]] = {}
        for order_id, entries in wants.items():
            order = self.orders[order_id]
            if order.billing_account_id:
                for _, task in entries:
                    self.complete(task)
            else:
                to_link[order.account_id] = {**order.account, "Id": order.account_id}
        if not to_link:
            return
        outcomes = {o.sf_id: o for o in (await link_accounts(self.ctx, list(to_link.values()))).outcomes}
        for order_id, entries in wants.items():
            order = self.orders[order_id]
            outcome = outcomes.get(order.account_id)
            if outcome is None or order.billing_account_id:
                continue
            if outcome.status == "linked" and outcome.billing is not None:
                order.values["Account"] = {**order.account, "Billing_Account_Id__c": outcome.billing.id}
                for _, task in entries:
                    self.complete(task)
            elif outcome.status == "refused":
                for _, task in entries:
                    self.fail(task, outcome.message or "the account cannot be linked to billing")
            else:
                self.transient(order, outcome.message or "linking the account failed")

    # -- quote_etl --------------------------------------------------------------------------

    async def _etl(self, wants: dict[str, list[Entry]]) -> None:
        needed: list[tuple[str, Line, Task]] = []
        for order_id, entries in wants.items():
            for line, task in entries:
                if line.etl_amount is not None:
                    self.complete(task)  # quoted before activation (quick action or draft line)
                elif not line.billing_service_id:
                    self.fail(task, "Billing_Service__c: an ETL quote needs the billing service it cancels")
                else:
                    needed.append((order_id, line, task))
        quotes = await quote_services(self.ctx, [str(line.billing_service_id) for _, line, _ in needed])
        for order_id, line, task in needed:
            quoted = quotes[str(line.billing_service_id)]
            if quoted.amount is not None:
                line.set(ETL_Amount__c=cents(quoted.amount))
                self.complete(task)
            elif quoted.transient:
                self.transient(self.orders[order_id], quoted.error or "ETL quote failed")
            else:
                self.fail(task, quoted.error or "billing refused the ETL quote")

    # -- submit_order -----------------------------------------------------------------------

    @staticmethod
    def _at(operation: str, order: Order) -> list[Entry]:
        """The live lines whose current task performs ``operation``."""
        found: list[Entry] = []
        for line in order.lines:
            work_order = line.work_order
            if work_order is None or work_order.failed_task() is not None:
                continue
            task = work_order.current()
            if task is not None and not task.manual and task.operation == operation:
                found.append((line, task))
        return found

    def _held(self, order: Order) -> bool:
        """A live line still before its submit task holds the whole order (one billing order)."""
        for work_order in order.work_orders():
            current = work_order.current()
            if work_order.failed_task() is not None or current is None:
                continue
            if current.operation != "submit_order" and work_order.has_ahead("submit_order"):
                return True
        return False

    async def _submit(self, wants: dict[str, list[Entry]]) -> None:
        ready: dict[str, list[Entry]] = {}
        for order_id in wants:
            # Looked up again: a line may have reached its submit task earlier in this step.
            entries = self._at("submit_order", self.orders[order_id])
            if self._held(self.orders[order_id]):
                for _, task in entries:
                    task.set(Status=READY)
            else:
                ready[order_id] = entries
        await self._known_orders(
            [i for i in ready if self.orders[i].billing_order_id and not self.billing[i]]
        )
        # A line not live in the recorded billing order was retried: a supplement may hold it.
        retried = [
            order_id
            for order_id, entries in ready.items()
            if self.orders[order_id].billing_order_id
            and order_id not in self.report.failed
            and any(line.id not in self._posted(order_id) for line, _ in entries)
        ]
        await self._supplements(retried)
        jobs: list[tuple[Order, list[Entry], bool]] = []
        for order_id, entries in ready.items():
            order = self.orders[order_id]
            if order_id in self.report.failed:
                continue
            posted = self._posted(order_id)
            fresh = []
            for line, task in entries:
                if line.id in posted:
                    self.complete(task)  # posted by a run killed before it wrote the task
                else:
                    fresh.append((line, task))
            if fresh:
                jobs.append((order, fresh, order.billing_order_id is not None))

        try:
            mismatched = await price_book_mismatches(
                self.ctx, [(order, [line for line, _ in entries]) for order, entries, _ in jobs]
            )
        except PricingUnavailable as exc:
            for order, _, _ in jobs:
                self.transient(order, str(exc))
            return
        for _, entries, _ in jobs:
            for line, task in entries:
                if str(line.id) in mismatched:
                    self.fail(task, mismatched[str(line.id)])
            entries[:] = [(line, task) for line, task in entries if str(line.id) not in mismatched]
        jobs = [job for job in jobs if job[1]]

        async def one(job: tuple[Order, list[Entry], bool]) -> None:
            order, entries, supplement = job
            # A supplement's key names the billing orders before it: a retry after a retry is
            # a new request, a re-run of the same retry the same one.
            prior = sorted(known.id for known in self.billing[str(order.id)]) if supplement else []
            outcome = await submit_lines(self.ctx, order, entries, supplement=supplement, prior=prior)
            if outcome.transient is not None:
                self.transient(order, outcome.transient)
                return
            for line, task in entries:
                if str(line.id) in outcome.refused:
                    self.fail(task, outcome.refused[str(line.id)])
                elif outcome.order is not None:
                    self.complete(task)
            if outcome.order is not None:
                self.billing[str(order.id)].append(outcome.order)
                self.report.billing_orders.append(outcome.order.id)
                if not supplement:
                    order.set(Billing_Order_Id__c=outcome.order.id)

        await self.ctx.gather_limited(jobs, one)

    def _posted(self, order_id: str) -> set[str | None]:
        """Lines billing has as live items (a failed or voided item is posted again)."""
        return {
            item.external_id
            for known in self.billing[order_id]
            for item in known.items
            if item.status not in ("failed", "voided")
        }

    async def _known_orders(self, order_ids: list[str]) -> None:
        """The billing orders recorded on these CRM orders (read once per pass)."""

        async def one(order_id: str) -> None:
            order = self.orders[order_id]
            try:
                self.billing[order_id].append(await self.ctx.billing.get_order(str(order.billing_order_id)))
            except BillingApiError as exc:
                self.transient(order, str(exc))

        await self.ctx.gather_limited(order_ids, one)

    async def _supplements(self, order_ids: list[str]) -> None:
        """Billing orders not recorded on the CRM order (supplements for retried lines, or the
        main one when a killed run lost its write) are found among the account's orders."""

        async def one(order_id: str) -> None:
            order = self.orders[order_id]
            if not order.billing_account_id:
                return
            try:
                found = await self.ctx.billing.orders(account_id=order.billing_account_id)
            except BillingApiError as exc:
                self.transient(order, str(exc))
                return
            known = {o.id for o in self.billing[order_id]}
            for billing_order in found:
                external = billing_order.external_id or ""
                if billing_order.id in known or not (
                    external == order_id or external.startswith(f"{order_id}-")
                ):
                    continue
                self.billing[order_id].append(billing_order)
                if external == order_id and not order.billing_order_id:
                    order.set(Billing_Order_Id__c=billing_order.id)  # its write was lost with a run

        await self.ctx.gather_limited(order_ids, one)

    # -- await_result and write_inventory ---------------------------------------------------

    def _item(self, order_id: str, line: Line) -> wire.OrderItem | None:
        found = [
            (known.created_at, item)
            for known in self.billing[order_id]
            for item in known.items
            if item.external_id == line.id
        ]
        return max(found, key=lambda pair: pair[0])[1] if found else None

    async def _results(self, wants: dict[str, list[Entry]]) -> None:
        await self._known_orders(
            [i for i in wants if self.orders[i].billing_order_id and not self.billing[i]]
        )
        # A line missing from the known billing orders, or failed there, may be in a supplement.
        missing = [
            i for i, entries in wants.items() if any(line.id not in self._posted(i) for line, _ in entries)
        ]
        await self._supplements([i for i in missing if i not in self.report.failed])
        inventory: list[tuple[Order, Line, Task, wire.OrderItem]] = []
        for order_id, entries in wants.items():
            order = self.orders[order_id]
            if order_id in self.report.failed:
                continue
            for line, task in entries:
                item = self._item(order_id, line)
                if item is None:
                    self.fail(task, "Billing has no item for this line: it was never submitted")
                elif item.status == "completed":
                    if task.operation == "await_result":
                        self.complete(task)
                    else:
                        inventory.append((order, line, task, item))
                elif item.status == "failed":
                    reasons = "; ".join(f"{e.code}: {e.message}" for e in item.errors) or "no reason given"
                    self.fail(task, f"Billing failed the item: {reasons}")
                elif item.status == "voided":
                    self.fail(task, "Billing voided the order")
                else:
                    task.set(Status=IN_PROGRESS)  # pending approval or scheduled: order.* resumes us
        if inventory:
            await self._inventory(inventory)

    async def _inventory(self, entries: list[tuple[Order, Line, Task, wire.OrderItem]]) -> None:
        """The services each completed item created or changed (a Replace: both), written in
        one ``write_inventory`` call."""
        wanted = sorted(
            {sid for *_, item in entries for sid in (item.result_service_id, item.service_id) if sid}
        )

        async def fetch(service_id: str) -> wire.Service | BillingApiError:
            try:
                return await self.ctx.billing.get_service(service_id)
            except BillingApiError as exc:
                return exc

        fetched = dict(zip(wanted, await self.ctx.gather_limited(wanted, fetch), strict=True))
        services = [s for s in fetched.values() if isinstance(s, wire.Service)]
        refs = {
            str(item.result_service_id): (str(order.id), str(line.id))
            for order, line, _, item in entries
            if item.result_service_id and item.action in CREATING
        }
        written = InventoryReport()
        await write_inventory(self.ctx, services, order_refs=refs, report=written)
        for order, line, task, item in entries:
            ids = [sid for sid in (item.result_service_id, item.service_id) if sid]
            problems = [fetched[sid] for sid in ids if isinstance(fetched[sid], BillingApiError)]
            transient = [str(p) for p in problems if isinstance(p, BillingApiError) and refusal(p).transient]
            transient += [written.failed[sid] for sid in ids if sid in written.failed]
            if transient:
                self.transient(order, transient[0])
                continue
            refused = [refusal(p).error or "" for p in problems if isinstance(p, BillingApiError)]
            refused += [f"service {sid}: {written.refused[sid]}" for sid in ids if sid in written.refused]
            refused += [
                f"service {sid}: its billing account {written.unlinked[sid]} is not linked in the CRM"
                for sid in ids
                if sid in written.unlinked
            ]
            if refused:
                self.fail(task, "The inventory was not written: " + "; ".join(refused))
                continue
            if item.result_service_id and item.action in CREATING:
                line.set(Billing_Service_Id__c=item.result_service_id)
            self.complete(task)
