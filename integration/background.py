"""The core's background loops: restarted when they fail (never silently dead), and paced."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("integration")


async def guarded(name: str, loop: Callable[[], Awaitable[None]]) -> None:
    """Run ``loop`` until it returns; an error is logged and the loop restarted a second later."""
    while True:
        try:
            await loop()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("core %s failed; restarting it", name)
            await pause(1.0)


async def pause(seconds: float) -> None:
    """A loop's interval or backoff (a schedule, not a wait for state)."""
    await asyncio.sleep(seconds)
