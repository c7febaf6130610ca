"""The one aiogram Router: which update goes to which part of the adapter."""

from __future__ import annotations

from aiogram import F, Router

from bot.telegram.adapter import TelegramAdapter
from bot.telegram.payments import TelegramPayments


def build_router(adapter: TelegramAdapter, payments: TelegramPayments) -> Router:
    router = Router(name="microstore")
    router.message.register(payments.on_successful_payment, F.successful_payment)
    router.message.register(adapter.on_message, F.text)
    router.callback_query.register(adapter.on_callback)
    router.pre_checkout_query.register(payments.on_pre_checkout)
    return router
