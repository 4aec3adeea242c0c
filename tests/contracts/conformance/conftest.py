"""A fresh billing simulator per test, on a free loopback port in a background thread, and a way to
run ``q2c verify`` against it (directly, or through a broken adapter in front of it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simulators.billing.app import create_app
from tests.support.conformance import (
    SIM_SETTINGS,
)
from tests.support.servers import running_app

from .adapters import Adapter


@pytest.fixture
def billing_url() -> Iterator[str]:
    with running_app(lambda: create_app(SIM_SETTINGS), name="billing") as billing:
        yield billing.url


@pytest.fixture
def proxied(billing_url: str) -> Callable[[type[Adapter]], Any]:
    """Start an adapter class in front of the simulator: ``with proxied(Broken) as url: ...``."""
    import contextlib

    @contextlib.contextmanager
    def start(kind: type[Adapter]) -> Iterator[str]:
        adapter = kind(billing_url)
        with running_app(adapter.app, name=f"adapter-{adapter.name}") as running:
            yield running.url

    return start
