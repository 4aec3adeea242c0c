"""The Pub/Sub API's one error type, rendered in one place (salesforce-events.md §2.7).

Every failure is a gRPC status whose description ends with ``rpcId: <id>``, plus the trailers
``error-code`` (Salesforce's ``sfdc.platform.eventbus.grpc.…`` code) and ``rpc-id``.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
CLIENT_LIMIT = "sfdc.platform.eventbus.grpc.concurrent.client.limit.exceeded"
DELIVERY_LIMIT = "sfdc.platform.eventbus.grpc.subscription.limit.exceeded"
REPLAY_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
REPLAY_VALIDATION = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed"
# Not in the readable part of Salesforce's table: as a third-party client's tests quote it [sec].
TOPIC_NOT_FOUND = "sfdc.platform.eventbus.grpc.topic.notfound"
SCHEMA_NOT_FOUND = "sfdc.platform.eventbus.grpc.schema.notfound"
TOPIC_MISMATCH = "sfdc.platform.eventbus.grpc.subscription.fetch.topic.invalid"
REQUESTED_INVALID = "sfdc.platform.eventbus.grpc.subscription.fetch.requested.events.invalid"
PUBLISH_DENIED = "sfdc.platform.eventbus.grpc.publish.permission.denied"


@dataclass
class PubSubError(Exception):
    status: grpc.StatusCode
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.status.name}: {self.message} ({self.code})"


def auth_error() -> PubSubError:
    return PubSubError(
        grpc.StatusCode.UNAUTHENTICATED,
        AUTH_ERROR,
        "An authentication exception occurred. Provide valid authentication via metadata headers.",
    )


def topic_not_found(topic: str) -> PubSubError:
    return PubSubError(grpc.StatusCode.INVALID_ARGUMENT, TOPIC_NOT_FOUND, f"Topic does not exist: {topic}")


def replay_corrupted() -> PubSubError:
    return PubSubError(grpc.StatusCode.INVALID_ARGUMENT, REPLAY_CORRUPTED, "The Replay ID validation failed.")


def replay_missing() -> PubSubError:
    return PubSubError(
        grpc.StatusCode.INVALID_ARGUMENT,
        REPLAY_VALIDATION,
        "The replay_preset field in FetchRequest is set to ReplayPreset.CUSTOM, but no Replay ID value is set.",
    )


def client_limit() -> PubSubError:
    return PubSubError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        CLIENT_LIMIT,
        "The maximum number of concurrent clients across all topics has been exceeded.",
    )


def delivery_limit() -> PubSubError:
    return PubSubError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        DELIVERY_LIMIT,
        "You have exceeded the event delivery limit for your org.",
    )


async def abort(context: grpc.aio.ServicerContext[object, object], error: PubSubError, rpc_id: str) -> None:
    """End the RPC with Salesforce's status, description and trailers (raises)."""
    context.set_trailing_metadata((("error-code", error.code), ("rpc-id", rpc_id)))
    await context.abort(error.status, f"{error.message} rpcId: {rpc_id}")
