"""Webhook delivery per Standard Webhooks v1: a queue, owned workers, retries on the virtual clock.

- Every message fans out to each enabled endpoint whose event-type filter accepts it.
- A delivery is attempted at once; on failure it is retried on ``DEFAULT_SCHEDULE`` (with seeded
  jitter), each wait measured on the *virtual* clock so tests fast-forward retries.
- 2xx is success. 410 disables the endpoint. Anything else (3xx included), a timeout or a
  connection error is a failure. Every attempt is recorded.
- Replay re-sends a message with the same ``webhook-id`` (a new delivery, a new timestamp).
- Outbound fault rules (``webhook_faults``) drop, duplicate, reorder, delay or mis-sign
  attempts, seeded like everything else.
- ``webhook-timestamp`` is the *wall* time of the attempt: receivers check it against their own
  clock, and the attempt really happens now. The event's own time is in the payload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp

from contracts.signing import generate_secret, secret_key, signature_header, webhook_headers
from simulators.kit.clock import Clock
from simulators.kit.deliveries import Attempt, Delivery, DeliveryState, WebhookEndpoint, WebhookMessage
from simulators.kit.webhook_faults import (
    REORDER_MAX_HOLD,
    CorruptSignatureEffect,
    DelayEffect,
    DropEffect,
    DuplicateEffect,
    ReorderEffect,
    WebhookFaults,
)

log = logging.getLogger(__name__)

DEFAULT_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
DEFAULT_ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
USER_AGENT = "q2c-sandbox-webhooks/1"

__all__ = [
    "DEFAULT_SCHEDULE",
    "Attempt",
    "Delivery",
    "DeliveryState",
    "Outbox",
    "OutboxError",
    "WebhookEndpoint",
    "WebhookMessage",
]


class OutboxError(ValueError):
    """A request the outbox refuses (bad URL, unknown endpoint, ...)."""


class Outbox:
    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        schedule: Iterable[timedelta] = DEFAULT_SCHEDULE,
        jitter: float = 0.2,
        timeout: float = 15.0,
        workers: int = 16,
        allowed_hosts: Iterable[str] = DEFAULT_ALLOWED_HOSTS,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")
        self._clock = clock
        self._seed = seed
        self._random = random.Random(seed)
        self.schedule = tuple(schedule)
        self.jitter = jitter
        self.timeout = timeout
        self._worker_count = workers
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self._wall = wall
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._messages: dict[str, WebhookMessage] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._counters = {"endpoint": 0, "delivery": 0}
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self._changed = asyncio.Condition()
        self.faults = WebhookFaults(seed)
        self._held: dict[str, tuple[list[str], datetime]] = {}  # reorder buffers by rule, due

    # -- lifecycle (owned by the app's cleanup_ctx) ---------------------------------------------

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=max(self._worker_count, 1) * 2)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"User-Agent": USER_AGENT},
        )
        self._workers = [
            asyncio.create_task(self._work(), name=f"outbox-worker-{n}") for n in range(self._worker_count)
        ]

    async def stop(self) -> None:
        pending = [*self._workers, *self._tasks]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._workers.clear()
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._seed = seed
        self._random = random.Random(self._seed)
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        while not self._queue.empty():
            self._queue.get_nowait()
        self._endpoints.clear()
        self._messages.clear()
        self._deliveries.clear()
        self._counters = {"endpoint": 0, "delivery": 0}
        self.faults.reset(self._seed)
        self._held.clear()

    # -- endpoints ------------------------------------------------------------------------------

    def add_endpoint(
        self,
        url: str,
        *,
        event_types: Iterable[str] | None = None,
        secret: str | None = None,
        description: str | None = None,
    ) -> WebhookEndpoint:
        self.check_url(url)
        if secret is not None:
            secret_key(secret)
        self._counters["endpoint"] += 1
        endpoint = WebhookEndpoint(
            id=f"we_{self._counters['endpoint']:08d}",
            url=url,
            secret=secret or generate_secret(self._random),
            event_types=tuple(event_types) if event_types is not None else None,
            description=description,
            created_at=self._clock.now(),
        )
        self._endpoints[endpoint.id] = endpoint
        return endpoint

    def check_url(self, url: str) -> None:
        """Only http(s) to allowed hosts: a sandbox never calls out beyond its own machine."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboxError(f"webhook url must be an absolute http(s) URL: {url!r}")
        try:
            parts.port  # noqa: B018 - validates the port
        except ValueError as exc:
            raise OutboxError(f"webhook url has an invalid port: {url!r}") from exc
        if parts.hostname.lower() not in self.allowed_hosts:
            allowed = ", ".join(sorted(self.allowed_hosts))
            raise OutboxError(f"webhook host {parts.hostname!r} is not allowed (allowed: {allowed})")

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        try:
            return self._endpoints[endpoint_id]
        except KeyError:
            raise OutboxError(f"no webhook endpoint {endpoint_id!r}") from None

    def endpoints(self) -> list[WebhookEndpoint]:
        return list(self._endpoints.values())

    def remove_endpoint(self, endpoint_id: str) -> None:
        self.endpoint(endpoint_id)
        del self._endpoints[endpoint_id]
        self._cancel_pending(endpoint_id)

    def disable(self, endpoint_id: str, reason: str) -> None:
        endpoint = self.endpoint(endpoint_id)
        endpoint.enabled = False
        endpoint.disabled_reason = reason
        self._cancel_pending(endpoint_id)

    def enable(self, endpoint_id: str) -> None:
        endpoint = self.endpoint(endpoint_id)
        endpoint.enabled = True
        endpoint.disabled_reason = None

    def rotate_secret(self, endpoint_id: str, *, overlap: timedelta = timedelta(hours=24)) -> str:
        """New secret; the old one keeps signing (a second signature) until the overlap ends."""
        endpoint = self.endpoint(endpoint_id)
        now = self._clock.now()
        endpoint.previous_secrets = [(s, until) for s, until in endpoint.previous_secrets if until > now]
        if overlap > timedelta(0):
            endpoint.previous_secrets.append((endpoint.secret, now + overlap))
        endpoint.secret = generate_secret(self._random)
        return endpoint.secret

    def _cancel_pending(self, endpoint_id: str) -> None:
        for delivery in self._deliveries.values():
            if delivery.endpoint_id == endpoint_id and delivery.state == "pending":
                delivery.state = "cancelled"
                delivery.next_attempt_at = None

    # -- messages -------------------------------------------------------------------------------

    def record(
        self,
        message_id: str,
        event_type: str,
        payload: bytes | Mapping[str, Any],
        *,
        created_at: datetime | None = None,
    ) -> WebhookMessage:
        """Keep a message for later replays without delivering it (``publish`` records, then fans
        out). ``created_at`` (default now) is what a since/until replay compares."""
        if message_id in self._messages:
            raise OutboxError(f"message {message_id!r} was already published; use replay")
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        message = WebhookMessage(message_id, event_type, body, created_at or self._clock.now())
        self._messages[message_id] = message
        return message

    def publish(self, message_id: str, event_type: str, payload: bytes | Mapping[str, Any]) -> list[Delivery]:
        """Record a message and queue one delivery per interested endpoint."""
        message = self.record(message_id, event_type, payload)
        return [
            self._enqueue(message, endpoint, "publish")
            for endpoint in self._endpoints.values()
            if endpoint.enabled and endpoint.accepts(event_type)
        ]

    def replay(
        self,
        *,
        message_ids: Iterable[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        endpoint_id: str | None = None,
    ) -> list[Delivery]:
        """Re-send messages (by id, or created in ``[since, until)``) with their original ids."""
        if endpoint_id is not None:
            self.endpoint(endpoint_id)
        if message_ids is not None:
            wanted = list(message_ids)
            missing = [mid for mid in wanted if mid not in self._messages]
            if missing:
                raise OutboxError(f"unknown message ids: {', '.join(missing[:10])}")
            messages = [self._messages[mid] for mid in wanted]
        else:
            messages = [
                m
                for m in self._messages.values()
                if (since is None or m.created_at >= since) and (until is None or m.created_at < until)
            ]
        deliveries = []
        for message in messages:
            for endpoint in self._endpoints.values():
                if endpoint_id is not None and endpoint.id != endpoint_id:
                    continue
                if endpoint.enabled and endpoint.accepts(message.type):
                    deliveries.append(self._enqueue(message, endpoint, "replay"))
        return deliveries

    def message(self, message_id: str) -> WebhookMessage | None:
        return self._messages.get(message_id)

    def deliveries(
        self,
        *,
        message_id: str | None = None,
        endpoint_id: str | None = None,
        state: str | None = None,
    ) -> list[Delivery]:
        return [
            d
            for d in self._deliveries.values()
            if (message_id is None or d.message_id == message_id)
            and (endpoint_id is None or d.endpoint_id == endpoint_id)
            and (state is None or d.state == state)
        ]

    async def wait_for(self, predicate: Callable[[Delivery], bool], timeout: float = 5.0) -> Delivery:
        """Wait (real seconds) until some delivery satisfies ``predicate``; return it."""

        def found() -> Delivery | None:
            return next((d for d in self._deliveries.values() if predicate(d)), None)

        async with asyncio.timeout(timeout), self._changed:
            while (delivery := found()) is None:
                await self._changed.wait()
            return delivery

    async def wait_settled(self, timeout: float = 30.0) -> None:
        """Wait (real seconds) until no delivery is due now: every one succeeded, failed, was
        cancelled, or waits for a retry later on the virtual clock."""

        def busy() -> bool:
            now = self._clock.now()
            return any(
                d.state == "pending" and (d.next_attempt_at is None or d.next_attempt_at <= now)
                for d in self._deliveries.values()
            )

        async with asyncio.timeout(timeout), self._changed:
            while busy():
                await self._changed.wait()

    # -- delivery machinery ---------------------------------------------------------------------

    def _enqueue(
        self, message: WebhookMessage, endpoint: WebhookEndpoint, trigger: Literal["publish", "replay"]
    ) -> Delivery:
        self._counters["delivery"] += 1
        delivery = Delivery(
            id=f"wd_{self._counters['delivery']:010d}",
            message_id=message.id,
            event_type=message.type,
            endpoint_id=endpoint.id,
            trigger=trigger,
            next_attempt_at=self._clock.now(),
        )
        self._deliveries[delivery.id] = delivery
        self._queue.put_nowait(delivery.id)
        return delivery

    async def _work(self) -> None:
        while True:
            delivery_id = await self._queue.get()
            try:
                await self._attempt(delivery_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not kill the worker
                log.exception("webhook delivery %s failed unexpectedly", delivery_id)

    async def _attempt(self, delivery_id: str) -> None:
        delivery = self._deliveries.get(delivery_id)
        if delivery is None or delivery.state != "pending":
            return
        endpoint = self._endpoints.get(delivery.endpoint_id)
        message = self._messages.get(delivery.message_id)
        if endpoint is None or message is None or not endpoint.enabled:
            delivery.state = "cancelled"
            await self._notify()
            return
        exempt, delivery.exempt = delivery.exempt, False
        decision = None if exempt else self.faults.decide(delivery.event_type, endpoint.id)
        if decision is None:
            await self._send(delivery, endpoint, message)
            return
        rule, effect = decision
        if isinstance(effect, DuplicateEffect):
            await self._send(delivery, endpoint, message, copies=effect.copies, fault="duplicate")
        elif isinstance(effect, CorruptSignatureEffect):
            await self._send(delivery, endpoint, message, fault="corrupt_signature")
        elif isinstance(effect, DropEffect):
            note = f"dropped by webhook fault rule {rule.id}"
            stamp = int(self._wall())
            number = len(delivery.attempts) + 1
            delivery.attempts.append(Attempt(number, self._clock.now(), stamp, None, note, 0.0, "drop"))
            delivery.state = "dropped"
            delivery.next_attempt_at = None
            await self._notify()
        elif isinstance(effect, DelayEffect):
            delivery.exempt = True  # the delayed send itself goes out as it is
            self._requeue(delivery, self._clock.now() + timedelta(seconds=effect.seconds))
            await self._notify()
        else:
            assert isinstance(effect, ReorderEffect)
            await self._hold(rule.id, effect.window, delivery)

    async def _send(
        self,
        delivery: Delivery,
        endpoint: WebhookEndpoint,
        message: WebhookMessage,
        *,
        copies: int = 0,
        fault: str | None = None,
    ) -> None:
        """POST the message (``copies`` more times for a duplicate fault), record each attempt,
        then settle: any 2xx succeeds, 410 disables the endpoint, anything else retries."""
        assert self._session is not None, "Outbox.start() was not awaited"
        statuses: list[int | None] = []
        for _ in range(copies + 1):
            now = self._clock.now()
            stamp = int(self._wall())
            headers = webhook_headers(endpoint.live_secrets(now), message.id, stamp, message.body)
            if fault == "corrupt_signature":  # well-formed, but over other bytes than were sent
                headers["webhook-signature"] = signature_header(
                    endpoint.live_secrets(now), message.id, stamp, message.body + b"\x00"
                )
            headers["Content-Type"] = "application/json"
            status: int | None = None
            error: str | None = None
            started = time.perf_counter()
            try:
                async with self._session.post(
                    endpoint.url, data=message.body, headers=headers, allow_redirects=False
                ) as response:
                    status = response.status
                    await response.read()
            except TimeoutError:
                error = f"timeout after {self.timeout:g}s"
            except aiohttp.ClientError as exc:
                error = f"{type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            number = len(delivery.attempts) + 1
            delivery.attempts.append(Attempt(number, now, stamp, status, error, elapsed, fault))
            statuses.append(status)
        if any(status is not None and 200 <= status < 300 for status in statuses):
            delivery.state = "succeeded"
            delivery.next_attempt_at = None
        elif 410 in statuses:
            delivery.state = "failed"
            delivery.next_attempt_at = None
            self.disable(endpoint.id, "endpoint answered 410 Gone")
        else:
            self._schedule_retry(delivery)
        await self._notify()

    async def _hold(self, rule_id: str, window: int, delivery: Delivery) -> None:
        """Buffer a delivery for a reorder rule; release the buffer shuffled once it is full, or
        when the virtual clock passes its first delivery's hold limit."""
        held = self._held.get(rule_id)
        if held is None:
            held = self._held[rule_id] = ([], self._clock.now() + REORDER_MAX_HOLD)
            self._spawn(self._release_at(rule_id, held), f"outbox-reorder-{rule_id}")
        buffer, due = held
        buffer.append(delivery.id)
        delivery.next_attempt_at = due  # not due now (for wait_settled) until its release
        await self._notify()
        if len(buffer) >= window:
            await self._release(rule_id, held)

    async def _release_at(self, rule_id: str, held: tuple[list[str], datetime]) -> None:
        await self._clock.sleep_until(held[1])
        await self._release(rule_id, held)

    async def _release(self, rule_id: str, held: tuple[list[str], datetime]) -> None:
        """Send the held deliveries one after another, in a seeded shuffled order."""
        if self._held.get(rule_id) is not held:
            return  # already released (full buffer and timer race), or reset
        del self._held[rule_id]
        order = list(held[0])
        self.faults.random.shuffle(order)
        for delivery_id in order:
            delivery = self._deliveries.get(delivery_id)
            if delivery is not None:
                delivery.exempt = True
                delivery.next_attempt_at = self._clock.now()
                await self._attempt(delivery_id)

    def _schedule_retry(self, delivery: Delivery) -> None:
        retry_index = len(delivery.attempts) - 1
        if retry_index >= len(self.schedule):
            delivery.state = "failed"
            delivery.next_attempt_at = None
            return
        factor = 1.0 + self._random.uniform(-self.jitter, self.jitter) if self.jitter else 1.0
        self._requeue(delivery, self._clock.now() + self.schedule[retry_index] * factor)

    def _requeue(self, delivery: Delivery, due: datetime) -> None:
        delivery.next_attempt_at = due
        self._spawn(self._requeue_at(delivery.id, due), f"outbox-retry-{delivery.id}")

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """An owned task: cancelled by reset() and stop()."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _requeue_at(self, delivery_id: str, due: datetime) -> None:
        await self._clock.sleep_until(due)
        delivery = self._deliveries.get(delivery_id)
        if delivery is not None and delivery.state == "pending":
            if delivery.next_attempt_at is not None and delivery.next_attempt_at > self._clock.now():
                # The clock was reset under us: wait again for the recorded time.
                self._spawn(
                    self._requeue_at(delivery_id, delivery.next_attempt_at), f"outbox-retry-{delivery_id}"
                )
                return
            self._queue.put_nowait(delivery_id)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def stats(self) -> dict[str, int]:
        counts = {"pending": 0, "succeeded": 0, "failed": 0, "cancelled": 0, "dropped": 0}
        attempts = 0
        for delivery in self._deliveries.values():
            counts[delivery.state] += 1
            attempts += len(delivery.attempts)
        return {**counts, "attempts": attempts, "messages": len(self._messages)}
