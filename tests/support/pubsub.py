"""A Pub/Sub API client for tests: the stub generated from Salesforce's proto, used unchanged, on a
grpc.aio channel to the simulator's Pub/Sub server, with the auth metadata Salesforce's samples send.

The bitmap decoder below is written the way Salesforce's Python sample util reads them
(``ChangeEventHeaderUtility.process_bitmap``: the hex as a bit string, reversed, indexing the
schema's fields), independently of the server's encoder.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import fastavro
import grpc

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from contracts.salesforce_pubsub.pubsub_api_pb2_grpc import PubSubStub
from simulators.salesforce.events.bus import EventBus
from simulators.salesforce.pubsub.server import PubSubServer
from tests.support.salesforce import SfClient, oauth_token

if TYPE_CHECKING:  # the typed async stub exists in mypy-protobuf's stubs only
    from contracts.salesforce_pubsub.pubsub_api_pb2_grpc import PubSubAsyncStub


def replay_bytes(replay_id: int) -> bytes:
    return replay_id.to_bytes(8, "big")


def replay_int(raw: bytes) -> int:
    assert len(raw) == 8, raw
    return int.from_bytes(raw, "big")


class Requests:
    """The request side of a bidi stream: ``send`` a message, ``close`` to half-close."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    def send(self, message: Any) -> None:
        self._queue.put_nowait(message)

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[Any]:
        while (message := await self._queue.get()) is not None:
            yield message


@dataclass
class PubSubClient:
    sf: SfClient
    server: PubSubServer
    channel: grpc.aio.Channel
    stub: PubSubAsyncStub
    metadata: tuple[tuple[str, str], ...]
    _schemas: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def connect(cls, sf: SfClient, server: PubSubServer, channel: grpc.aio.Channel) -> PubSubClient:
        org = sf.state.default_org()
        metadata = (
            ("accesstoken", sf.token),
            ("instanceurl", str(sf.client.make_url("")).rstrip("/")),
            ("tenantid", org.id),
        )
        return cls(sf, server, channel, PubSubStub(channel), metadata)

    async def login(self) -> PubSubClient:
        """The same client on a fresh session (after the virtual clock expired the old one)."""
        sf = dataclasses.replace(self.sf, token=await oauth_token(self.sf.client))
        return PubSubClient.connect(sf, self.server, self.channel)

    @property
    def bus(self) -> EventBus:
        return self.sf.state.default_org().events

    async def schema(self, schema_id: str) -> Any:
        if schema_id not in self._schemas:
            info = await self.stub.GetSchema(pb.SchemaRequest(schema_id=schema_id), metadata=self.metadata)
            self._schemas[schema_id] = fastavro.parse_schema(json.loads(info.schema_json))
        return self._schemas[schema_id]

    async def decode(self, event: pb.ConsumerEvent) -> dict[str, Any]:
        parsed = await self.schema(event.event.schema_id)
        value = fastavro.schemaless_reader(io.BytesIO(event.event.payload), parsed, None)
        assert isinstance(value, dict)
        return value

    async def encode(self, schema_id: str, record: dict[str, Any]) -> bytes:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, await self.schema(schema_id), record)
        return out.getvalue()

    def subscribe(self, first: pb.FetchRequest) -> tuple[Requests, Any]:
        requests = Requests()
        requests.send(first)
        return requests, self.stub.Subscribe(requests, metadata=self.metadata)  # type: ignore[arg-type]

    async def events(self, call: Any, count: int) -> list[pb.ConsumerEvent]:
        """Read responses until ``count`` events arrived (keepalives skipped)."""
        events: list[pb.ConsumerEvent] = []
        while len(events) < count:
            response = await call.read()
            assert response is not grpc.aio.EOF, f"stream ended after {len(events)} of {count} events"
            events.extend(response.events)
        return events


def decode_bitmap(schema: dict[str, Any], bitmaps: Sequence[str]) -> list[str]:
    """Field names from Salesforce's bitmap strings, as the official util decodes them."""

    def names(fields: Sequence[dict[str, Any]], hex_value: str) -> list[str]:
        bits = bin(int(hex_value, 16))[2:][::-1]
        return [fields[i]["name"] for i, bit in enumerate(bits) if bit == "1"]

    out: list[str] = []
    top = schema["fields"]
    for index, bitmap in enumerate(bitmaps):
        if index == 0:
            out.extend(names(top, bitmap))
            continue
        parent_pos, _, hex_value = bitmap.partition("-")
        parent = top[int(parent_pos)]
        record = next(t for t in parent["type"] if isinstance(t, dict))
        out.extend(f"{parent['name']}.{child}" for child in names(record["fields"], hex_value))
    return out


def trailers(error: grpc.aio.AioRpcError) -> dict[str, str]:
    return {key: str(value) for key, value in (error.trailing_metadata() or ())}
