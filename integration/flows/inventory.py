"""The subscription inventory in the CRM: one ``Billing_Service__c`` per billing service.

Billing is the master of services. ``write_inventory`` upserts them by ``Billing_Service_Id__c``
with references by external id (the account by ``Billing_Account_Id__c``, the product by
``Billing_Product_Id__c``, the parent and replacing services by ``Billing_Service_Id__c``), in
dependency waves so a parent or a replacement exists before what references it. Writes are
optimistic (no read first): a record refused because its product is not in the CRM yet gets the
product synced from the catalog and is written again; a referenced service missing from the CRM
is fetched from billing and written first; a service whose account is not linked in the CRM is
reported as such (a person must link the account: retrying would not help).

``sync_services`` is what billing's ``service.*`` webhooks run (renewals, term-end
cancellations and month-to-month rollovers that start in billing with no CRM order): it reads
the current service from billing (never the event's old payload) and writes it unless the CRM
record already says the same. ``inventory_drift`` (and ``open_order_drift``, re-exported from
``order_drift``) are the reconcile's checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.clients.salesforce import RecordResult, soql_in
from integration.drift import Drift, same
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK, TRANSIENT_ERRORS

# Re-exported: the reconcile takes both inventory-side drift checks from this module.
from integration.flows.order_drift import open_order_drift as open_order_drift

SOBJECT = "Billing_Service__c"
EXTERNAL_ID = "Billing_Service_Id__c"
FLOW = "inventory"

SERVICE_STATUS = {
    "pending": "Pending",
    "active": "Active",
    "suspended": "Suspended",
    "cancelled": "Cancelled",
    "replaced": "Replaced",
    "expired": "Expired",
}
RENEWAL_TYPE = {"auto": "Renew", "month_to_month": "Month-to-Month", "none": "Cancel"}

# (reference field, relationship, the referenced object's external id field)
ACCOUNT_REF = ("Account__c", "Account__r", "Billing_Account_Id__c")
PRODUCT_REF = ("Product__c", "Product__r", "Billing_Product_Id__c")
PARENT_REF = ("Parent_Service__c", "Parent_Service__r", EXTERNAL_ID)
REPLACED_BY_REF = ("Replaced_By__c", "Replaced_By__r", EXTERNAL_ID)
REFERENCES = (ACCOUNT_REF, PRODUCT_REF, PARENT_REF, REPLACED_BY_REF)

# Salesforce's record error when a relationship's external id resolves to nothing.
_FOREIGN_KEY = re.compile(
    r"Foreign key external ID: (?P<value>.*) not found for field \S+ in entity (?P<entity>\S+)"
)
# Rounds of "fix what is missing, write again" (product, then referenced service, then account
# are each discovered by one refusal, so a record needs at most three retries).
MAX_ROUNDS = 4


@dataclass
class InventoryReport:
    written: dict[str, str] = field(default_factory=dict)  # service id -> Billing_Service__c Id
    # Services whose billing account is not linked in the CRM: not written, not retried (the
    # account must be linked first; its next service event or the reconcile brings them in).
    unlinked: dict[str, str] = field(default_factory=dict)  # service id -> billing account id
    # Refused for a reason retrying will not fix (validation, a product billing does not know).
    refused: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # transient: the engine retries these
    products_synced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # the CRM already said what billing says
    catalog_failed: dict[str, str] = field(default_factory=dict)  # product id -> transient reason

    def summary(self) -> dict[str, int]:
        return {
            "written": len(self.written),
            "unchanged": len(self.unchanged),
            "unlinked": len(self.unlinked),
            "refused": len(self.refused),
            "failed": len(self.failed),
            "products_synced": len(self.products_synced),
        }


def _money(value: wire.Money | None) -> Decimal | None:
    return None if value is None else Decimal(value.amount)


def _cents(value: Decimal | None) -> float | None:
    # Salesforce currency fields travel as JSON numbers, to the cent (as the mapping sends them).
    return None if value is None else float(value.quantize(Decimal("0.01")))


def _reference(ref: tuple[str, str, str], value: str | None) -> dict[str, Any]:
    field_name, relationship, external_id = ref
    return {field_name: None} if value is None else {relationship: {external_id: value}}


SERVICE_KIND = "service"  # the applied-versions kind (integration.store.applied)


def inventory_record(service: wire.Service) -> dict[str, Any]:
    """The ``Billing_Service__c`` fields the sync owns, for an upsert by ``Billing_Service_Id__c``.

    Dates: ``Start_Date__c`` is when the service started, ``End_Date__c`` when it ended or, while
    it runs, when its current term ends (null for month-to-month); ``Term_Months__c`` is the
    current term's length. ``Price__c`` is the unit price per billing period (the recurring
    price, else the one-time price) and ``Amount__c`` that times the quantity."""
    term = service.current_term
    price = _money(service.recurring_price)
    if price is None:
        price = _money(service.one_time_price)
    end = service.end_date if service.end_date is not None else (term.end_date if term else None)
    return {
        EXTERNAL_ID: service.id,
        "Name": service.number,
        "Status__c": SERVICE_STATUS[service.status],
        "Quantity__c": service.quantity,
        "Price__c": _cents(price),
        "Amount__c": _cents(None if price is None else price * service.quantity),
        "Currency__c": service.currency,
        "Start_Date__c": service.start_date.isoformat(),
        "End_Date__c": end.isoformat() if end else None,
        "Term_Months__c": term.months if term else None,
        "Renewal_Type__c": RENEWAL_TYPE[service.renewal_type],
        **_reference(ACCOUNT_REF, service.account_id),
        **_reference(PRODUCT_REF, service.product_id),
        **_reference(PARENT_REF, service.parent_service_id),
        **_reference(REPLACED_BY_REF, service.replaced_by_service_id),
    }


def _waves(services: Sequence[wire.Service]) -> list[list[wire.Service]]:
    """Services in dependency order: a parent and a replacing service come in an earlier wave
    than the services referencing them (a collection cannot reference its own new records)."""
    by_id = {s.id: s for s in services}
    depth: dict[str, int] = {}

    def level(service: wire.Service, seen: frozenset[str]) -> int:
        if service.id in depth:
            return depth[service.id]
        deps = [
            by_id[ref]
            for ref in (service.parent_service_id, service.replaced_by_service_id)
            if ref is not None and ref in by_id and ref not in seen
        ]  # `seen` breaks a cycle billing should never produce
        value = 1 + max((level(d, seen | {service.id}) for d in deps), default=-1)
        depth[service.id] = value
        return value

    waves: list[list[wire.Service]] = []
    for service in services:
        index = level(service, frozenset())
        while len(waves) <= index:
            waves.append([])
        waves[index].append(service)
    return [wave for wave in waves if wave]


def _missing_reference(result: RecordResult) -> tuple[str, str] | None:
    """(entity, external id value) when the record failed on an unresolved reference."""
    for error in result.errors:
        match = _FOREIGN_KEY.search(str(error.get("message", "")))
        if match:
            return match["entity"], match["value"]
    return None


def _is_transient(result: RecordResult) -> bool:
    return any(e.get("statusCode") in TRANSIENT_ERRORS for e in result.errors)


async def write_inventory(
    ctx: FlowContext,
    services: Sequence[wire.Service],
    *,
    order_refs: Mapping[str, tuple[str, str]] = {},  # read only: a shared default is safe
    report: InventoryReport | None = None,
) -> dict[str, str]:
    """Upsert the services into ``Billing_Service__c``; returns service id -> record Id for those
    written. ``order_refs`` (service id -> (Order Id, OrderItem Id)) fills ``Order__c`` and
    ``Order_Product__c`` (never cleared when absent). Pass ``report`` to learn why the others
    were not written (unlinked account, refused, transient failure)."""
    report = report if report is not None else InventoryReport()
    pending: dict[str, wire.Service] = {}
    for service in services:
        pending[service.id] = service  # the last one given wins
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        retry: dict[str, wire.Service] = {}
        missing_products: set[str] = set()
        missing_services: set[str] = set()
        for wave in _waves(list(pending.values())):
            records = []
            for service in wave:
                record = inventory_record(service)
                if service.id in order_refs:
                    order_id, item_id = order_refs[service.id]
                    record["Order__c"], record["Order_Product__c"] = order_id, item_id
                records.append(record)
            results = await ctx.write_salesforce(FLOW, SOBJECT, records, external_id_field=EXTERNAL_ID)
            for service, result in zip(wave, results, strict=True):
                _classify(service, result, report, retry, missing_products, missing_services)
        if missing_products:
            await _sync_products(ctx, sorted(missing_products), report)
            for service in [s for s in retry.values() if s.product_id in report.catalog_failed]:
                del retry[service.id]
                report.failed[service.id] = (
                    f"product {service.product_id}: {report.catalog_failed[service.product_id]}"
                )
        _drop_broken_references(retry, report)
        if missing_services:
            await _add_referenced(
                ctx, sorted(missing_services - set(retry) - set(report.written)), retry, report
            )
        pending = retry
    for service_id in pending:  # a reference still unresolved after every round: a person's call
        report.refused.setdefault(service_id, "a service it references could not be written to the CRM")
    written = {s.id: report.written[s.id] for s in services if s.id in report.written}
    # Billing's webhooks for these versions are then echoes of this write (the engine drops them).
    await ctx.store.applied.record(SERVICE_KIND, {s.id: s.version for s in services if s.id in written})
    return written


def _classify(
    service: wire.Service,
    result: RecordResult,
    report: InventoryReport,
    retry: dict[str, wire.Service],
    missing_products: set[str],
    missing_services: set[str],
) -> None:
    """Record one write's outcome; what a sync can fix goes to ``retry``."""
    report.failed.pop(service.id, None)
    if result.success and result.id:
        report.written[service.id] = result.id
        return
    missing = _missing_reference(result)
    if missing is not None:
        entity, value = missing
        if entity == "Account":
            report.unlinked[service.id] = service.account_id
            return
        if entity == "Product2" and value in report.catalog_failed:
            report.failed[service.id] = f"product {value}: {report.catalog_failed[value]}"
            return
        if entity == "Product2" and value not in report.products_synced:
            missing_products.add(value)
            retry[service.id] = service
            return
        if entity == SOBJECT:
            missing_services.add(value)
            retry[service.id] = service
            return
    if _is_transient(result):
        report.failed[service.id] = result.error_text
    else:
        report.refused[service.id] = result.error_text


