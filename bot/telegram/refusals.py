"""Refusals from Telegram that a send gets past, shared by chat replies, group-buy cards and
broadcasts: a picture Telegram can't fetch, and a group Telegram moved to a new chat id."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramMigrateToChat
from aiogram.types import InlineKeyboardMarkup

from bot.telegram.convert import PLATFORM
from store.shops import ShopService

log = logging.getLogger(__name__)
T = TypeVar("T")


async def send_photo(
    bot: Bot,
    chat_id: int,
    photo: str,
    *,
    caption: str | None,
    markup: InlineKeyboardMarkup | None,
    thread: int | None = None,
) -> bool:
    """sendPhoto; False when Telegram refused it with 400 Bad Request. Telegram fetches a
    picture's URL itself and refuses the whole message when it can't ("wrong file
    identifier/HTTP URL specified", "failed to get HTTP URL content": a dead link, not an
    image); nothing reached the chat, so the caller sends the text alone. Any other error
    (429, 403, network, a moved group) is the caller's, as for any send."""
    try:
        await bot.send_photo(
            chat_id=chat_id,
            photo=photo,
            message_thread_id=thread,
            caption=caption,
            reply_markup=markup,
        )
    except TelegramBadRequest as e:
        log.warning("telegram refused picture %s for chat %s: %s", photo, chat_id, e.message)
        return False
    return True


class GroupMoves:
    """Sends to a group that follow it to its new chat id. Telegram gives a group a new id
    when it upgrades it to a supergroup, and says so with a service message the adapter acts
    on (TelegramAdapter.on_group_moved); a bot that missed it learns it from the next send
    to the old id, refused with `migrate_to_chat_id`. Then the group's shop moves with it
    (ShopService.move_group) and the send goes once more, to the new id."""

    def __init__(self, shops: ShopService) -> None:
        self.shops = shops

    async def send(self, chat_id: int, send: Callable[[int], Awaitable[T]]) -> T:
        """`send(chat_id)`, or `send(new id)` once when Telegram says the group moved (a
        private chat, a positive id, never moves)."""
        if chat_id > 0:
            return await send(chat_id)
        try:
            return await send(chat_id)
        except TelegramMigrateToChat as e:
            if not await self.follow(chat_id, e.migrate_to_chat_id):
                raise
            return await send(e.migrate_to_chat_id)

    async def follow(self, old: int, new: int) -> bool:
        """Move the binding of group `old` to `new`; False when `new` belongs to another
        shop (bound there on its own), where what was meant for `old` must not go."""
        before = await self.shops.shop_for_group(PLATFORM, str(old))
        await self.shops.move_group(PLATFORM, str(old), str(new))
        after = await self.shops.shop_for_group(PLATFORM, str(new))
        if before is not None and after is not None and before.id != after.id:
            log.warning(
                "telegram group %s is now supergroup %s, which belongs to another shop: "
                "nothing sent there",
                old,
                new,
            )
            return False
        log.info("telegram group %s is now supergroup %s (learnt from a send)", old, new)
        return True
