"""Link Salesforce Accounts to billing accounts (the account link rules in DESIGN.md).

For each account that needs billing: validate the data billing requires (address, primary
email, cycle, category) and refuse with a per-field message when some is missing, creating
nothing; otherwise look billing up by BAN (a manual link) or by external id (the Salesforce Id);
found -> link it and pull its email, cycle and category; not found -> create it with the
Salesforce Id as external id. The BAN, billing id, cycle and category (names and ids), status
and timestamp go back to Salesforce in one bulk write per 200 accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.clients.salesforce import soql_in
from integration.flows.context import FlowContext, sf_datetime
from integration.mapping import TransformContext, apply, prune_nulls
from integration.store import Link

QUERY_CHUNK = 300  # ids per SOQL IN list: keeps the GET under Salesforce's 16 KB URI limit
SYNC_ERROR_LIMIT = 32_000
# Record errors worth retrying as they are (contention, platform hiccups); others need a person.
TRANSIENT_ERRORS = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION", "REQUEST_LIMIT_EXCEEDED"}
)

Status = Literal["linked", "refused", "failed"]


@dataclass
class LinkOutcome:
    sf_id: str
    status: Status
    billing: wire.Account | None = None
    created: bool = False
    message: str | None = None


@dataclass
class LinkReport:
    outcomes: list[LinkOutcome] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def created(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == "linked" and outcome.created)

    def summary(self) -> dict[str, int]:
        return {
            "linked": self.count("linked"),
            "created": self.created,
            "refused": self.count("refused"),
            "failed": self.count("failed"),
        }


def account_fields(ctx: FlowContext) -> list[str]:
    fixed = ["Id", "Name", "Billing_Account_Number__c", "Billing_Account_Id__c", "SystemModstamp"]
    return list(dict.fromkeys([*fixed, *ctx.mapping.account.salesforce_fields()]))


async def select_accounts(
    ctx: FlowContext, *, account_ids: Sequence[str] | None = None, criterion: str | None = None
) -> list[dict[str, Any]]:
    """The accounts to link: given ids, or every account matching the criterion (by default
    ``Billing_Link_Requested__c = true`` and not yet linked: prospects never match)."""
    fields = ", ".join(account_fields(ctx))
    sobject = ctx.mapping.account.salesforce_object
    if account_ids is not None:
        records: list[dict[str, Any]] = []
        ids = list(dict.fromkeys(account_ids))
        for start in range(0, len(ids), QUERY_CHUNK):
            chunk = ids[start : start + QUERY_CHUNK]
            records += await ctx.salesforce.query(
                f"SELECT {fields} FROM {sobject} WHERE Id IN {soql_in(chunk)}"
            )
    else:
        where = criterion or ctx.settings.link_criterion
        records = await ctx.salesforce.query(f"SELECT {fields} FROM {sobject} WHERE {where} ORDER BY Id")
    return [{k: v for k, v in record.items() if k != "attributes"} for record in records]


async def link_accounts(ctx: FlowContext, accounts: Sequence[dict[str, Any]]) -> LinkReport:
    if not accounts:
        return LinkReport()
    reference = await ctx.reference()
    known = await ctx.store.xref.get_many([account["Id"] for account in accounts])
    # New accounts are created 200 a call when the adapter declares batch create (the lookup
    # before create, when asked for, is per account by nature).
    batch = not ctx.settings.lookup_before_create and await ctx.capable("batch_account_create")

    async def one(account: dict[str, Any]) -> LinkOutcome | _Create:
        return await _link_one(ctx, account, reference, known.get(account["Id"]), batch=batch)

    decided = await ctx.gather_limited(accounts, one)
    created = await _create_in_batches(ctx, [item for item in decided if isinstance(item, _Create)])
    report = LinkReport([created[item.sf_id] if isinstance(item, _Create) else item for item in decided])
    linked = [o for o in report.outcomes if o.status == "linked" and o.billing is not None]
    # The link is durable in the core before Salesforce hears of it: a crash here is repaired
    # by the retry, which finds the xref (or the billing account by external id) again.
    await ctx.store.xref.link_many((o.sf_id, o.billing.id, o.billing.number) for o in linked if o.billing)
    await _write_back(ctx, report, reference)
    await ctx.store.link_results.record(
        (o.sf_id, o.status, o.created, o.billing.id if o.billing else None, o.message)
        for o in report.outcomes
    )
    return report


@dataclass(frozen=True)
class _Create:
    """An account to create in billing, left for a batch call."""

    sf_id: str
    draft: wire.AccountCreate


async def _link_one(
    ctx: FlowContext, account: dict[str, Any], reference: TransformContext, link: Link | None, *, batch: bool
) -> LinkOutcome | _Create:
    sf_id = str(account["Id"])
    try:
        if link is not None:
            return LinkOutcome(sf_id, "linked", await ctx.billing.get_account(link.billing_id))
        ban = account.get("Billing_Account_Number__c")
        if ban:
            return await _link_by_number(ctx, sf_id, str(ban))
        body, errors = apply(ctx.mapping.account.to_billing, account, reference)
        if errors:
            message = "Cannot create the billing account: " + "; ".join(str(e) for e in errors)
            return LinkOutcome(sf_id, "refused", message=message)
        if ctx.settings.lookup_before_create:
            found = await ctx.billing.find_account(external_id=sf_id)
            if found is not None:
                return LinkOutcome(sf_id, "linked", found)
        try:
            draft = wire.AccountCreate.model_validate(prune_nulls(body))
        except ValidationError as exc:
            return LinkOutcome(sf_id, "refused", message="Cannot create the billing account: " + _first(exc))
        if batch:
            return _Create(sf_id, draft)
        # Optimistic create: the contract answers 409 naming the account that already holds this
        # external id, which is the lookup by external id at half the calls for new accounts.
        try:
            created = await ctx.billing.create_account(draft, idempotency_key=_link_key(sf_id))
        except BillingApiError as exc:
            existing = exc.problem.get("existing_account_id")
            if exc.status == 409 and existing:  # created meanwhile (another worker, an earlier try)
                return LinkOutcome(sf_id, "linked", await ctx.billing.get_account(str(existing)))
            raise
        return LinkOutcome(sf_id, "linked", created, created=True)
    except BillingApiError as exc:
        return _not_linked(sf_id, exc.status, exc.code, exc.param, exc.detail, str(exc))


def _link_key(sf_id: str) -> str:
    """One idempotency key per Salesforce account, single or batch create alike."""
    return f"q2c-link-{sf_id}"


def _not_linked(
    sf_id: str, status: int, code: str | None, param: str | None, detail: str | None, text: str
) -> LinkOutcome:
    """A refusal (4xx: the data must change) or a transient failure (the job retries)."""
    if 400 <= status < 500 and status not in (408, 429):
        where = f" ({param})" if param else ""
        return LinkOutcome(sf_id, "refused", message=f"Billing refused the account: {code}{where}: {detail}")
    return LinkOutcome(sf_id, "failed", message=text)


BATCH_CREATE = 200  # the contract's maxItems for POST /accounts/batch


async def _create_in_batches(ctx: FlowContext, creates: Sequence[_Create]) -> dict[str, LinkOutcome]:
    """``POST /accounts/batch``, 200 accounts a call, each item under the key a single create
    would use (so a retry, batch or single, replays instead of creating twice)."""
    chunks = [creates[start : start + BATCH_CREATE] for start in range(0, len(creates), BATCH_CREATE)]

    async def one(chunk: Sequence[_Create]) -> list[LinkOutcome]:
        try:
            results = await ctx.billing.create_accounts_batch([(_link_key(c.sf_id), c.draft) for c in chunk])
        except BillingApiError as exc:
            return [
                _not_linked(c.sf_id, exc.status, exc.code, exc.param, exc.detail, str(exc)) for c in chunk
            ]
        return [await _batch_outcome(ctx, c.sf_id, result) for c, result in zip(chunk, results, strict=True)]

    outcomes: dict[str, LinkOutcome] = {}
    for chunk_outcomes in await ctx.gather_limited(chunks, one):
        outcomes.update((outcome.sf_id, outcome) for outcome in chunk_outcomes)
    return outcomes


async def _batch_outcome(ctx: FlowContext, sf_id: str, result: wire.AccountBatchItemResult) -> LinkOutcome:
    if result.account is not None and result.status == 201:
        return LinkOutcome(sf_id, "linked", result.account, created=True)
    error = result.error
    extra = (error.model_extra or {}) if error is not None else {}
    existing = extra.get("existing_account_id")
    try:
        if result.status == 409 and existing:  # already linked to this external id
            return LinkOutcome(sf_id, "linked", await ctx.billing.get_account(str(existing)))
    except BillingApiError as exc:
        return _not_linked(sf_id, exc.status, exc.code, exc.param, exc.detail, str(exc))
    code = error.code if error is not None else None
    detail = error.detail if error is not None else "no error in the batch result"
    param = error.param if error is not None else None
    return _not_linked(sf_id, result.status, code, param, detail, f"{result.status} {code}: {detail}")


def _first(error: ValidationError) -> str:
    """The first field the contract refuses, as the mapping names fields (``a.b: message``)."""
    found = error.errors()[0]
    return f"{'.'.join(str(part) for part in found['loc'])}: {found['msg']}"


async def _link_by_number(ctx: FlowContext, sf_id: str, ban: str) -> LinkOutcome:
    found = await ctx.billing.find_account(number=ban)
    if found is None:
        return LinkOutcome(sf_id, "refused", message=f"Billing_Account_Number__c: no billing account {ban!r}")
    if found.external_id != sf_id:
        found = await ctx.billing.update_account(
            found.id, wire.AccountUpdate(external_id=sf_id), idempotency_key=f"q2c-relink-{sf_id}-{found.id}"
        )
    return LinkOutcome(sf_id, "linked", found)


async def _write_back(ctx: FlowContext, report: LinkReport, reference: TransformContext) -> None:
    now = sf_datetime()
    records: list[dict[str, Any]] = []
    written: list[LinkOutcome] = []
    for outcome in report.outcomes:
        if outcome.status == "linked" and outcome.billing is not None:
            account = outcome.billing.model_dump(mode="json")  # the mapping reads the contract's JSON
            values, errors = apply(ctx.mapping.account.to_salesforce, account, reference)
            record = {
                "Id": outcome.sf_id,
                **values,
                "Billing_Sync_Status__c": "Linked",
                "Billing_Sync_Error__c": None,
            }
            if errors:
                record["Billing_Sync_Error__c"] = "; ".join(str(e) for e in errors)
        elif outcome.status == "refused":
            record = {
                "Id": outcome.sf_id,
                "Billing_Sync_Status__c": "Error",
                "Billing_Sync_Error__c": (outcome.message or "")[:SYNC_ERROR_LIMIT],
            }
        else:
            continue  # transient: the job retries; nothing to tell Salesforce yet
        # The request is handled either way; the user sets the flag again after fixing data.
        record.update({"Billing_Link_Requested__c": False, "Billing_Last_Synced__c": now})
        records.append(record)
        written.append(outcome)
    sobject = ctx.mapping.account.salesforce_object
    results = await ctx.write_salesforce("link", sobject, records)
    refused: list[dict[str, Any]] = []
    for outcome, result in zip(written, results, strict=True):
        if result.success:
            continue
        outcome.message = f"Salesforce refused the write-back: {result.error_text}"
        if any(error.get("statusCode") in TRANSIENT_ERRORS for error in result.errors):
            outcome.status = "failed"  # the job retries
            continue
        # A validation rule or the like: permanent until someone changes the record. Say so on
        # the record (a smaller write the rule is unlikely to refuse); the rest of the batch
        # went through regardless.
        outcome.status = "refused"
        refused.append(
            {
                "Id": outcome.sf_id,
                "Billing_Sync_Status__c": "Error",
                "Billing_Sync_Error__c": outcome.message[:SYNC_ERROR_LIMIT],
                "Billing_Link_Requested__c": False,
                "Billing_Last_Synced__c": now,
            }
        )
    await ctx.write_salesforce("link", sobject, refused)
