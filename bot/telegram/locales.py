"""Which language the adapter's own words use for a Telegram user."""

from __future__ import annotations

from bot.telegram.convert import PLATFORM
from handlers.i18n import normalise_locale
from store.services import StoreServices


def app_locale(language_code: str | None, default: str) -> str:
    """The Telegram app's language when it says one, else the default."""
    return normalise_locale(language_code) if language_code else default


class Locales:
    def __init__(self, services: StoreServices, default: str) -> None:
        self.services = services
        self.default = default

    async def for_user(self, user_id: int | None, language_code: str | None = None) -> str:
        """The person's chosen language (/lang), else their Telegram app's, else the default."""
        if user_id is None or user_id <= 0:
            return self.default
        ident = await self.services.people.identify(PLATFORM, str(user_id))
        if locale := ident.person.locale:  # identify reads the person with the identity
            return normalise_locale(locale)
        return app_locale(language_code, self.default)

    async def for_group(self, chat_id: int) -> str:
        """What the group's members read: its shop's language, else the default."""
        shop = await self.services.shops.shop_for_group(PLATFORM, str(chat_id))
        return normalise_locale(shop.locale) if shop is not None and shop.locale else self.default
