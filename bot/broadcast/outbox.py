"""Broadcasts through the runtime's outbox, for platforms whose adapter registered a sender
there (the simulator; WeChat customer-service messages). The outbox delivers in the
background and reports nothing back, so every hand-over counts as sent."""

from __future__ import annotations

from handlers.outbox import Outbox
from handlers.types import Button, Outgoing, Reply
from store.community.port import SENT, BroadcastMessage, SendResult


class OutboxSender:
    def __init__(self, outbox: Outbox, platform: str) -> None:
        self.outbox = outbox
        self.platform = platform

    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult:
        buttons = tuple(
            tuple(Button(label, payload) for label, payload in row) for row in message.buttons
        )
        reply = Reply(text=message.text, buttons=buttons, image=message.image_url)
        self.outbox.send(Outgoing(platform=self.platform, chat_id=chat_id, reply=reply))
        return SENT
