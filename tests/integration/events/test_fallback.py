"""Polling stays the fallback: an org without the Streaming API makes the core poll for link
requests (and say so in its metrics and status)."""

from pathlib import Path

import aiohttp

from tests.support.core_events import consumer, customer, event_sandbox


async def test_an_org_without_the_streaming_api_falls_back_to_polling(tmp_path: Path) -> None:
    async with event_sandbox(tmp_path, "cometd", poll_interval=0.05) as sandbox:
        events = consumer(sandbox)
        await events.stop()
        fault = {"path": "/cometd/*", "effect": {"type": "status", "status": 404}}
        async with aiohttp.ClientSession() as session:
            answer = await session.post(sandbox.system.url("salesforce") + "/__sim/faults", json=fault)
            assert answer.status == 201
        await events.start()
        created = await sandbox.crm_user.create("Account", [customer(1)])
        account = str(created[0].id)

        polls = events.polls
        assert await events.wait_polls(polls + 2, 30)  # a whole poll after the account existed
        core = sandbox.system.core
        assert await core.engine.wait_idle(30)
        assert list(await core.store.xref.get_many([account])) == [account]
        assert events.polling
        assert not events.connected
        assert core.metrics.events_fallback._value.get() == 1
        status = await sandbox.core("GET", "/actions/status", expect=200)
        assert status["events"]["polling_fallback"] is True
        assert status["events"]["mode"] == "cometd"
