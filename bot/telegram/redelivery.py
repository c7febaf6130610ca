"""An update that could not be handled for now and must not be lost (a payment that reached
us while the database could not be reached): nobody can send it again but Telegram.

- In webhook mode the answer is 503, and Telegram delivers the update again later.
- Long polling has no such answer: Telegram forgets an update once the next getUpdates asks
  past it. So `RetryInProcess` tries it again here, with backoff, until it goes through; one
  still waiting when the process stops is logged as an error with what a person must apply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0

T = TypeVar("T")


class Redeliver(Exception):
    """Not handled, and must not be lost; the message says what it was and why."""


class RetryInProcess:
    """Polling mode's way to handle an update: each try goes through the de-dup gate again
    (a payment's update always passes)."""

    def __init__(
        self, first_delay: float = FIRST_DELAY_SECONDS, max_delay: float = MAX_DELAY_SECONDS
    ) -> None:
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._waiting: set[asyncio.Task[Any]] = set()

    async def run(self, update_id: int, handle: Callable[[], Awaitable[T]]) -> T:
        delay = self.first_delay
        while True:
            try:
                return await handle()
            except Redeliver as e:
                reason = e
            log.warning("telegram update %s: %s; again in %.1fs", update_id, reason, delay)
            task = asyncio.current_task()
            assert task is not None
            self._waiting.add(task)
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                log.error(
                    "telegram update %s not applied before shutdown, and polling cannot get it "
                    "again: %s. Apply it by hand.",
                    update_id,
                    reason,
                )
                raise
            finally:
                self._waiting.discard(task)
            delay = min(delay * 2, self.max_delay)

    async def give_up(self) -> None:
        """At shutdown: stop waiting (each one left is logged as not applied)."""
        waiting = list(self._waiting)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
