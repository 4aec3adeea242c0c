"""The rate-limit check: a bounded burst of cheap reads until the adapter answers 429, which must
carry ``Retry-After`` (whole seconds) and a ``rate_limited`` problem.

Decision (documented in docs/partners.md): the contract promises 429 + Retry-After over the
limit but lets each backend pick its limit, and ``/capabilities`` has no field to declare one.
So a burst that meets no 429 is reported as *not applicable* ("not observed"), never as a pass
or a failure. The burst is bounded (``--rate-limit-burst``) and only sent to loopback targets:
flooding a remote sandbox could be mistaken for abuse.
"""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import urlsplit

from contracts.conformance.checks import CheckSpec, Context, NotApplicable, check, expect_problem, require
from contracts.conformance.results import Exchange

DEFAULT_BURST = 200
CONCURRENCY = 25


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@check(
    "rate_limit.retry_after",
    "Over the rate limit, calls get 429 rate_limited with a Retry-After header (bounded burst)",
    operations=("listCurrencies",),
)
async def rate_limit(ctx: Context) -> None:
    bound = int(ctx.facts.get("_burst", DEFAULT_BURST))
    if bound <= 0:
        raise NotApplicable("not probed: --rate-limit-burst 0")
    if not is_loopback(ctx.client.base_url):
        raise NotApplicable("not probed: the burst is only sent to loopback targets")
    sent = 0
    limited: list[Exchange] = []
    stop = asyncio.Event()

    async def worker() -> None:
        nonlocal sent
        while not stop.is_set() and sent < bound:
            sent += 1
            exchange = await ctx.client.request("GET", "/currencies", query={"limit": 1}, retry_429=False)
            if exchange.status in (0, 429):
                limited.append(exchange)
                stop.set()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    answered = [e for e in limited if e.status == 429]
    if not answered:
        if limited:
            require(False, "an HTTP answer to every request of the burst", limited[0].summary(), limited[0])
        raise NotApplicable(
            f"not observed: no 429 within {sent} requests ({CONCURRENCY} at a time); "
            "capabilities cannot declare a rate limit, so this is not scored"
        )
    exchange = answered[0]
    ctx.facts["rate_limit_observed"] = f"429 after {sent} requests ({CONCURRENCY} at a time)"
    expect_problem(ctx, exchange, 429, "rate_limited")
    retry_after = exchange.header("Retry-After") or ""
    require(retry_after.isdigit(), "Retry-After in whole seconds", f"Retry-After {retry_after!r}", exchange)


RATE_LIMIT_CHECKS: list[CheckSpec] = [rate_limit]
