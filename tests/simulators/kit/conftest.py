"""A tiny simulator built on the kit alone, so kit tests do not depend on either real simulator."""

import pytest
from aiohttp import web

from tests.support.tiny_sim import build


@pytest.fixture
def tiny_app() -> web.Application:
    return build()
