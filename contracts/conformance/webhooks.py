"""The webhook stage: the harness subscribes its own listener, makes the adapter emit events
(an account, an order, an invoice), and checks what arrives against Standard Webhooks v1 and the
contract: headers, signatures (the kit's verifier and the ``standardwebhooks`` library), the
envelope and per-type schemas, a webhook-id kept across a retry it provokes, gap-free per-account
sequences, the event log, the attempts log and replay.

The contract requires a retry but not its timing. When the target exposes the simulator control
plane (``/__sim/clock``) the harness moves its clock (10 s) to make the simulator's retry due
instead of waiting; otherwise it waits, bounded by ``--webhook-timeout``. Events the adapter
cannot be made to emit (no order action ``new``, no declared means to bill) are not expected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from standardwebhooks import Webhook

from contracts.conformance.checks import (
    Capabilities,
    CheckFailed,
    CheckSpec,
    Context,
    check,
    expect,
    expect_as,
    expect_problem,
    require,
)
from contracts.conformance.fixtures import create_account, fixtures, keys, submit_order, walk
from contracts.conformance.listener import Delivery, Listener, Probe
from contracts.conformance.results import Exchange
from contracts.conformance.scenarios_billing import bill
from contracts.conformance.spec import schema_errors
from contracts.generated import billing_models as wire
from contracts.signing import WebhookVerificationError, verify

TIMESTAMP_TOLERANCE = 300
CLOCK_STEP = "PT10S"


@dataclass
class WebhookSetup:
    listener: Listener
    timeout: float
    public_url: str | None = None


def expected_types(capabilities: Capabilities) -> tuple[str, ...]:
    """The events the stage can make this adapter emit, by what it declares."""
    types = ["account.created"]
    if "new" in (capabilities.get("order_actions") or []):
        types += ["service.activated", "order.completed"]
        if capabilities.get("bill_now") or capabilities.get("bill_runs"):
            types.append("invoice.posted")
    return tuple(types)


def reception(ctx: Context) -> str:
    """What reached the listener, from where, and the URL the adapter was given."""
    stage = setup(ctx)
    listener = stage.listener
    given = stage.public_url or listener.url
    if not listener.deliveries:
        return (
            f"no delivery reached the listener at all (it listens on {listener.url}; the adapter was "
            f"given {given}): can the adapter reach that URL?"
        )
    remotes = sorted({d.remote or "?" for d in listener.deliveries})
    return (
        f"{len(listener.deliveries)} deliveries reached the listener (from {', '.join(remotes)}; "
        f"listening on {listener.url}, the adapter was given {given})"
    )


def _native(capabilities: Capabilities) -> str | None:
    kind = capabilities.get("webhooks")
    return None if kind == "native" else f"capabilities.webhooks is {kind!r}"


def _event_log(capabilities: Capabilities) -> str | None:
    return _native(capabilities) or (
        None if capabilities.get("event_log") else "capabilities.event_log is false"
    )


def setup(ctx: Context) -> WebhookSetup:
    found = ctx.fact("_webhooks")
    assert isinstance(found, WebhookSetup)
    return found


def ours(ctx: Context) -> list[Delivery]:
    """Deliveries about the account this stage created."""
    account_id = ctx.fact("webhook_account").id
    listener = setup(ctx).listener
    return [
        d
        for d in listener.deliveries
        if isinstance(d.payload, dict) and d.payload.get("account_id") == account_id
    ]


def _trigger(ctx: Context) -> Exchange | None:
    """The request that made the adapter emit the events under test (the account creation)."""
    found = ctx.facts.get("_trigger")
    return found if isinstance(found, Exchange) else None


def _probed(ctx: Context) -> tuple[Delivery, Probe]:
    """The delivery the listener failed on purpose, and its probe."""
    probe = setup(ctx).listener.probe
    if probe is None or probe.first is None:
        raise CheckFailed(
            "a delivery of account.created (answered 500 on purpose)", f"none arrived; {reception(ctx)}"
        )
    return probe.first, probe


def _fail_with(delivery: Delivery, expected: str, actual: str) -> CheckFailed:
    shown = {k: v for k, v in delivery.headers.items() if k.lower().startswith("webhook-")}
    body = delivery.body.decode("utf-8", errors="replace")
    return CheckFailed(
        expected,
        actual,
        detail=f"delivery #{delivery.index} from {delivery.remote or '?'} headers {shown}\nbody {body}",
    )


@check(
    "webhooks.register",
    "POST /webhook-endpoints subscribes the listener and returns its whsec_ secret once",
    operations=("createWebhookEndpoint", "getWebhookEndpoint"),
    needs=("fixtures",),
    applies=_native,
    provides=("endpoint",),
    capability="webhooks",
)
async def register(ctx: Context) -> None:
    stage = setup(ctx)
    url = stage.public_url or stage.listener.url
    body = {"url": url, "description": f"q2c verify {ctx.run_id}"}
    exchange = await ctx.client.request("POST", "/webhook-endpoints", json_body=body)
    endpoint = expect_as(ctx, exchange, wire.WebhookEndpointWithSecret, 201)
    require(endpoint.url == url, f"url {url}", f"url {endpoint.url}", exchange)
    again = await ctx.client.request("GET", f"/webhook-endpoints/{endpoint.id}")
    shown = expect(ctx, again, 200)
    require("secret" not in shown, "no secret in GET /webhook-endpoints/{id}", "the secret is shown", again)
    ctx.facts["endpoint"] = endpoint


async def _move_clock_or_wait(ctx: Context, deadline: float) -> None:
    """Make the provoked retry due: move the target's virtual clock when it has one."""
    probe = setup(ctx).listener.probe
    assert probe is not None
    clock = await ctx.client.request("GET", "/__sim/clock", auth=None)
    if clock.status == 200 and clock.media_type == "application/json":
        moved = await ctx.client.request(
            "POST", "/__sim/clock", json_body={"advance_by": CLOCK_STEP}, auth=None
        )
        ctx.facts["clock_moved"] = moved.status == 200
    await setup(ctx).listener.wait_until(lambda: bool(probe.retries), max(0.0, deadline - time.monotonic()))


