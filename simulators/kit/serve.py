"""Running aiohttp apps: on a host and port (0 picks a free one, written to a port file), with a
graceful shutdown that runs every app's cleanup_ctx, so background tasks are awaited."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from contracts.http_limits import HTTP_LIMITS, HttpLimits, HttpTimeouts
from contracts.http_server import LimitedAppRunner


@dataclass
class AppSpec:
    name: str
    app: web.Application
    host: str = "127.0.0.1"
    port: int = 0
    port_file: Path | None = None
    ssl_context: ssl.SSLContext | None = None
    #: Operator time limits over the app's own ``HttpLimits`` (None: the app's).
    timeouts: HttpTimeouts | None = None


@dataclass
class RunningApp:
    name: str
    runner: web.AppRunner
    host: str
    port: int
    scheme: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def write_port_file(path: Path, port: int) -> None:
    """Atomically: a reader never sees a half-written port."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n", encoding="utf-8")
    temporary.replace(path)


async def start_app(spec: AppSpec, *, shutdown_timeout: float = 5.0) -> RunningApp:
    if spec.timeouts is not None:
        spec.app[HTTP_LIMITS] = spec.timeouts.apply(spec.app.get(HTTP_LIMITS) or HttpLimits())
    # The app's HTTP limits and dialect apply from the first byte (contracts.http_server).
    runner = LimitedAppRunner(spec.app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, spec.host, spec.port, ssl_context=spec.ssl_context, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    server = site._server  # aiohttp exposes the bound sockets only here
    assert isinstance(server, asyncio.Server)
    port = int(server.sockets[0].getsockname()[1])
    if spec.port_file is not None:
        write_port_file(spec.port_file, port)
    return RunningApp(spec.name, runner, spec.host, port, "https" if spec.ssl_context else "http")


async def stop_apps(apps: Sequence[RunningApp]) -> None:
    """Reverse start order; each runner.cleanup() runs on_shutdown and cleanup_ctx to completion."""
    for running in reversed(apps):
        await running.runner.cleanup()


async def serve(
    specs: Sequence[AppSpec],
    *,
    on_ready: Callable[[list[RunningApp]], Awaitable[None] | None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Start every app, call ``on_ready``, run until SIGINT/SIGTERM (or ``stop``), stop cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    running: list[RunningApp] = []
    try:
        for spec in specs:
            running.append(await start_app(spec))
        if on_ready is not None:
            result = on_ready(running)
            if result is not None:
                await result
        await stop.wait()
    finally:
        await stop_apps(running)
        for signum in installed:
            loop.remove_signal_handler(signum)
