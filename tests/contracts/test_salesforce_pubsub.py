"""The Pub/Sub API stubs are exactly what grpcio-tools and mypy-protobuf make from Salesforce's
published ``pubsub_api.proto``, and that proto is checked in unmodified."""

from __future__ import annotations

import hashlib
from pathlib import Path

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from contracts.salesforce_pubsub.generate import GENERATED, HERE, PROTO, PROTO_SHA256, generate


def test_the_proto_is_salesforces_unmodified() -> None:
    assert hashlib.sha256(PROTO.read_bytes()).hexdigest() == PROTO_SHA256


def test_regenerating_the_stubs_yields_the_checked_in_files(tmp_path: Path) -> None:
    generate(tmp_path)
    stale = [name for name in GENERATED if (tmp_path / name).read_bytes() != (HERE / name).read_bytes()]
    assert not stale, (
        f"{stale} are stale or edited by hand: run `python -m contracts.salesforce_pubsub.generate`"
    )


def test_the_service_is_salesforces() -> None:
    service = pb.DESCRIPTOR.services_by_name["PubSub"]
    assert service.full_name == "eventbus.v1.PubSub"
    assert [m.name for m in service.methods] == [
        "Subscribe",
        "GetSchema",
        "GetTopic",
        "Publish",
        "PublishStream",
        "ManagedSubscribe",
    ]
