"""The Outbound Messages sender: one worker task owned by the app's cleanup_ctx.

It configures each org's ``Outbound`` with the declarations from the YAML files (once per org
object, so again after every ``/__sim/reset``, which rebuilds the orgs after seeding), POSTs due
messages, and sleeps on the virtual clock until the next attempt falls due or the queue changes.

Why not the kit's webhook ``Outbox``: it signs Standard Webhooks, counts any 2xx a success and
keeps a fixed body; an outbound message needs ``<Ack>true</Ack>``, is rebuilt from the record's
latest data for every attempt, batches up to 100 notifications and expires after 24 h. What is
shared is the machinery underneath: the virtual clock's timers drive every retry.

A 200 without the Ack, any other status, a timeout (60 s, as Salesforce) and a connection error
are each a failed attempt. Each message is sent by its own owned task, so a hanging listener
delays nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

import aiohttp

from simulators.kit.clock import Clock
from simulators.salesforce.models.orgs import Org, Orgs
from simulators.salesforce.outbound.declarations import Declaration
from simulators.salesforce.outbound.envelope import CONTENT_TYPE, SOAP_ACTION, is_ack, render
from simulators.salesforce.outbound.queue import EXCERPT_CHARS, Batch, Outbound, Result, Schedule

log = logging.getLogger(__name__)
# With nothing due, the worker still holds a clock timer: ``Clock.reset`` (every /__sim/reset)
# wakes it, and it picks up the rebuilt orgs.
IDLE = timedelta(days=365)


class OutboundSender:
    def __init__(
        self,
        clock: Clock,
        orgs: Callable[[], Orgs],
        *,
        declarations: Sequence[Declaration] = (),
        allowed_hosts: Iterable[str] = ("127.0.0.1", "localhost", "::1"),
        schedule: Schedule | None = None,
        base_url: str,
    ) -> None:
        self._clock = clock
        self._orgs = orgs
        self.declarations = list(declarations)
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self.schedule = schedule or Schedule()
        #: Where EnterpriseUrl/PartnerUrl point: the control plane updates it from its requests.
        self.base_url = base_url
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._sessions: dict[tuple[str, str], str] = {}  # (org id, username) -> session token

    # -- configuration --------------------------------------------------------------------------

    def adopt(self, org: Org) -> Outbound:
        """The org's outbound state, configured with the file declarations on first sight."""
        outbound = org.outbound
        if outbound.on_change is None:
            outbound.on_change = self._wake.set
            outbound.schedule = self.schedule
        if not outbound.configured:
            outbound.declare(self.declarations, allowed_hosts=self.allowed_hosts)
        return outbound

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        """The worker loop (cancelled on shutdown; in-flight sends are owned and cancelled too)."""
        self._session = aiohttp.ClientSession(headers={"User-Agent": "q2c-sandbox-outbound/1"})
        # One clock timer kept while its deadline holds (a new one per wake-up would pile up in
        # the clock's heap on a frozen clock).
        timer: asyncio.Future[None] | None = None
        timer_deadline = self._clock.now()
        try:
            while True:
                self._wake.clear()
                orgs = list(self._orgs().orgs)
                for org in orgs:
                    try:
                        self.adopt(org)
                    except ValueError:  # checked at start-up; a later failure must not stop delivery
                        log.exception("outbound declarations do not fit org %s", org.id)
                now = self._clock.now()
                for org in orgs:
                    for batch in org.outbound.due(now):
                        self._spawn(org, batch)
                pending = [t for org in orgs if (t := org.outbound.next_due()) is not None]
                idle = not pending and timer is not None and not timer.done() and timer_deadline > now
                deadline = timer_deadline if idle else min(pending, default=now + IDLE)
                if timer is None or timer.done() or deadline != timer_deadline:
                    if timer is not None:
                        timer.cancel()
                    timer, timer_deadline = self._clock.timer(deadline), deadline
                woken = asyncio.ensure_future(self._wake.wait())
                waiters: list[asyncio.Future[Any]] = [timer, woken]
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woken.cancel()
        finally:
            if timer is not None:
                timer.cancel()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._session.close()
            self._session = None

    def _spawn(self, org: Org, batch: Batch) -> None:
        task = asyncio.create_task(self._send(org, batch), name=f"outbound-{batch.notifications[0].id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- one POST -------------------------------------------------------------------------------

    def _session_id(self, org: Org, username: str | None) -> str | None:
        """A real session of the declaration's user (the listener may call back with it)."""
        creds = org.users.get(username.lower()) if username else org.first_user() if org.users else None
        if creds is None:
            return None
        orgs = self._orgs()
        key = (org.id, creds.spec.username.lower())
        token = self._sessions.get(key)
        session = orgs.peek(token) if token is not None else None
        now = self._clock.now()
        if session is None or session.org is not org or now - session.last_used >= orgs.session_timeout:
            session = orgs.open_session(org, creds, None)
            self._sessions[key] = session.token
        return session.token

    async def _send(self, org: Org, batch: Batch) -> None:
        assert self._session is not None
        outbound = org.outbound
        declaration = batch.action.declaration
        session_id = self._session_id(org, declaration.user) if declaration.include_session_id else None
        header = outbound.header(batch.action, self.base_url, session_id)
        body = render(header, outbound.message(batch, header))
        at = self._clock.now()
        status: int | None = None
        error: str | None = None
        excerpt: str | None = None
        acked = False
        started = time.perf_counter()
        try:
            async with self._session.post(
                declaration.endpoint_url,
                data=body,
                headers={"Content-Type": CONTENT_TYPE, "SOAPAction": SOAP_ACTION},
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=outbound.schedule.timeout),
            ) as response:
                status = response.status
                raw = await response.read()
                excerpt = raw[:EXCERPT_CHARS].decode("utf-8", "replace")
                acked = status == 200 and is_ack(raw)
                if not acked:
                    error = "no <Ack>true</Ack> in the response" if status == 200 else f"HTTP {status}"
        except TimeoutError:
            error = f"timeout after {outbound.schedule.timeout:g}s"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug here must not leave the notifications in flight forever
            log.exception("outbound message to %s failed unexpectedly", declaration.endpoint_url)
            error = f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        outbound.settle(batch, Result(at, acked, status, error, excerpt, elapsed))
