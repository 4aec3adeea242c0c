"""Scripted checks on accounts, idempotency, errors and authentication."""

from __future__ import annotations

import asyncio

from contracts.conformance.checks import (
    Capabilities,
    CheckFailed,
    CheckSpec,
    Context,
    check,
    conforms,
    expect,
    expect_as,
    expect_problem,
    require,
)
from contracts.conformance.fixtures import account_body, create_account, keys
from contracts.conformance.results import Exchange
from contracts.generated import billing_models as wire

NON_ASCII_NAME = "Zoë Müller & Søn — Café 東京"
INVALID_TOKEN = "Bearer q2c-verify-invalid-token"
AUTH_CONCURRENCY = 8
PROBE_ID = "q2cv-auth-probe"


def _idempotency_supported(capabilities: Capabilities) -> str | None:
    return None if capabilities.get("idempotency") else "capabilities.idempotency is false"


@check(
    "capabilities.document",
    "GET /capabilities describes the adapter per the contract, for its major version",
    operations=("getCapabilities",),
)
async def capabilities_document(ctx: Context) -> None:
    exchange = await ctx.client.request("GET", "/capabilities")
    declared = expect_as(ctx, exchange, wire.Capabilities, 200).contract_version
    wanted = ctx.contract.version.split(".", 1)[0]
    require(declared.split(".", 1)[0] == wanted, f"contract_version {wanted}.x", declared, exchange)


@check(
    "accounts.create",
    "Creating an account with an external id returns 201 with a BAN, Location and ETag",
    operations=("createAccount",),
    needs=("fixtures",),
    provides=("account",),
)
async def accounts_create(ctx: Context) -> None:
    ctx.facts["account"] = await create_account(ctx, keys(ctx).next())


