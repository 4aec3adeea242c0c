"""Servers for tests that need a real socket (sync clients, schemathesis, subprocesses).

``running_app`` serves an aiohttp app on 127.0.0.1 port 0 in a background thread with its own
event loop, and stops it (running every cleanup_ctx) on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future

from aiohttp import web

from simulators.kit.serve import AppSpec, RunningApp, start_app, stop_apps


@contextlib.contextmanager
def running_app(
    factory: Callable[[], web.Application], *, name: str = "app", shutdown_timeout: float = 5.0
) -> Iterator[RunningApp]:
    """``shutdown_timeout``: how long the stop waits for requests still in flight (aiohttp's)."""
    loop = asyncio.new_event_loop()
    started: Future[RunningApp] = Future()
    stop = asyncio.Event()

    async def main() -> None:
        running = None
        try:
            running = await start_app(
                AppSpec(name, factory(), "127.0.0.1", 0), shutdown_timeout=shutdown_timeout
            )
            started.set_result(running)
            await stop.wait()
        except BaseException as exc:  # surface start-up failures to the test thread
            if not started.done():
                started.set_exception(exc)
            raise
        finally:
            if running is not None:
                await stop_apps([running])

    def serve() -> None:
        try:
            loop.run_until_complete(main())
        finally:
            # Requests still in flight past the shutdown timeout (a client that was SIGKILLed
            # while a latency fault held its call): cancel their handlers and let the loop run
            # their transports' close callbacks, so no socket is left for the garbage collector
            # to warn about in whatever test comes next on this worker.
            loop.run_until_complete(_cancel_the_rest())
            loop.close()

    thread = threading.Thread(target=serve, name=f"{name}-server", daemon=True)
    thread.start()
    try:
        yield started.result(timeout=30)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)


async def _cancel_the_rest() -> None:
    pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.sleep(0)  # the cancelled handlers' transports run their close callbacks
