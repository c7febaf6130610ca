"""The Telegram adapter (aiogram 3), mounted on the one aiohttp application.

``mount(app, runtime)`` wires it: the Bot (pointed at ``telegram.api_server`` when
set), the update router (chat traffic read from the JSON, payments by aiogram's types)
with its de-dup gate, the outgoing sender, Telegram Payments, and either the webhook
endpoint or long polling as a background task of the application's lifecycle.
"""

from __future__ import annotations

from bot.telegram.mount import TELEGRAM, TelegramParts, mount

__all__ = ["TELEGRAM", "TelegramParts", "mount"]
