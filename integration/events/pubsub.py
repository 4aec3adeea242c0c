"""The Pub/Sub API (gRPC) transport, with the stubs generated from Salesforce's
``pubsub_api.proto`` (``contracts.salesforce_pubsub``).

- One ``Subscribe`` stream per channel. Flow control as the API asks: ask for ``FLOW`` events,
  and ask again once the server reports nothing pending (``pending_num_requested == 0``); empty
  keepalive responses are skipped.
- Where to start: the core's stored position (CUSTOM with the 8-byte big-endian replay id),
  EARLIEST when nothing is stored yet, LATEST when new events only.
- Payloads are Avro (``fastavro``, the writer schema from ``GetSchema``, cached by id); a change
  event's ``changedFields`` bitmap is decoded back to field names, and only the changed fields
  are kept (CometD's encoding: one shape for the dispatcher).
- ``...replayid.corrupted`` / ``...validation.failed`` are ``ReplayExpired``;
  ``...topic.notfound`` is ``EventsUnavailable``.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import fastavro
import grpc

from contracts import defaults
from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from contracts.salesforce_pubsub.pubsub_api_pb2_grpc import PubSubStub

if TYPE_CHECKING:
    from contracts.salesforce_pubsub.pubsub_api_pb2_grpc import PubSubAsyncStub
from integration.clients.salesforce import SalesforceClient
from integration.events.model import ChannelEvent, flatten_address
from integration.events.transport import EventsUnavailable, ReplayExpired, ReplayFor, Transport

log = logging.getLogger(__name__)

FLOW = 100  # the most the API lets a subscriber have outstanding
_END = object()


def encode_replay_id(replay_id: int) -> bytes:
    return replay_id.to_bytes(8, "big")


def decode_replay_id(raw: bytes) -> int:
    return int.from_bytes(raw, "big") if raw else 0


class PubSubTransport(Transport):
    name = "pubsub"

    def __init__(
        self, salesforce: SalesforceClient, *, target: str | None = None, ca_file: str | None = None
    ) -> None:
        self._salesforce = salesforce
        self._target = target
        self._ca_file = ca_file
        self._schemas: dict[str, Any] = {}
        self._channel: grpc.aio.Channel | None = None
        self._refresh = False

    async def _metadata(self, refresh: bool = False) -> tuple[tuple[str, str], ...]:
        instance_url, token = await self._salesforce.access(refresh=refresh)
        return (
            ("accesstoken", token),
            ("instanceurl", instance_url),
            ("tenantid", await self._salesforce.org_id()),
        )

    async def _stub(self) -> PubSubAsyncStub:
        if self._channel is None:
            instance_url, _ = await self._salesforce.access()
            url = urlsplit(instance_url)
            target = self._target or f"{url.hostname}:{defaults.PUBSUB_PORT}"
            if url.scheme == "https" or self._ca_file:
                roots = await asyncio.to_thread(Path(self._ca_file).read_bytes) if self._ca_file else None
                self._channel = grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(roots))
            else:
                self._channel = grpc.aio.insecure_channel(target)
        return PubSubStub(self._channel)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def batches(
        self, channels: Sequence[str], replay_for: ReplayFor
    ) -> AsyncIterator[list[ChannelEvent]]:
        stub = await self._stub()
        metadata = await self._metadata(refresh=self._refresh)
        self._refresh = False
        out: asyncio.Queue[Any] = asyncio.Queue(maxsize=len(channels) * 2)
        tasks = [
            asyncio.create_task(
                self._pump(stub, metadata, channel, replay_for, out), name=f"pubsub-{channel}"
            )
            for channel in channels
        ]
        try:
            while True:
                item = await out.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pump(
        self,
        stub: PubSubAsyncStub,
        metadata: tuple[tuple[str, str], ...],
        channel: str,
        replay_for: ReplayFor,
        out: asyncio.Queue[Any],
    ) -> None:
        """One channel's Subscribe stream -> batches on ``out`` (an error ends it, on ``out``)."""
        try:
            replay = await replay_for(channel)
            first = pb.FetchRequest(topic_name=channel, num_requested=FLOW)
            if replay is None or replay == -1:
                first.replay_preset = pb.ReplayPreset.LATEST
            elif replay == -2:
                first.replay_preset = pb.ReplayPreset.EARLIEST
            else:
                first.replay_preset = pb.ReplayPreset.CUSTOM
                first.replay_id = encode_replay_id(replay)
            requests: asyncio.Queue[pb.FetchRequest | object] = asyncio.Queue()
            requests.put_nowait(first)

            async def fetches() -> AsyncIterator[pb.FetchRequest]:
                while (request := await requests.get()) is not _END:
                    assert isinstance(request, pb.FetchRequest)
                    yield request

            call = stub.Subscribe(fetches(), metadata=metadata)
            try:
                first_response = True
                async for response in call:
                    if first_response:  # the stream is up: the consumer counts itself connected
                        first_response = False
                        await out.put([])
                    if response.pending_num_requested == 0:
                        requests.put_nowait(pb.FetchRequest(num_requested=FLOW))
                    if not response.events:
                        continue  # a keepalive
                    now = time.time()
                    batch = [await self._event(stub, metadata, channel, e, now) for e in response.events]
                    await out.put(batch)
            finally:
                requests.put_nowait(_END)  # ends the request stream before the call goes
                call.cancel()
            raise ConnectionError(f"the Pub/Sub stream for {channel} ended")
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                self._refresh = True  # the next subscription takes a fresh token
            await out.put(_translate(exc, channel))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await out.put(exc)

    async def _schema(
        self, stub: PubSubAsyncStub, metadata: tuple[tuple[str, str], ...], schema_id: str
    ) -> Any:
        if schema_id not in self._schemas:
            info = await stub.GetSchema(pb.SchemaRequest(schema_id=schema_id), metadata=metadata)
            self._schemas[schema_id] = fastavro.parse_schema(json.loads(info.schema_json))
        return self._schemas[schema_id]

    async def _event(
        self,
        stub: PubSubAsyncStub,
        metadata: tuple[tuple[str, str], ...],
        channel: str,
        consumed: pb.ConsumerEvent,
        now: float,
    ) -> ChannelEvent:
        schema = await self._schema(stub, metadata, consumed.event.schema_id)
        record: dict[str, Any] = fastavro.schemaless_reader(io.BytesIO(consumed.event.payload), schema)  # type: ignore[assignment]
        return to_event(channel, decode_replay_id(consumed.replay_id), record, schema, now)


