"""The org's event allocations over Pub/Sub: concurrent clients and daily delivered events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import pytest

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from simulators.salesforce.app import PUBSUB
from simulators.salesforce.events.bus import EventLimits
from simulators.salesforce.models.orgs import OrgSpec
from simulators.salesforce.pubsub.errors import CLIENT_LIMIT, DELIVERY_LIMIT
from simulators.salesforce.pubsub.server import PubSubSettings
from tests.simulators.salesforce.pubsub.conftest import FAST
from tests.support.pubsub import PubSubClient, trailers
from tests.support.salesforce import SfClient
from tests.support.salesforce_live import TINY_ORG

ACCOUNTS = "/data/AccountChangeEvent"


@pytest.fixture
async def limited(make_client: Callable[..., Awaitable[SfClient]]) -> AsyncIterator[PubSubClient]:
    org = OrgSpec(event_limits=EventLimits(concurrent_clients=1, daily_delivered=2))
    sf = await make_client(orgs=(org, TINY_ORG), pubsub=PubSubSettings(port=0, timings=FAST))
    server = sf.app[PUBSUB]
    async with grpc.aio.insecure_channel(server.target) as channel:
        yield PubSubClient.connect(sf, server, channel)


async def test_a_client_over_the_concurrent_limit_is_refused(limited: PubSubClient) -> None:
    _, first = limited.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=1))
    await limited.events(first, 0)
    while not limited.server.service.streams:
        await limited.server.service.stream_changed.wait()
    _, second = limited.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=1))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await second.read()
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (raised.value.details() or "").startswith(
        "The maximum number of concurrent clients across all topics has been exceeded. rpcId: "
    )
    assert trailers(raised.value)["error-code"] == CLIENT_LIMIT
    first.cancel()


async def test_delivery_past_the_daily_allocation_ends_the_stream(limited: PubSubClient) -> None:
    for n in range(3):
        await limited.sf.json("POST", "/sobjects/Account", 201, json={"Name": f"Limit {n}"})
    requests, call = limited.subscribe(
        pb.FetchRequest(topic_name=ACCOUNTS, replay_preset=pb.EARLIEST, num_requested=1)
    )
    await limited.events(call, 1)
    limited.bus.count_delivered(1)  # another subscriber used the rest of today's allocation
    requests.send(pb.FetchRequest(num_requested=1))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call.read()
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (raised.value.details() or "").startswith(
        "You have exceeded the event delivery limit for your org."
    )
    assert trailers(raised.value)["error-code"] == DELIVERY_LIMIT
