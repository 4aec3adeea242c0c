"""The Pub/Sub API servicer (``eventbus.v1.PubSub``) over the org's event bus.

Handlers authenticate, translate proto to the bus and back, and render failures through
``errors.abort``; the rules (channels, replay, retention, limits) are the bus's. A Subscribe
stream holds a bus ``Subscription`` (a position) and at most ``MAX_REQUESTED`` requested events:
a client that stops asking, or stops reading, costs the server nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import grpc

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from contracts.salesforce_pubsub.pubsub_api_pb2_grpc import PubSubServicer
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.events.bus import (
    ALL_EVENTS,
    NEW_EVENTS,
    BusEvent,
    DeliveryLimitExceeded,
    EventBus,
    InvalidReplay,
    Subscription,
    TooManyClients,
    UnknownChannel,
)
from simulators.salesforce.models.orgs import Session
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.pubsub import errors
from simulators.salesforce.pubsub.avro import change_record, encode, platform_event_record
from simulators.salesforce.pubsub.errors import PubSubError
from simulators.salesforce.pubsub.publish import publish_batch
from simulators.salesforce.pubsub.schemas import SchemaRegistry

Context = grpc.aio.ServicerContext[Any, Any]
#: At most this many events outstanding per Subscribe stream, whatever the client asks (§2.3).
MAX_REQUESTED = 100


def encode_replay_id(replay_id: int) -> bytes:
    """Replay ids on the wire: 8-byte big-endian unsigned (the npm client's ``readBigUInt64BE``)."""
    return replay_id.to_bytes(8, "big")


def decode_replay_id(raw: bytes) -> int:
    if len(raw) != 8:
        raise errors.replay_corrupted()
    return int.from_bytes(raw, "big")


@dataclass(frozen=True)
class PubSubTimings:
    """Real-time intervals of a stream (tests shorten them)."""

    #: An empty FetchResponse with latest_replay_id after this long without events (Salesforce: 270 s).
    keepalive: float = 270.0
    #: A stream with nothing requested closes after this long without a FetchRequest (60 s).
    idle_timeout: float = 60.0


@dataclass(eq=False)
class StreamStats:
    """One open Subscribe stream, observable (tests, diagnostics): what it holds is bounded."""

    channel: str
    pending: int
    delivered: int = 0
    position: int = 0


class PubSubService(PubSubServicer):
    def __init__(self, state: SalesforceState, timings: PubSubTimings, *, seed: int = 0) -> None:
        self._state = state
        self.timings = timings
        self._random = random.Random(f"salesforce-pubsub-{seed}")
        self.schemas = SchemaRegistry(state.schema)
        self.streams: set[StreamStats] = set()  # identity-hashed: one per open Subscribe
        self.stream_changed = asyncio.Event()

    def _rpc_id(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _session(self, context: Context) -> Session:
        """The caller's session from the ``accesstoken``/``instanceurl``/``tenantid`` metadata."""
        metadata: Mapping[str, Any] = dict(context.invocation_metadata() or ())
        token, instance, tenant = (metadata.get(key) for key in ("accesstoken", "instanceurl", "tenantid"))
        if not (isinstance(token, str) and isinstance(instance, str) and isinstance(tenant, str)):
            raise errors.auth_error()
        url = urlsplit(instance)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise errors.auth_error()
        try:
            session = self._state.orgs.authenticate(token)
        except SalesforceError:
            raise errors.auth_error() from None
        if tenant not in (session.org.id, session.org.id[:15]):
            raise errors.auth_error()
        return session

    # -- unary RPCs -------------------------------------------------------------------------------

    async def GetTopic(self, request: pb.TopicRequest, context: Context) -> pb.TopicInfo:
        rpc_id = self._rpc_id()
        try:
            session = self._session(context)
            bus: EventBus = session.org.events
            if not bus.channel_exists(request.topic_name):
                raise errors.topic_not_found(request.topic_name)
            schema = self.schemas.for_event(bus.event_name(request.topic_name))
            return pb.TopicInfo(
                topic_name=request.topic_name,
                tenant_guid=session.org.id,
                can_publish=request.topic_name.startswith("/event/"),
                can_subscribe=True,
                # /data/ChangeEvents mixes entities: each event carries its own schema id.
                schema_id=schema.schema_id if schema is not None else "",
                rpc_id=rpc_id,
            )
        except PubSubError as error:
            await errors.abort(context, error, rpc_id)
            raise

    async def GetSchema(self, request: pb.SchemaRequest, context: Context) -> pb.SchemaInfo:
        rpc_id = self._rpc_id()
        try:
            self._session(context)
            schema = self.schemas.by_id(request.schema_id)
            if schema is None:
                raise PubSubError(
                    grpc.StatusCode.NOT_FOUND,
                    errors.SCHEMA_NOT_FOUND,
                    f"Schema not found: {request.schema_id}",
                )
            return pb.SchemaInfo(schema_json=schema.json, schema_id=schema.schema_id, rpc_id=rpc_id)
        except PubSubError as error:
            await errors.abort(context, error, rpc_id)
            raise

    async def Publish(self, request: pb.PublishRequest, context: Context) -> pb.PublishResponse:
        rpc_id = self._rpc_id()
        try:
            session = self._session(context)
            return publish_batch(session, self.schemas, request, request.topic_name, rpc_id)
        except PubSubError as error:
            await errors.abort(context, error, rpc_id)
            raise

    # -- streams ----------------------------------------------------------------------------------

    async def PublishStream(
        self, request_iterator: AsyncIterator[pb.PublishRequest], context: Context
    ) -> AsyncIterator[pb.PublishResponse]:
        rpc_id = self._rpc_id()
        try:
            session = self._session(context)
            bus: EventBus = session.org.events
            try:
                bus.client_connected()
            except TooManyClients:
                raise errors.client_limit() from None
            try:
                topic: str | None = None
                async for request in request_iterator:
                    if topic is None:
                        topic = request.topic_name
                    elif request.topic_name and request.topic_name != topic:
                        raise _topic_changed(topic, request.topic_name)
                    yield publish_batch(session, self.schemas, request, topic, self._rpc_id())
            finally:
                bus.client_disconnected()
        except PubSubError as error:
            await errors.abort(context, error, rpc_id)

    async def Subscribe(
        self, request_iterator: AsyncIterator[pb.FetchRequest], context: Context
    ) -> AsyncIterator[pb.FetchResponse]:
        rpc_id = self._rpc_id()
        try:
            session = self._session(context)
            first = await anext(request_iterator, None)
            if first is None:
                return
            bus: EventBus = session.org.events
            channel = first.topic_name
            try:
                subscription = bus.subscribe(channel, _start(first))
            except UnknownChannel:
                raise errors.topic_not_found(channel) from None
            except InvalidReplay:
                raise errors.replay_corrupted() from None
            try:
                bus.client_connected()
            except TooManyClients:
                subscription.close()
                raise errors.client_limit() from None
            stats = StreamStats(channel, _requested(first, 0), position=subscription.position)
            self._track(stats, add=True)
            try:
                stream = _SubscribeStream(self, bus, subscription, stats, rpc_id)
                async for response in stream.run(request_iterator):
                    yield response
            finally:
                subscription.close()
                bus.client_disconnected()
                self._track(stats, add=False)
        except PubSubError as error:
            await errors.abort(context, error, rpc_id)

    async def ManagedSubscribe(
        self, request_iterator: AsyncIterator[pb.ManagedFetchRequest], context: Context
    ) -> AsyncIterator[pb.ManagedFetchResponse]:
        """Beta in Salesforce, not simulated: a clear UNIMPLEMENTED rather than a hang."""
        rpc_id = self._rpc_id()
        nothing: tuple[pb.ManagedFetchResponse, ...] = ()
        for response in nothing:  # an async generator, as the stream handler must be; yields nothing
            yield response
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"ManagedSubscribe (beta) is not supported by this simulator; use Subscribe. rpcId: {rpc_id}",
        )

    def _track(self, stats: StreamStats, *, add: bool) -> None:
        if add:
            self.streams.add(stats)
        else:
            self.streams.discard(stats)
        self.notify()

    def notify(self) -> None:
        """Wake whoever waits on ``stream_changed`` (tests observe delivery without sleeping)."""
        self.stream_changed.set()
        self.stream_changed = asyncio.Event()

    def consumer_event(self, event: BusEvent) -> pb.ConsumerEvent:
        schema = self.schemas.for_event(event.event_name)
        if schema is None:  # the type was removed from the schema since: nothing to encode with
            raise PubSubError(
                grpc.StatusCode.INTERNAL, errors.SCHEMA_NOT_FOUND, f"No schema for {event.event_name}"
            )
        record = (
            change_record(event, schema) if event.is_change_event else platform_event_record(event, schema)
        )
        return pb.ConsumerEvent(
            event=pb.ProducerEvent(
                id=event.event_uuid, schema_id=schema.schema_id, payload=encode(record, schema.parsed)
            ),
            replay_id=encode_replay_id(event.replay_id),
        )


def _start(first: pb.FetchRequest) -> int:
    """The bus's replay argument for the first FetchRequest's preset."""
    if first.replay_preset == pb.EARLIEST:
        return ALL_EVENTS
    if first.replay_preset == pb.CUSTOM:
        if not first.replay_id:
            raise errors.replay_missing()
        return decode_replay_id(first.replay_id)
    return NEW_EVENTS


def _requested(request: pb.FetchRequest, pending: int) -> int:
    if request.num_requested < 0:
        raise PubSubError(
            grpc.StatusCode.INVALID_ARGUMENT,
            errors.REQUESTED_INVALID,
            "The requested number of events in a fetch request must be greater than zero.",
        )
    return min(pending + request.num_requested, MAX_REQUESTED)


def _topic_changed(topic: str, other: str) -> PubSubError:
    return PubSubError(
        grpc.StatusCode.INVALID_ARGUMENT,
        errors.TOPIC_MISMATCH,
        f"The topic name {other} doesn't match the stream's topic {topic}.",
    )


class _SubscribeStream:
    """Delivery for one Subscribe: requests are read in a task, events written as requested."""

    def __init__(
        self,
        service: PubSubService,
        bus: EventBus,
        subscription: Subscription,
        stats: StreamStats,
        rpc_id: str,
    ) -> None:
        self._service = service
        self._bus = bus
        self._subscription = subscription
        self.stats = stats
        self._rpc_id = rpc_id
        self._refill = asyncio.Event()

    async def _read(self, requests: AsyncIterator[pb.FetchRequest]) -> None:
        async for request in requests:
            if request.topic_name and request.topic_name != self.stats.channel:
                raise _topic_changed(self.stats.channel, request.topic_name)
            self.stats.pending = _requested(request, self.stats.pending)
            self._refill.set()

    async def run(self, requests: AsyncIterator[pb.FetchRequest]) -> AsyncIterator[pb.FetchResponse]:
        reader = asyncio.create_task(self._read(requests), name="pubsub-subscribe-reader")
        timings = self._service.timings
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timings.keepalive
        try:
            while True:
                if reader.done() and reader.exception() is not None:
                    raise reader.exception()  # type: ignore[misc]
                if self.stats.pending == 0:
                    self._refill.clear()
                    if await self._until(self._refill.wait(), reader, timings.idle_timeout):
                        continue
                    if reader.done() and reader.exception() is not None:
                        continue  # raised above
                    return  # nothing requested for idle_timeout: Salesforce closes the stream
                try:
                    self._bus.check_delivery()
                except DeliveryLimitExceeded:
                    raise errors.delivery_limit() from None
                events = self._subscription.take(self.stats.pending)
                if events:
                    yield self._batch(events)
                    deadline = loop.time() + timings.keepalive
                    continue
                remaining = deadline - loop.time()
                if remaining > 0 and await self._until(self._subscription.wait(remaining), reader, remaining):
                    continue  # events may be there now
                if loop.time() >= deadline:
                    yield self._keepalive()
                    deadline = loop.time() + timings.keepalive
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, PubSubError, grpc.RpcError):
                await reader

    async def _until(self, waiting: Any, reader: asyncio.Task[None], timeout: float) -> bool:
        """Await ``waiting`` (True when it completed truthy) unless the reader fails first."""
        task = asyncio.ensure_future(waiting)
        watch = {task} if reader.done() else {task, reader}
        done, _ = await asyncio.wait(watch, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task not in done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return False
        return task.result() is not False

    def _batch(self, events: list[BusEvent]) -> pb.FetchResponse:
        n = len(events)
        self.stats.pending -= n
        self.stats.delivered += n
        self.stats.position = events[-1].replay_id
        self._bus.count_delivered(n)
        response = pb.FetchResponse(
            events=[self._service.consumer_event(event) for event in events],
            latest_replay_id=encode_replay_id(events[-1].replay_id),
            rpc_id=self._rpc_id,
            pending_num_requested=self.stats.pending,
        )
        self._service.notify()
        return response

    def _keepalive(self) -> pb.FetchResponse:
        return pb.FetchResponse(
            latest_replay_id=encode_replay_id(self._bus.latest_replay_id(self.stats.channel)),
            rpc_id=self._rpc_id,
            pending_num_requested=self.stats.pending,
        )