@check(
    "webhooks.delivered",
    "Creating an account, an order and an invoice delivers their events to the endpoint",
    operations=("createAccount", "createOrder", "billAccountNow"),
    needs=("endpoint",),
    applies=_native,
    reproduce=_trigger,
    provides=("deliveries",),
    capability="webhooks",
)
async def delivered(ctx: Context) -> None:
    stage = setup(ctx)
    listener = stage.listener
    deadline = time.monotonic() + stage.timeout
    external_id = keys(ctx).next()
    listener.probe = Probe(
        lambda p: p.get("type") == "account.created" and p.get("account_external_id") == external_id
    )
    account = await create_account(ctx, external_id)
    ctx.facts["_trigger"] = ctx.client.exchanges[-1]
    ctx.facts["webhook_account"] = account
    fx = fixtures(ctx)
    wanted_types = expected_types(ctx.capabilities)
    if "order.completed" in wanted_types:
        item = {
            "action": "new",
            "product_id": fx.product.id,
            "quantity": 1,
            "term_option_id": fx.term_option.id,
        }
        order, _ = await submit_order(ctx, {"account_id": account.id, "items": [item]})
        if "invoice.posted" in wanted_types:
            await bill(ctx, order.items[0].effective_date, account, keep=False)
    probe = listener.probe
    await listener.wait_until(lambda: probe.first is not None, stage.timeout)
    if probe.first is not None:
        await _move_clock_or_wait(ctx, deadline)
    wanted = set(wanted_types)
    expected_ids: set[str] = set()
    if ctx.capabilities.get("event_log"):
        events = await walk(ctx, "/events", {"account_id": account.id}, 100, wire.Event)
        expected_ids = {e.id for e in events}

    def arrived() -> tuple[set[str], set[str]]:
        # Any attempt counts as delivered: whether the failed one is retried is its own check.
        received = ours(ctx)
        types = {str(d.payload.get("type")) for d in received}
        ids = {str(d.payload.get("id")) for d in received}
        return wanted - types, expected_ids - ids

    await listener.wait_until(lambda: not any(arrived()), max(0.0, deadline - time.monotonic()))
    missing_types, missing_ids = arrived()
    require(
        not missing_types and not missing_ids,
        f"deliveries of {', '.join(wanted_types)} and of every logged event of {account.id} "
        f"within --webhook-timeout {stage.timeout:g}s",
        f"missing types {sorted(missing_types)}, missing logged events {sorted(missing_ids)}; {reception(ctx)}",
    )
    ctx.facts["deliveries"] = ours(ctx)


