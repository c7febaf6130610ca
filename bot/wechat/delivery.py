"""Getting rendered parts to a person: one passive reply when it is one message, else
customer-service messages in order (or "more" pages where the account cannot send them)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.wechat.account import AccountEndpoint
from bot.wechat.api import WeChatApiError
from bot.wechat.inbound import PLATFORM
from bot.wechat.render import (
    TEXT_LIMIT,
    NewsPart,
    Part,
    Rendered,
    TextPart,
    flatten_news,
    nbytes,
    split_pages,
)
from bot.wechat.texts import Texts

log = logging.getLogger(__name__)

# The person is gone for good (unsubscribed, wrong openid); 45015 is only "not in 48 hours".
UNREACHABLE = frozenset({40003, 43004, 65302})


def paged(parts: Sequence[Part], limit: int = TEXT_LIMIT) -> list[Part]:
    out: list[Part] = []
    for part in parts:
        if isinstance(part, TextPart):
            out.extend(TextPart(p) for p in split_pages(part.text, limit))
        else:
            out.append(part)
    return out


@dataclass(frozen=True, slots=True)
class Plan:
    passive: Part | None  # the answer to WeChat's request; None = "success"
    later: tuple[Part, ...]  # customer-service messages after it, in order
    pages: tuple[str, ...]  # kept for "more" (accounts without customer service)


def plan(rendered: Rendered, texts: Texts, customer_service: bool) -> Plan:
    parts = paged(rendered.parts)
    if not parts:
        return Plan(None, (), ())
    if len(parts) == 1:
        return Plan(parts[0], (), ())
    if customer_service:
        return Plan(None, tuple(parts), ())  # all in order, none racing a passive reply
    # One message per answer: a single text, paged, each page but the last saying "more".
    (whole,) = flatten_news(rendered.parts, texts)
    assert isinstance(whole, TextPart)
    footer = texts.more_footer()
    pages = split_pages(whole.text, TEXT_LIMIT - nbytes(footer) - 2)
    with_footer = [p + "\n\n" + footer for p in pages[:-1]] + pages[-1:]
    return Plan(TextPart(with_footer[0]), (), tuple(with_footer[1:]))


async def send_parts(ep: AccountEndpoint, openid: str, parts: Sequence[Part], runtime: Any) -> None:
    """Customer-service messages, one after the other; stops when the person is unreachable."""
    for part in paged(parts):
        try:
            if isinstance(part, TextPart):
                await ep.api.send_text(openid, part.text)
            elif isinstance(part, NewsPart):
                await ep.api.send_news(openid, part.title, part.description, part.url, part.picurl)
        except WeChatApiError as e:
            if e.errcode in UNREACHABLE:
                log.info("wechat %s: %s unreachable (%s)", ep.name, openid, e.errcode)
                await runtime.services.people.mark_unreachable(PLATFORM, openid)
                return
            raise
