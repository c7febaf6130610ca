"""Who administers a Telegram group, asked of Telegram (getChatMember) when it matters:
binding a group to a shop takes its owner or one of its administrators."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError

from handlers.types import Incoming
from store.errors import Unavailable

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR})


class GroupAdmins:
    """The Telegram adapter's answer to the engine's GroupAdminCheck (Engine.group_admins)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def __call__(self, msg: Incoming) -> bool:
        """True when Telegram says the sender is the group's creator or an administrator.
        A refusal about the chat or the person (400, 403: not a member, the bot was removed)
        is a no; when Telegram can't be asked (network, 5xx, a long 429) nothing is allowed
        on a guess: Unavailable."""
        try:
            member = await self.bot.get_chat_member(
                chat_id=int(msg.chat_id), user_id=int(msg.user_id)
            )
        except (TelegramBadRequest, TelegramForbiddenError) as e:
            log.info("telegram: no admin check for %s in %s: %s", msg.user_id, msg.chat_id, e)
            return False
        except (TelegramAPIError, OSError, TimeoutError) as e:
            log.warning("telegram: can't ask who administers %s: %r", msg.chat_id, e)
            raise Unavailable("group_admin_unknown") from e
        return member.status in ADMIN_STATUSES