@check(
    "webhooks.headers",
    "Every delivery has Standard Webhooks headers: webhook-id (the event id), a current webhook-timestamp, v1 signatures",
    needs=("deliveries",),
    applies=_native,
    reproduce=_trigger,
)
async def headers(ctx: Context) -> None:
    now = time.time()  # webhook-timestamp is the sender's wall time (Standard Webhooks)
    for delivery in setup(ctx).listener.deliveries:
        webhook_id, stamp = delivery.webhook_id, delivery.header("webhook-timestamp")
        signature = delivery.header("webhook-signature") or ""
        if not webhook_id or not stamp or not signature:
            raise _fail_with(
                delivery, "webhook-id, webhook-timestamp and webhook-signature", "a header missing"
            )
        if not stamp.isdigit() or abs(int(stamp) - now) > TIMESTAMP_TOLERANCE:
            raise _fail_with(delivery, f"webhook-timestamp within {TIMESTAMP_TOLERANCE}s of now", stamp)
        if not all(part.startswith(("v1,", "v1a,")) for part in signature.split(" ")):
            raise _fail_with(delivery, "space-separated v1,<base64> signatures", signature)
        body_id = delivery.payload.get("id") if isinstance(delivery.payload, dict) else None
        if body_id != webhook_id:
            raise _fail_with(delivery, f"webhook-id equal to the event id {body_id!r}", webhook_id)


@check(
    "webhooks.signature",
    "Every delivery verifies with the endpoint secret (the kit's verifier and the standardwebhooks library)",
    needs=("deliveries",),
    applies=_native,
    reproduce=_trigger,
)
async def signature(ctx: Context) -> None:
    secret = ctx.fact("endpoint").secret
    for delivery in setup(ctx).listener.deliveries:
        try:
            verify([secret], delivery.headers, delivery.body, now=time.time())
        except (WebhookVerificationError, ValueError) as exc:
            raise _fail_with(
                delivery, "a v1 signature made with the endpoint secret", f"kit verifier: {exc}"
            ) from None
        try:
            Webhook(secret).verify(delivery.body, delivery.headers)
        except Exception as exc:  # the library raises several types on malformed input
            raise _fail_with(
                delivery, "a signature the standardwebhooks library accepts", f"{type(exc).__name__}: {exc}"
            ) from None


@check(
    "webhooks.envelope",
    "Every delivered envelope matches the contract's Event schema and its type's webhook schema",
    needs=("deliveries",),
    applies=_native,
    reproduce=_trigger,
)
async def envelope(ctx: Context) -> None:
    event_schema = ctx.contract.schema_validator("Event")
    for delivery in setup(ctx).listener.deliveries:
        if not isinstance(delivery.payload, dict):
            raise _fail_with(delivery, "a JSON object body", "not JSON")
        errors = schema_errors(event_schema, delivery.payload)
        per_type = ctx.contract.webhook_validator(str(delivery.payload.get("type")))
        if per_type is None:
            errors.append(f"type {delivery.payload.get('type')!r} is not a contract event type")
        else:
            errors += schema_errors(per_type, delivery.payload)
        if errors:
            raise _fail_with(
                delivery, f"a {delivery.payload.get('type')} envelope per the contract", "; ".join(errors[:3])
            )


