"""Deep links into the bot, made with aiogram's deep-linking helpers.

``https://t.me/<bot>?start=<payload>`` opens the private chat and sends
``/start <payload>``; the engine routes ``shop_<slug>`` (choose a shop), ``ref_<code>``
(referral) and ``gb_<code>`` (group buying).
"""

from __future__ import annotations

from typing import Literal

from aiogram import Bot
from aiogram.utils.deep_linking import create_deep_link, create_start_link

LinkKind = Literal["shop", "ref", "gb"]


async def start_link(bot: Bot, kind: LinkKind, code: str) -> str:
    """A link that starts the private chat with ``/start <kind>_<code>``.

    Raises ValueError when the payload can't travel in a link (over 64 characters or
    outside A-Z a-z 0-9 _ -): refused, never silently shortened.
    """
    return await create_start_link(bot, f"{kind}_{code}")


async def share_link(account: str, payload: str) -> str | None:
    """The core's link-maker port (referral share links): ``t.me/<bot>?start=<payload>``.

    None when there is no bot username, or the payload can't travel in a link.
    """
    if not account:
        return None
    try:
        return create_deep_link(username=account.lstrip("@"), link_type="start", payload=payload)
    except ValueError:
        return None
