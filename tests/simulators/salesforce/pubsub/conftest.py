"""Fixtures for the Pub/Sub API tests: the simulator in-process with its gRPC server on
127.0.0.1:0, short keepalive/idle intervals (real time: stream keepalives are a wall-clock
protocol), and a client built from the generated stub on a default-org session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import pytest

from simulators.salesforce.app import PUBSUB
from simulators.salesforce.pubsub.server import PubSubSettings
from simulators.salesforce.pubsub.service import PubSubTimings
from tests.support.pubsub import PubSubClient
from tests.support.salesforce import SfClient

#: Keepalives after 0.2 s without events; a stream with nothing requested closes after 5 s.
FAST = PubSubTimings(keepalive=0.2, idle_timeout=5.0)


@pytest.fixture
async def sf(make_client: Callable[..., Awaitable[SfClient]]) -> SfClient:
    return await make_client(pubsub=PubSubSettings(port=0, timings=FAST))


@pytest.fixture
async def ps(sf: SfClient) -> AsyncIterator[PubSubClient]:
    server = sf.app[PUBSUB]
    async with grpc.aio.insecure_channel(server.target) as channel:
        yield PubSubClient.connect(sf, server, channel)