@check(
    "webhooks.retry_keeps_id",
    "A delivery answered 500 is retried with the same webhook-id and body",
    needs=("deliveries",),
    applies=_native,
    reproduce=_trigger,
)
async def retry_keeps_id(ctx: Context) -> None:
    first, probe = _probed(ctx)
    timeout = setup(ctx).timeout
    moved = " (after moving the target's /__sim/clock 10 s)" if ctx.facts.get("clock_moved") else ""
    require(
        bool(probe.retries),
        f"a retry of the delivery answered 500 within --webhook-timeout {timeout:g}s{moved}",
        f"no retry arrived within {timeout:g}s of the first attempt: raise --webhook-timeout if the "
        "adapter retries later",
    )
    retry = probe.retries[0]
    if retry.webhook_id != first.webhook_id:
        raise _fail_with(retry, f"webhook-id {first.webhook_id!r} on the retry", repr(retry.webhook_id))
    if retry.payload != first.payload:
        raise _fail_with(
            retry, "the same body on the retry", retry.body.decode("utf-8", errors="replace")[:300]
        )


@check(
    "webhooks.sequence",
    "Per-account sequences are 1, 2, 3... without gaps or duplicates",
    needs=("deliveries",),
    applies=_native,
    reproduce=_trigger,
)
async def sequence(ctx: Context) -> None:
    by_sequence: dict[int, set[str]] = {}
    for delivery in ours(ctx):
        by_sequence.setdefault(int(delivery.payload["sequence"]), set()).add(str(delivery.payload.get("id")))
    numbers = sorted(by_sequence)
    shared = {n: sorted(ids) for n, ids in by_sequence.items() if len(ids) > 1}
    require(not shared, "one event per sequence number", f"shared sequence numbers {shared}")
    require(
        numbers == list(range(1, len(numbers) + 1)),
        f"sequences 1..{len(numbers)} for the new account",
        f"sequences {numbers}",
    )


@check(
    "webhooks.event_log",
    "GET /events/{id} returns the envelope each delivery carried",
    operations=("getEvent",),
    needs=("deliveries",),
    applies=_event_log,
)
async def event_log(ctx: Context) -> None:
    for delivery in ours(ctx):
        exchange = await ctx.client.request("GET", f"/events/{delivery.payload['id']}")
        logged = expect(ctx, exchange, 200)
        require(logged == delivery.payload, "the delivered envelope", exchange.text(), exchange)


@check(
    "webhooks.attempts",
    "The attempts log shows the failed attempt (500) and the successful retry",
    operations=("listWebhookAttempts",),
    needs=("deliveries",),
    applies=_native,
)
async def attempts(ctx: Context) -> None:
    first, _ = _probed(ctx)
    endpoint_id = ctx.fact("endpoint").id
    event_id = first.payload.get("id")
    path = f"/webhook-endpoints/{endpoint_id}/attempts"
    deliveries = await walk(ctx, path, {"event_id": event_id}, 100, wire.WebhookDelivery)
    statuses = [[a.status_code for a in d.attempts] for d in deliveries if d.event_id == event_id]
    require(
        any(len(s) >= 2 and s[0] == 500 and s[-1] is not None and 200 <= s[-1] < 300 for s in statuses),
        f"a delivery of {event_id} with attempts [500, ..., 2xx]",
        f"attempt status codes {statuses}",
    )