async def _sync_products(ctx: FlowContext, product_ids: list[str], report: InventoryReport) -> None:
    # Imported here: the catalog flow is its own module, and only this rare path needs it.
    from integration.flows.catalog import sync_catalog

    synced = await sync_catalog(ctx, product_ids)
    for product_id in product_ids:
        # A catalog sync that failed for a transient reason leaves the services to retry.
        reason = synced.failed.get(product_id) or synced.failed.get("*")
        if reason is not None:
            report.catalog_failed[product_id] = reason
        else:
            report.products_synced.append(product_id)


async def _add_referenced(
    ctx: FlowContext, service_ids: list[str], retry: dict[str, wire.Service], report: InventoryReport
) -> None:
    """Fetch from billing the services others reference that the CRM lacks; they are written in
    the next round's first wave."""

    async def fetch(service_id: str) -> wire.Service | None:
        try:
            return await ctx.billing.get_service(service_id)
        except BillingApiError as exc:
            for referencing in [s for s in retry.values() if service_id in _refs(s)]:
                retry.pop(referencing.id, None)
                target = report.refused if 400 <= exc.status < 500 else report.failed
                target[referencing.id] = f"service {service_id}: {exc}"
            return None

    for found in await ctx.gather_limited(service_ids, fetch):
        if found is not None:
            retry.setdefault(found.id, found)


