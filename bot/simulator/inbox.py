"""Messages the simulator's users receive on the platform's own initiative."""

from __future__ import annotations

from collections import defaultdict, deque

from handlers.types import Outgoing, Reply

PLATFORM = "sim"
MAX_PER_USER = 200


class Inbox:
    def __init__(self) -> None:
        self._queues: dict[str, deque[Reply]] = defaultdict(lambda: deque(maxlen=MAX_PER_USER))

    async def deliver(self, out: Outgoing) -> None:
        self._queues[out.chat_id].append(out.reply)

    def take(self, user: str) -> list[Reply]:
        queue = self._queues.get(user)
        if not queue:
            return []
        items = list(queue)
        queue.clear()
        return items

    def take_all(self) -> list[tuple[str, Reply]]:
        out = [(user, r) for user, q in self._queues.items() for r in q]
        for q in self._queues.values():
            q.clear()
        return out
