"""The core's Salesforce event subscriptions (issue 13): CometD or Pub/Sub consumers with
durable replay positions, dispatch onto the engine, recovery, and the polling fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integration.events.transport import Transport

if TYPE_CHECKING:
    from integration.clients.salesforce import SalesforceClient
    from integration.core import CoreSettings


def event_transport(settings: CoreSettings, salesforce: SalesforceClient) -> Transport | None:
    """The transport ``settings.events.mode`` names (None: polling or nothing)."""
    mode = settings.events.mode
    if mode == "cometd":
        from integration.events.cometd import CometDTransport

        return CometDTransport(salesforce, ca_file=settings.salesforce_ca_file)
    if mode == "pubsub":
        from integration.events.pubsub import PubSubTransport

        return PubSubTransport(
            salesforce, target=settings.events.pubsub_target, ca_file=settings.salesforce_ca_file
        )
    return None
