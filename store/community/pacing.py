"""Pacing to a platform's limits: a rate per bot, a minimum gap per chat, a cap per group.

One Pacer per bot token, shared by every concurrent send of that bot in this process (the
worker holds the bot's lock, so no other process sends for it). The bot-wide rate is a
GCRA token bucket: sends are spaced 1/rate apart with a tolerance of `burst - 1` sends, so
a waiter woken a little late does not lose its slot and the rate holds over any window.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

_PRUNE_AT = 4096  # remembered chats before old entries are dropped


@dataclass(frozen=True, slots=True)
class Limits:
    rate_per_second: float = 25.0  # Telegram allows about 30 per bot
    burst: int = 2
    chat_interval_seconds: float = 1.0  # at most one message per second to one chat
    group_per_minute: int = 20  # at most 20 messages per minute to one group
    group_window_seconds: float = 60.0


class Pacer:
    def __init__(
        self,
        limits: Limits,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._interval = 1 / limits.rate_per_second
        self._tolerance = self._interval * (limits.burst - 1)
        self._tat = 0.0  # theoretical arrival time of the next send
        self._paused_until = 0.0
        self._chat_last: dict[str, float] = {}
        self._group_sent: dict[str, deque[float]] = {}
        self._now = monotonic
        self._sleep = sleep

    def pause(self, seconds: float) -> None:
        """The platform said retry_after: nobody sends for this bot until then."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    async def wait(self, chat_id: str, is_group: bool = False) -> None:
        """Return when a message to `chat_id` may go out now; the slot is taken."""
        while True:
            now = self._now()
            ready = max(
                self._paused_until,
                self._tat - self._tolerance,
                self._chat_ready(chat_id, is_group),
            )
            if ready <= now:
                self._take(chat_id, is_group, now)
                return
            await self._sleep(ready - now)

    def _chat_ready(self, chat_id: str, is_group: bool) -> float:
        ready = self._chat_last.get(chat_id, -1e9) + self.limits.chat_interval_seconds
        sent = self._group_sent.get(chat_id) if is_group else None
        if sent is not None:
            while sent and sent[0] <= self._now() - self.limits.group_window_seconds:
                sent.popleft()
            if len(sent) >= self.limits.group_per_minute:
                ready = max(ready, sent[0] + self.limits.group_window_seconds)
        return ready

    def _take(self, chat_id: str, is_group: bool, now: float) -> None:
        self._tat = max(self._tat, now) + self._interval
        self._chat_last[chat_id] = now
        if is_group:
            self._group_sent.setdefault(chat_id, deque()).append(now)
        if len(self._chat_last) > _PRUNE_AT:
            self._prune(now)

    def _prune(self, now: float) -> None:
        cutoff = now - self.limits.chat_interval_seconds
        self._chat_last = {c: t for c, t in self._chat_last.items() if t > cutoff}
        window = now - self.limits.group_window_seconds
        self._group_sent = {c: d for c, d in self._group_sent.items() if d and d[-1] > window}
