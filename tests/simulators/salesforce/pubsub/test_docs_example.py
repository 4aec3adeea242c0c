"""The Pub/Sub example in docs/salesforce.md runs as written (only its two addresses are pointed
at the in-process simulator), so the documentation stays true."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.support.pubsub import PubSubClient
from tests.support.salesforce import ROOT


def example() -> str:
    text = (ROOT / "docs" / "salesforce.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- pubsub-example -->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, "the Pub/Sub example block is missing from docs/salesforce.md"
    return match.group(1)


async def test_the_documented_client_publishes_and_subscribes(ps: PubSubClient) -> None:
    code = example()
    code = code.replace('"http://127.0.0.1:8701"', repr(str(ps.sf.client.make_url("")).rstrip("/")), 1)
    code = code.replace('"127.0.0.1:8704"', repr(ps.server.target), 1)
    printed: list[str] = []

    def run() -> None:
        scope: dict[str, Any] = {"print": lambda *args: printed.append(" ".join(map(str, args)))}
        exec(compile(code, "docs/salesforce.md", "exec"), scope)

    await asyncio.to_thread(run)  # the example is synchronous; the simulator runs in this loop
    replay_id = ps.bus.latest_replay_id("/event/Billing_Action__e")
    assert printed[0] == f"published {replay_id}"
    assert printed[1].endswith("sync 001000000000001AAA")
