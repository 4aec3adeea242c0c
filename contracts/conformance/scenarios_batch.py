"""Scripted checks of the optional batch operations (each gated by the capability declaring it):
batch account create, account summaries by cursor, invoices changed since an instant."""

from __future__ import annotations

from typing import Any

from contracts.conformance.checks import CheckSpec, Context, check, expect_as, require
from contracts.conformance.fixtures import account_body, keys, walk
from contracts.conformance.scenarios_billing import claims
from contracts.generated import billing_models as wire


@check(
    "accounts.batch_create",
    "POST /accounts/batch answers one result per item in order (201 with the account, or the "
    "problem POST /accounts would answer), and a retried item replays instead of creating again",
    operations=("createAccountsBatch", "getAccount"),
    needs=("account",),
    applies=claims("batch_account_create"),
    capability="batch_account_create",
)
async def accounts_batch_create(ctx: Context) -> None:
    taken: wire.Account = ctx.fact("account")
    assert taken.external_id is not None  # created with one
    fresh = keys(ctx).next()
    items: list[dict[str, Any]] = [
        {"idempotency_key": f"q2cv-{ctx.run_id}-batch-new", "account": account_body(ctx, fresh)},
        {
            "idempotency_key": f"q2cv-{ctx.run_id}-batch-taken",
            "account": account_body(ctx, taken.external_id),
        },
    ]
    exchange = await ctx.client.request("POST", "/accounts/batch", json_body={"items": items})
    results = expect_as(ctx, exchange, wire.AccountBatchResult, 200).results
    shape = [(r.index, r.status) for r in results]
    require(shape == [(0, 201), (1, 409)], "results [(0, 201), (1, 409)]", str(shape), exchange)
    created = results[0].account
    require(
        created is not None and created.external_id == fresh,
        f"item 0 creates {fresh}",
        str(created),
        exchange,
    )
    assert created is not None
    error = results[1].error
    existing = (error.model_extra or {}).get("existing_account_id") if error is not None else None
    require(
        error is not None and error.code == "external_id_taken" and existing == taken.id,
        f"item 1: external_id_taken naming {taken.id}",
        f"{error.code if error else None} naming {existing!r}",
        exchange,
    )
    again = await ctx.client.request("POST", "/accounts/batch", json_body={"items": items[:1]})
    replayed = expect_as(ctx, again, wire.AccountBatchResult, 200).results
    require(
        len(replayed) == 1
        and replayed[0].replayed
        and replayed[0].account is not None
        and replayed[0].account.id == created.id,
        f"item 0 replayed: true with account {created.id}",
        str([(r.status, r.replayed, r.account.id if r.account else None) for r in replayed]),
        again,
    )
    read = await ctx.client.request("GET", f"/accounts/{created.id}")
    got = expect_as(ctx, read, wire.Account, 200)
    require(got.external_id == fresh, f"external_id {fresh}", f"external_id {got.external_id}", read)


@check(
    "accounts.summaries_listing",
    "GET /account-summaries lists every account's summary by cursor, each as GET /accounts/{id}/summary",
    operations=("listAccountSummaries", "getAccountSummary"),
    needs=("account",),
    applies=claims("account_summaries"),
    capability="account_summaries",
)
async def accounts_summaries_listing(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    listed = await walk(ctx, "/account-summaries", {}, 100, wire.AccountSummary)
    ids = [s.account_id for s in listed]
    require(len(ids) == len(set(ids)), "each account once", f"{len(ids) - len(set(ids))} repeated")
    mine = [s for s in listed if s.account_id == account.id]
    require(len(mine) == 1, f"{account.id} listed", f"{len(listed)} summaries without it")
    exchange = await ctx.client.request("GET", f"/accounts/{account.id}/summary")
    single = expect_as(ctx, exchange, wire.AccountSummary, 200)
    for name in ("currency", "amount_due", "past_due_amount", "total_billed"):
        require(
            getattr(mine[0], name) == getattr(single, name),
            f"{name} {getattr(single, name)!r} (as the single summary)",
            f"{name} {getattr(mine[0], name)!r}",
            exchange,
        )


@check(
    "invoices.updated_since",
    "GET /invoices?updated_since= lists the invoices changed since an instant, oldest change first",
    operations=("listInvoices",),
    needs=("fixtures",),
    applies=claims("invoices_updated_since"),
    capability="invoices_updated_since",
)
async def invoices_updated_since(ctx: Context) -> None:
    everything = await walk(ctx, "/invoices", {}, 100, wire.Invoice)
    changed = await walk(ctx, "/invoices", {"updated_since": "2000-01-01T00:00:00Z"}, 100, wire.Invoice)
    require(
        sorted(i.id for i in changed) == sorted(i.id for i in everything),
        "every invoice (all changed since 2000)",
        f"{len(changed)} of {len(everything)} invoices",
    )
    stamps = [(i.updated_at, i.id) for i in changed]
    require(stamps == sorted(stamps), "ordered by updated_at, then id", "out of order")
    future = await walk(ctx, "/invoices", {"updated_since": "2999-01-01T00:00:00Z"}, 100, wire.Invoice)
    require(not future, "no invoice changed after 2999", f"{len(future)} invoices")


BATCH_CHECKS: list[CheckSpec] = [accounts_batch_create, accounts_summaries_listing, invoices_updated_since]
