"""The command menu Telegram shows next to the input field, in English and Chinese."""

from __future__ import annotations

import re

from aiogram import Bot
from aiogram.types import BotCommand

from handlers.i18n import translate
from handlers.router import Registry

MENU_LANGUAGES = (("en", None), ("zh_CN", "zh"))  # (our locale, Telegram language code)
_NAME = re.compile(r"[a-z0-9_]{1,32}")
MAX_COMMANDS = 100


def menu(registry: Registry, locale: str) -> list[BotCommand]:
    """Customers' commands (not merchants', not button-only steps) with translated help."""
    commands = [
        BotCommand(command=spec.name, description=translate(locale, spec.help)[:256])
        for spec in registry.specs
        if not spec.hidden and not spec.merchant and _NAME.fullmatch(spec.name)
    ]
    return commands[:MAX_COMMANDS]


async def publish_commands(bot: Bot, registry: Registry) -> None:
    """English is the default menu; Telegram apps set to Chinese get the Chinese one."""
    for locale, language_code in MENU_LANGUAGES:
        await bot.set_my_commands(menu(registry, locale), language_code=language_code)
