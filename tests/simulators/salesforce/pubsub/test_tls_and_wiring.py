"""The Pub/Sub server over TLS from the simulator's local CA, and its wiring in the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import pytest

from contracts import defaults
from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from sandbox.config import RuntimeConfig
from sandbox.runtime import salesforce_settings
from simulators.salesforce.app import PUBSUB
from simulators.salesforce.pubsub.server import PubSubSettings
from tests.support.pubsub import PubSubClient
from tests.support.salesforce import SfClient


async def test_tls_from_the_local_ca(make_client: Callable[..., Awaitable[SfClient]], tmp_path: Path) -> None:
    sf = await make_client(pubsub=PubSubSettings(port=0, tls_state_dir=tmp_path))
    server = sf.app[PUBSUB]
    credentials = grpc.ssl_channel_credentials(root_certificates=(tmp_path / "ca.pem").read_bytes())
    async with grpc.aio.secure_channel(server.target, credentials) as channel:
        ps = PubSubClient.connect(sf, server, channel)
        topic = await ps.stub.GetTopic(
            pb.TopicRequest(topic_name="/event/Billing_Action__e"), metadata=ps.metadata
        )
    assert topic.can_publish
    async with grpc.aio.insecure_channel(server.target) as plain:  # no plaintext fallback
        ps = PubSubClient.connect(sf, server, plain)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await ps.stub.GetTopic(
                pb.TopicRequest(topic_name="/event/Billing_Action__e"), metadata=ps.metadata
            )
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize(
    ("salesforce_port", "pubsub_port", "expected"),
    [(defaults.SALESFORCE_PORT, None, defaults.PUBSUB_PORT), (0, None, 0), (0, 9999, 9999)],
)
def test_the_runtime_serves_pubsub_on_its_port(
    salesforce_port: int, pubsub_port: int | None, expected: int
) -> None:
    config = RuntimeConfig(salesforce_port=salesforce_port)
    settings = salesforce_settings(config, pubsub_port=pubsub_port)
    assert settings.pubsub is not None
    assert (settings.pubsub.port, settings.pubsub.tls_state_dir) == (expected, None)


def test_the_runtime_serves_pubsub_over_tls_with_the_simulator(tmp_path: Path) -> None:
    settings = salesforce_settings(RuntimeConfig(state_dir=tmp_path), pubsub_tls=True)
    assert settings.pubsub is not None
    assert settings.pubsub.tls_state_dir == tmp_path