@check(
    "accounts.get",
    "GET /accounts/{id} returns the account as created",
    operations=("getAccount",),
    needs=("account",),
)
async def accounts_get(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    exchange = await ctx.client.request("GET", f"/accounts/{account.id}")
    got = expect_as(ctx, exchange, wire.Account, 200)
    for name in ("id", "number", "external_id", "name", "email"):
        mine, theirs = getattr(account, name), getattr(got, name)
        require(theirs == mine, f"{name} {mine!r}", f"{name} {theirs!r}", exchange)


async def _lookup(ctx: Context, query: dict[str, str]) -> tuple[list[wire.Account], Exchange]:
    exchange = await ctx.client.request("GET", "/accounts", query=query)
    return expect_as(ctx, exchange, wire.AccountList, 200).data, exchange


@check(
    "accounts.lookup_by_external_id",
    "GET /accounts?external_id= finds exactly the linked account",
    operations=("listAccounts",),
    needs=("account",),
)
async def accounts_lookup_external_id(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    assert account.external_id is not None  # created with one
    found, exchange = await _lookup(ctx, {"external_id": account.external_id})
    ids = [a.id for a in found]
    require(ids == [account.id], f"exactly [{account.id}]", str(ids), exchange)


@check(
    "accounts.lookup_by_number",
    "GET /accounts?number= finds exactly the account with that BAN",
    operations=("listAccounts",),
    needs=("account",),
)
async def accounts_lookup_number(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    found, exchange = await _lookup(ctx, {"number": account.number})
    ids = [a.id for a in found]
    require(ids == [account.id], f"exactly [{account.id}]", str(ids), exchange)


@check(
    "accounts.external_id_conflict",
    "A second create with the same external id is 409 external_id_taken naming the existing account",
    operations=("createAccount",),
    needs=("account",),
)
async def accounts_conflict(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    assert account.external_id is not None  # created with one
    exchange = await ctx.client.request("POST", "/accounts", json_body=account_body(ctx, account.external_id))
    problem = expect_problem(ctx, exchange, 409, "external_id_taken")
    require(
        problem.get("existing_account_id") == account.id,
        f"existing_account_id {account.id!r}",
        f"existing_account_id {problem.get('existing_account_id')!r}",
        exchange,
    )


@check(
    "accounts.non_ascii_name",
    "Non-ASCII names (UTF-8) are stored and returned unchanged",
    operations=("createAccount", "getAccount"),
    needs=("fixtures",),
)
async def accounts_non_ascii(ctx: Context) -> None:
    created = await create_account(ctx, keys(ctx).next(), NON_ASCII_NAME)
    require(created.name == NON_ASCII_NAME, f"name {NON_ASCII_NAME!r}", f"name {created.name!r}")
    exchange = await ctx.client.request("GET", f"/accounts/{created.id}")
    got = expect_as(ctx, exchange, wire.Account, 200)
    require(got.name == NON_ASCII_NAME, f"name {NON_ASCII_NAME!r}", f"name {got.name!r}", exchange)


@check(
    "idempotency.replay",
    "The same Idempotency-Key and body replays the original status and body (Idempotent-Replayed: true)",
    operations=("createAccount", "listAccounts"),
    needs=("fixtures",),
    applies=_idempotency_supported,
)
async def idempotency_replay(ctx: Context) -> None:
    key = f"q2cv-{ctx.run_id}-replay"
    body = account_body(ctx, keys(ctx).next())
    headers = {"Idempotency-Key": key}
    first = await ctx.client.request("POST", "/accounts", json_body=body, headers=headers)
    original = expect(ctx, first, 201)
    again = await ctx.client.request("POST", "/accounts", json_body=body, headers=headers)
    require(again.status == first.status, f"status {first.status} replayed", again.summary(), again)
    replayed = conforms(ctx, again)
    require(replayed == original, "the original body, unchanged", again.text(), again)
    require(
        (again.header("Idempotent-Replayed") or "").lower() == "true",
        "header Idempotent-Replayed: true",
        f"Idempotent-Replayed: {again.header('Idempotent-Replayed')}",
        again,
    )
    exchange = await ctx.client.request("GET", "/accounts", query={"external_id": body["external_id"]})
    found = expect_as(ctx, exchange, wire.AccountList, 200).data
    require(len(found) == 1, "one account for the replayed request", f"{len(found)} accounts", exchange)


@check(
    "idempotency.mismatch",
    "The same Idempotency-Key with a different body is 422 idempotency_mismatch and changes nothing",
    operations=("createAccount", "listAccounts"),
    needs=("fixtures",),
    applies=_idempotency_supported,
)
async def idempotency_mismatch(ctx: Context) -> None:
    key = f"q2cv-{ctx.run_id}-mismatch"
    body = account_body(ctx, keys(ctx).next())
    first = await ctx.client.request("POST", "/accounts", json_body=body, headers={"Idempotency-Key": key})
    expect(ctx, first, 201)
    other = {**body, "external_id": keys(ctx).next(), "name": "Another Request Ltd."}
    exchange = await ctx.client.request(
        "POST", "/accounts", json_body=other, headers={"Idempotency-Key": key}
    )
    expect_problem(ctx, exchange, 422, "idempotency_mismatch")
    lookup = await ctx.client.request("GET", "/accounts", query={"external_id": other["external_id"]})
    found = expect_as(ctx, lookup, wire.AccountList, 200).data
    require(not found, "no account created by the refused request", f"{len(found)} accounts", lookup)


@check(
    "errors.problem_json",
    "Errors are application/problem+json with the HTTP status and a documented code (404, 400, 422)",
    operations=("getAccount", "createAccount"),
    needs=("fixtures",),
)
async def errors_problem_json(ctx: Context) -> None:
    missing = await ctx.client.request("GET", f"/accounts/q2cv-{ctx.run_id.lower()}-missing")
    expect_problem(ctx, missing, 404, "not_found")
    invalid = await ctx.client.request("POST", "/accounts", json_body={"name": "No External Id"})
    expect_problem(ctx, invalid, 400, ctx.contract.problem_codes("BadRequest"))
    body = {**account_body(ctx, keys(ctx).next()), "bill_cycle_id": f"q2cv-{ctx.run_id.lower()}-no-cycle"}
    refused = await ctx.client.request("POST", "/accounts", json_body=body)
    expect_problem(ctx, refused, 422, "unknown_bill_cycle")


async def _probe(ctx: Context, method: str, path: str, has_body: bool, auth: str | None) -> Exchange:
    return await ctx.client.request(method, path, json_body={} if has_body else None, auth=auth)


@check(
    "auth.enforced",
    "Every operation refuses a missing or unknown API key with 401 unauthorized and WWW-Authenticate",
)
async def auth_enforced(ctx: Context) -> None:
    semaphore = asyncio.Semaphore(AUTH_CONCURRENCY)
    account = ctx.facts.get("account")
    account_id = account.id if isinstance(account, wire.Account) else PROBE_ID

    async def probe(operation_id: str, auth: str | None) -> tuple[str, str, Exchange]:
        operation = ctx.contract.operations[operation_id]
        path = operation.path
        for name in operation.path_params:
            value = account_id if path.startswith("/accounts/") else PROBE_ID
            path = path.replace("{" + name + "}", value)
        async with semaphore:
            exchange = await _probe(ctx, operation.method, path, operation.has_body, auth)
        return operation_id, "no token" if auth is None else "an unknown token", exchange

    probes = [probe(op_id, auth) for op_id in ctx.contract.operations for auth in (None, INVALID_TOKEN)]
    offenders: list[tuple[str, str, Exchange, str]] = []
    for operation_id, how, exchange in await asyncio.gather(*probes):
        try:
            expect_problem(ctx, exchange, 401, "unauthorized")
            require(exchange.header("WWW-Authenticate") is not None, "WWW-Authenticate", "none", exchange)
        except CheckFailed as failure:
            offenders.append((operation_id, how, exchange, failure.actual))
    if offenders:
        operation_id, how, exchange, actual = offenders[0]
        listed = "\n".join(f"{op} with {how_}: {act}" for op, how_, _, act in offenders)
        raise CheckFailed(
            "401 unauthorized (problem+json, WWW-Authenticate) from every operation without a valid key",
            f"{len(offenders)} refusals missing; first: {operation_id} with {how}: {actual}",
            exchange,
            detail=listed,
        )


ACCOUNT_CHECKS: list[CheckSpec] = [
    accounts_create,
    accounts_get,
    accounts_lookup_external_id,
    accounts_lookup_number,
    accounts_conflict,
    accounts_non_ascii,
    idempotency_replay,
    idempotency_mismatch,
]
ERROR_CHECKS: list[CheckSpec] = [errors_problem_json, auth_enforced]
