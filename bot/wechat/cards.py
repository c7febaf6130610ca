"""Group-buy cards on WeChat: a sent message can't be edited, so every change is a new card.

The first card of a chat carries a parametric QR code (scene gb_<code>) as its picture:
whoever scans it follows the account and joins the group directly.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.wechat.account import AccountEndpoint
from bot.wechat.api import WeChatApiError
from bot.wechat.outgoing import OutgoingSender
from handlers.groupbuy_cards import CardPlace
from handlers.types import Outgoing, Reply

log = logging.getLogger(__name__)
QR_DAYS = 30  # WeChat's longest temporary code; a group never stays open longer


def join_code(card: Reply) -> str | None:
    for row in card.buttons:
        for button in row:
            if button.payload.startswith("/join "):
                return button.payload.removeprefix("/join ").strip()
    return None


class WeChatCardPublisher:
    def __init__(self, sender: OutgoingSender, endpoints: dict[str, AccountEndpoint]) -> None:
        self.sender = sender
        self.endpoints = endpoints

    async def post(self, place: CardPlace, card: Reply) -> str:
        code = join_code(card)
        endpoint = self.endpoints.get(place.account) or next(iter(self.endpoints.values()))
        if code:
            try:
                qr = await endpoint.api.create_qrcode(f"gb_{code}", QR_DAYS * 86400)
                card = replace(card, image=qr["image_url"])
            except WeChatApiError as e:  # the card still goes out, with its join command
                log.warning("wechat: no QR code for group %s: %s", code, e)
        await self.sender(Outgoing(place.platform, place.chat_id, card, place.account))
        return ""

    async def edit(self, place: CardPlace, message_ref: str, card: Reply) -> None:
        await self.sender(Outgoing(place.platform, place.chat_id, card, place.account))
