"""The worker loop: take the bot's lock, start due broadcasts, send every one that is
sending, release; then sleep until woken by the queue or the next poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.broadcast.lock import SenderLock
from store.community.broadcasts import BroadcastService
from store.community.delivery import DeliveryEngine

log = logging.getLogger(__name__)


class BroadcastWorker:
    def __init__(
        self,
        broadcasts: BroadcastService,
        engine: DeliveryEngine,
        lock: SenderLock,
        poll_seconds: float,
    ) -> None:
        self.broadcasts = broadcasts
        self.engine = engine
        self.lock = lock
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await self.lock.acquire():
                    try:
                        await self._drain(stop)
                    finally:
                        await self.lock.release()
            except Exception:  # the database or Redis went away: try again at the next poll
                log.exception("broadcast worker: a round failed; retrying")
            await self._sleep(stop)

    async def _drain(self, stop: asyncio.Event) -> None:
        def keep_going() -> bool:
            return self.lock.held and not stop.is_set()

        while keep_going():
            self._wake.clear()
            await self.broadcasts.start_due()
            ids = await self.broadcasts.sending()
            if not ids:
                return
            for bid in ids:
                if not keep_going():
                    return
                report = await self.engine.run(bid, keep_going)
                log.info("broadcast %s: %s", bid, report)

    async def _sleep(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waiters:
                w.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await w
