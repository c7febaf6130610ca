"""Messages we send on our own initiative, routed to the platform that can deliver them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from handlers.types import Outgoing, Reply
from store.models import Identity

log = logging.getLogger(__name__)
Sender = Callable[[Outgoing], Awaitable[None]]


class Outbox:
    """Delivery runs in background tasks so a slow platform never delays a chat reply."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, platform: str, send: Sender) -> None:
        self._senders[platform] = send

    def can_send(self, platform: str) -> bool:
        return platform in self._senders

    def send(self, out: Outgoing) -> None:
        sender = self._senders.get(out.platform)
        if sender is None:
            log.info("no sender for %s; dropped a notification", out.platform)
            return
        task = asyncio.create_task(self._deliver(sender, out))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def to_account(self, ident: Identity, reply: Reply) -> None:
        """`reply` to one of a person's accounts; one on a platform this process has no
        sender for is skipped quietly (a person may have accounts on several)."""
        if self.can_send(ident.platform):
            self.send(
                Outgoing(platform=ident.platform, chat_id=ident.platform_user_id, reply=reply)
            )

    async def _deliver(self, sender: Sender, out: Outgoing) -> None:
        try:
            await sender(out)
        except Exception:
            log.exception("sending to %s:%s failed", out.platform, out.chat_id)

    async def drain(self) -> None:
        """Wait for everything queued so far (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