def _drop_broken_references(retry: dict[str, wire.Service], report: InventoryReport) -> None:
    """A service referencing one that this call could not write waits with it: refused or
    failed alike (an add-on whose parent's account is unlinked is a person's to fix too)."""
    for service in list(retry.values()):
        broken = [ref for ref in _refs(service) if ref not in retry and ref not in report.written]
        transient = [ref for ref in broken if ref in report.failed]
        permanent = [ref for ref in broken if ref in report.refused or ref in report.unlinked]
        if transient or permanent:
            del retry[service.id]
            target = report.failed if transient else report.refused
            target[service.id] = f"service {(transient or permanent)[0]} it references was not written"


def _refs(service: wire.Service) -> set[str]:
    return {r for r in (service.parent_service_id, service.replaced_by_service_id) if r}


async def sync_services(ctx: FlowContext, service_ids: Sequence[str]) -> InventoryReport:
    """Billing's ``service.*`` events: read each service as it is now and write those whose
    inventory record says something else (one CRM read per ``QUERY_CHUNK`` services first: the
    services an order just wrote come back as ``service.activated`` events and cost no write)."""
    report = InventoryReport()
    ids = list(dict.fromkeys(service_ids))

    async def fetch(service_id: str) -> wire.Service | None:
        try:
            return await ctx.billing.get_service(service_id)
        except BillingApiError as exc:
            if 400 <= exc.status < 500 and exc.status not in (408, 429):
                report.refused[service_id] = str(exc)  # gone from billing: nothing to write
            else:
                report.failed[service_id] = str(exc)
            return None

    services = [s for s in await ctx.gather_limited(ids, fetch) if s is not None]
    records = await _read_inventory(ctx, [s.id for s in services])
    stale = []
    for service in services:
        record = records.get(service.id)
        if record is not None and not _compare("", service, record):
            report.unchanged.append(service.id)
        else:
            stale.append(service)
    await write_inventory(ctx, stale, report=report)
    unchanged = set(report.unchanged)
    await ctx.store.applied.record(SERVICE_KIND, {s.id: s.version for s in services if s.id in unchanged})
    return report