@check(
    "webhooks.replay",
    "POST /webhook-endpoints/{id}/replay re-sends the event with the same webhook-id and body",
    operations=("replayWebhookEvents",),
    needs=("deliveries",),
    applies=_native,
)
async def replay(ctx: Context) -> None:
    stage = setup(ctx)
    original = next((d for d in ours(ctx) if d.payload.get("type") == "service.activated"), None)
    require(original is not None, "a delivered service.activated event", "none")
    assert original is not None
    endpoint_id = ctx.fact("endpoint").id
    event_id = original.payload["id"]
    count = len(stage.listener.deliveries)
    exchange = await ctx.client.request(
        "POST", f"/webhook-endpoints/{endpoint_id}/replay", json_body={"event_ids": [event_id]}
    )
    result = expect_as(ctx, exchange, wire.ReplayResult, 202)
    require(result.replayed >= 1, "replayed >= 1", f"replayed {result.replayed}", exchange)

    def replayed() -> Delivery | None:
        fresh = stage.listener.deliveries[count:]
        return next((d for d in fresh if d.fingerprint == original.fingerprint), None)

    await stage.listener.wait_until(lambda: replayed() is not None, stage.timeout)
    again = replayed()
    require(
        again is not None, f"the replayed {event_id} within {stage.timeout:g}s", "nothing arrived", exchange
    )
    assert again is not None
    if again.webhook_id != original.webhook_id or again.payload != original.payload:
        raise _fail_with(
            again, f"webhook-id {original.webhook_id!r} and the original body", repr(again.webhook_id)
        )


def _rotation(capabilities: Capabilities) -> str | None:
    if _native(capabilities) is not None:
        return _native(capabilities)
    value = capabilities.get("webhook_secret_rotation")
    return None if value else f"capabilities.webhook_secret_rotation is {value!r}"


@check(
    "webhooks.rotate_secret",
    "Rotating the secret returns a new whsec_ secret, and the next delivery verifies with it",
    operations=("rotateWebhookEndpointSecret",),
    needs=("endpoint", "deliveries"),
    applies=_rotation,
    capability="webhook_secret_rotation",
)
async def rotate_secret(ctx: Context) -> None:
    stage = setup(ctx)
    endpoint = ctx.fact("endpoint")
    path = f"/webhook-endpoints/{endpoint.id}/rotate-secret"
    exchange = await ctx.client.request("POST", path, json_body={"overlap_seconds": 0})
    rotated = expect_as(ctx, exchange, wire.RotatedSecret, 200)
    require(
        rotated.secret.startswith("whsec_") and rotated.secret != endpoint.secret,
        "a new whsec_ secret",
        "the same secret" if rotated.secret == endpoint.secret else rotated.secret,
        exchange,
    )
    account = await create_account(ctx, keys(ctx).next())

    def fresh() -> Delivery | None:
        return next(
            (
                d
                for d in stage.listener.deliveries
                if isinstance(d.payload, dict) and d.payload.get("account_id") == account.id
            ),
            None,
        )

    await stage.listener.wait_until(lambda: fresh() is not None, stage.timeout)
    delivery = fresh()
    require(
        delivery is not None,
        f"account.created for {account.id} within --webhook-timeout {stage.timeout:g}s",
        f"nothing arrived; {reception(ctx)}",
        ctx.client.exchanges[-1],
    )
    assert delivery is not None
    try:
        verify([rotated.secret], delivery.headers, delivery.body, now=time.time())
    except (WebhookVerificationError, ValueError) as exc:
        raise _fail_with(delivery, "a v1 signature made with the rotated secret", str(exc)) from None


@check(
    "webhooks.unsubscribe",
    "DELETE /webhook-endpoints/{id} removes the endpoint (204, then 404)",
    operations=("deleteWebhookEndpoint", "getWebhookEndpoint"),
    needs=("endpoint",),
    applies=_native,
)
async def unsubscribe(ctx: Context) -> None:
    endpoint_id = ctx.fact("endpoint").id
    exchange = await ctx.client.request("DELETE", f"/webhook-endpoints/{endpoint_id}")
    expect(ctx, exchange, 204)
    gone = await ctx.client.request("GET", f"/webhook-endpoints/{endpoint_id}")
    expect_problem(ctx, gone, 404, "not_found")


WEBHOOK_CHECKS: list[CheckSpec] = [
    register,
    delivered,
    headers,
    signature,
    envelope,
    retry_keeps_id,
    sequence,
    event_log,
    attempts,
    replay,
    rotate_secret,
    unsubscribe,
]