def to_event(
    channel: str, replay_id: int, record: Mapping[str, Any], schema: Any, now: float
) -> ChannelEvent:
    """An Avro record -> the dispatcher's shape (changed fields only, names for the bitmaps)."""
    header = record.get("ChangeEventHeader")
    if header is None:
        created = record.get("CreatedDate")
        fields = {k: v for k, v in record.items() if k not in ("CreatedDate", "CreatedById")}
        return ChannelEvent(
            channel,
            replay_id,
            fields,
            None,
            event_uuid=_str(record.get("EventUuid")),
            created_at=_iso(created),
            received_at=now,
        )
    names = [f["name"] for f in schema["fields"]]
    changed = bitmap_names(header.get("changedFields") or [], schema)
    nulled = bitmap_names(header.get("nulledFields") or [], schema)
    kind = str(header.get("changeType") or "")
    if kind == "UPDATE":
        fields = {n: record.get(n) for n in names if n in changed or n in nulled}
    else:
        fields = {n: v for n in names if n != "ChangeEventHeader" and (v := record.get(n)) is not None}
    plain = {**header, "changedFields": sorted(changed), "nulledFields": sorted(nulled)}
    return ChannelEvent(
        channel,
        replay_id,
        flatten_address(fields),
        plain,
        event_uuid=None,
        created_at=_iso(header.get("commitTimestamp")),
        received_at=now,
    )


def bitmap_names(bitmaps: Sequence[str], schema: Any) -> set[str]:
    """Field names of a Pub/Sub bitmap: ``0x<HEX>`` over the top-level fields (LSB = field 0),
    ``<pos>-0x<HEX>`` over the children of the compound field at ``pos`` (reported as the
    field's own names, ``BillingAddress`` -> ``BillingStreet`` ...)."""
    fields = schema["fields"]
    names: set[str] = set()
    for item in bitmaps:
        parent, _, hexa = item.rpartition("-")
        bits = int(hexa, 16)
        if not parent:
            names |= {fields[i]["name"] for i in range(len(fields)) if bits >> i & 1}
            continue
        compound = fields[int(parent)]
        children = _record_fields(compound["type"])
        prefix = compound["name"].removesuffix("Address")
        names |= {prefix + children[i]["name"] for i in range(len(children)) if bits >> i & 1}
    return names


def _record_fields(avro_type: Any) -> list[dict[str, Any]]:
    for option in avro_type if isinstance(avro_type, list) else [avro_type]:
        if isinstance(option, dict) and option.get("type") == "record":
            return list(option["fields"])
    return []


def _iso(value: Any) -> str | None:
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC).isoformat(timespec="milliseconds")
    return _str(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _translate(exc: grpc.aio.AioRpcError, channel: str) -> Exception:
    trailers = dict(exc.trailing_metadata() or ())
    code = str(trailers.get("error-code") or "")
    if "replayid" in code:
        return ReplayExpired(channel, f"{code}: {exc.details()}")
    if code.endswith("topic.notfound"):
        return EventsUnavailable(f"Pub/Sub: {exc.details()}")
    return exc
