"""Which update goes to which part of the adapter: one path for webhook and polling.

An update arrives as Telegram's JSON. `read_update` checks and reads it (the chat's text
messages and button presses by `bot.telegram.inbound`, payments by aiogram's types); `feed`
lets it through the de-dup gate once and hands it over. Unknown update types, edits,
stickers and the like are ignored. Nothing raises out of `feed` but `Redeliver` (a payment that must
come again): a failing update is logged, and a person never sees a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import Update

from bot.telegram.adapter import TelegramAdapter
from bot.telegram.gate import Refused, UpdateGate
from bot.telegram.inbound import ButtonPress, ChatMessage, read_button_press, read_message
from bot.telegram.payments import TelegramPayments
from bot.telegram.redelivery import Redeliver

log = logging.getLogger(__name__)

# What setWebhook and getUpdates ask Telegram for: everything `feed` handles.
ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query"]


@dataclass(frozen=True, slots=True)
class ReadUpdate:
    update_id: int
    message: ChatMessage | None = None
    press: ButtonPress | None = None
    paid: Update | None = None  # a payment or a pre-checkout, in aiogram's types

    @property
    def is_payment(self) -> bool:
        return self.paid is not None


def read_update(data: Any, bot: Bot) -> ReadUpdate:
    """Raises ValueError when `data` is no update, or the parts we read are malformed."""
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise ValueError("not an update")
    update_id = data["update_id"]
    if (message := data.get("message")) is not None:
        if not isinstance(message, dict):
            raise ValueError("message is not an object")
        if message.get("successful_payment") is None:
            return ReadUpdate(update_id, message=read_message(message))
        return ReadUpdate(update_id, paid=_validated(data, bot))
    if (press := data.get("callback_query")) is not None:
        if not isinstance(press, dict):
            raise ValueError("callback_query is not an object")
        return ReadUpdate(update_id, press=read_button_press(press))
    if data.get("pre_checkout_query") is not None:
        return ReadUpdate(update_id, paid=_validated(data, bot))
    return ReadUpdate(update_id)


def _validated(data: dict[str, Any], bot: Bot) -> Update:
    """aiogram's own types, bound to the bot (a pre-checkout query answers itself)."""
    return Update.model_validate(data, context={"bot": bot})


class UpdateRouter:
    def __init__(
        self,
        bot: Bot,
        adapter: TelegramAdapter,
        payments: TelegramPayments,
        gate: UpdateGate,
    ) -> None:
        self.bot = bot
        self.adapter = adapter
        self.payments = payments
        self.gate = gate

    async def feed(self, update: ReadUpdate) -> TelegramMethod[Any] | None:
        """Handle the update once; the answer to send comes back unsent (the webhook's
        response carries it, or polling calls it)."""
        if update.message is None and update.press is None and update.paid is None:
            log.info("telegram update %s of a type we don't handle: ignored", update.update_id)
            return None
        try:
            if not await self.gate.first_time(update.update_id, payment=update.is_payment):
                return None
        except Refused:
            return self.gate.refusal(update.message, update.press)
        try:
            return await self._route(update)
        except Redeliver:
            raise
        except Exception:
            log.exception("telegram update %s failed", update.update_id)
            return None

    async def _route(self, update: ReadUpdate) -> TelegramMethod[Any] | None:
        if (message := update.message) is not None:
            if message.text is not None:
                return await self.adapter.on_message(message)
            if message.migrate_to_chat_id is not None or message.migrate_from_chat_id is not None:
                await self.adapter.on_group_moved(message)
            return None
        if update.press is not None:
            return await self.adapter.on_callback(update.press)
        paid = update.paid
        assert paid is not None
        if paid.pre_checkout_query is not None:
            await self.payments.on_pre_checkout(paid.pre_checkout_query)
        elif paid.message is not None:
            await self.payments.on_successful_payment(paid.message)
        return None
