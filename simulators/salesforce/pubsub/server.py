"""The Pub/Sub API's gRPC server (``grpc.aio``), run in the Salesforce simulator's event loop.

The simulator app owns one ``PubSubServer`` (under an AppKey) and starts and stops it in its
``cleanup_ctx``; ``port`` is the bound port once started (port 0 binds a free one). With TLS the
leaf certificate comes from the same local CA as the simulator's HTTPS (``.q2c/ca.pem``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import grpc

from contracts import defaults
from contracts.salesforce_pubsub.pubsub_api_pb2_grpc import add_PubSubServicer_to_server
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.pubsub.service import PubSubService, PubSubTimings
from simulators.salesforce.tls import LOOPBACK_NAMES, local_ca

#: A grace period for open streams on shutdown (Subscribe streams never end by themselves).
STOP_GRACE = 1.0


@dataclass(frozen=True)
class PubSubSettings:
    host: str = defaults.DEFAULT_HOST
    port: int = defaults.PUBSUB_PORT
    #: Serve TLS from the local CA under this state directory (None: plaintext).
    tls_state_dir: Path | None = None
    timings: PubSubTimings = field(default_factory=PubSubTimings)


def tls_credentials(state_dir: Path) -> grpc.ServerCredentials:
    """A loopback leaf certificate from the local CA, as the HTTPS side uses."""
    leaf = local_ca(state_dir).issue_cert(*LOOPBACK_NAMES)
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    return grpc.ssl_server_credentials([(leaf.private_key_pem.bytes(), chain)])


class PubSubServer:
    def __init__(self, state: SalesforceState, settings: PubSubSettings, *, seed: int = 0) -> None:
        self.settings = settings
        self.service = PubSubService(state, settings.timings, seed=seed)
        self._server: grpc.aio.Server | None = None
        self.port: int | None = None

    @property
    def target(self) -> str:
        """``host:port`` for a client channel (after start)."""
        return f"{self.settings.host}:{self.port}"

    async def start(self) -> None:
        server = grpc.aio.server()
        add_PubSubServicer_to_server(self.service, server)
        address = f"{self.settings.host}:{self.settings.port}"
        if self.settings.tls_state_dir is not None:
            self.port = server.add_secure_port(address, tls_credentials(self.settings.tls_state_dir))
        else:
            self.port = server.add_insecure_port(address)
        await server.start()
        self._server = server

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(STOP_GRACE)
            self._server = None
