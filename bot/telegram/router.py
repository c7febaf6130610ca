"""The one aiogram Router: which update goes to which part of the adapter."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from bot.telegram.adapter import TelegramAdapter
from bot.telegram.payments import TelegramPayments


# Coroutines, not magic filters (F.text): aiogram calls a plain function in a worker thread,
# two thread hops for every message.
async def _is_payment(message: Message) -> bool:
    return message.successful_payment is not None


async def _has_text(message: Message) -> bool:
    return message.text is not None


async def _is_migration(message: Message) -> bool:
    return message.migrate_to_chat_id is not None or message.migrate_from_chat_id is not None


def build_router(adapter: TelegramAdapter, payments: TelegramPayments) -> Router:
    router = Router(name="microstore")
    router.message.register(payments.on_successful_payment, _is_payment)
    router.message.register(adapter.on_message, _has_text)
    router.message.register(adapter.on_group_moved, _is_migration)
    router.callback_query.register(adapter.on_callback)
    router.pre_checkout_query.register(payments.on_pre_checkout)
    return router