# -- reconcile --------------------------------------------------------------------------------

_RELATIONSHIPS = ", ".join(f"{relationship}.{external_id}" for _, relationship, external_id in REFERENCES)
_PLAIN_FIELDS = [
    "Name",
    "Status__c",
    "Quantity__c",
    "Price__c",
    "Amount__c",
    "Currency__c",
    "Start_Date__c",
    "End_Date__c",
    "Term_Months__c",
    "Renewal_Type__c",
]


async def inventory_drift(ctx: FlowContext) -> tuple[int, list[Drift]]:
    """(services checked, drift). Every billing service of an account linked in the CRM against its ``Billing_Service__c``
    (field by field, references by external id), plus inventory records billing does not know.
    Services of accounts not linked in the CRM are not the CRM's to hold: not drift. Reads both
    sides afresh: billing's tenant-wide service listing and the CRM in batches."""
    services = await ctx.billing.services()
    crm = await _read_inventory(ctx, None)
    linked = await _linked_accounts(ctx, sorted({s.account_id for s in services}))
    drift: list[Drift] = []
    checked = 0
    for service in services:
        sf_account = linked.get(service.account_id)
        record = crm.pop(service.id, None)
        if sf_account is None:
            continue
        checked += 1
        if record is None:
            drift.append(Drift(sf_account, SOBJECT, service.id, "(missing)", None, service.number))
            continue
        drift.extend(_compare(sf_account, service, record))
    for service_id, record in crm.items():
        drift.append(
            Drift(
                str(record.get("Account__c") or ""), SOBJECT, service_id, "(not in billing)", service_id, None
            )
        )
    return checked, drift


async def _read_inventory(ctx: FlowContext, service_ids: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """Inventory records by billing service id: these (in IN lists), or all (None)."""
    select = (
        f"SELECT Id, {EXTERNAL_ID}, {', '.join(_PLAIN_FIELDS)}, Account__c, {_RELATIONSHIPS} FROM {SOBJECT}"
    )
    if service_ids is None:
        wheres = [f"{EXTERNAL_ID} != null"]
    else:
        ids = list(service_ids)
        wheres = [
            f"{EXTERNAL_ID} IN {soql_in(ids[i : i + QUERY_CHUNK])}" for i in range(0, len(ids), QUERY_CHUNK)
        ]
    found: dict[str, dict[str, Any]] = {}
    for where in wheres:
        for record in await ctx.salesforce.query(f"{select} WHERE {where}"):
            found[str(record[EXTERNAL_ID])] = record
    return found


def _compare(sf_account: str, service: wire.Service, record: dict[str, Any]) -> list[Drift]:
    expected = inventory_record(service)
    found: list[Drift] = []
    for name in _PLAIN_FIELDS:
        if not same(record.get(name), expected[name]):
            found.append(Drift(sf_account, SOBJECT, service.id, name, record.get(name), expected[name]))
    for field_name, relationship, external_id in REFERENCES:
        wanted = (expected.get(relationship) or {}).get(external_id)
        related = record.get(relationship)
        have = related.get(external_id) if isinstance(related, dict) else None
        if have != wanted:
            found.append(Drift(sf_account, SOBJECT, service.id, field_name, have, wanted))
    return found


async def _linked_accounts(ctx: FlowContext, billing_ids: list[str]) -> dict[str, str]:
    """Billing account id -> the CRM Account carrying it (``Billing_Account_Id__c``)."""
    linked: dict[str, str] = {}
    for start in range(0, len(billing_ids), QUERY_CHUNK):
        chunk = soql_in(billing_ids[start : start + QUERY_CHUNK])
        for record in await ctx.salesforce.query(
            f"SELECT Id, Billing_Account_Id__c FROM Account WHERE Billing_Account_Id__c IN {chunk}"
        ):
            linked[str(record["Billing_Account_Id__c"])] = str(record["Id"])
    return linked
