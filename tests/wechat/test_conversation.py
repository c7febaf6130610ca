"""Rendering as a person sees it: numbered options, pages and "more", news, links."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from bot.wechat.conversation import Conversation
from bot.wechat.inbound import PLATFORM
from bot.wechat.render import TEXT_LIMIT
from bot.wechat.texts import NOTHING_MORE, Texts
from store.catalog import NewProduct
from store.demo import DEMO_SLUG
from store.errors import Unavailable
from store.models import Identity

from .conftest import USER, Harness
from .wire import fixture

IMAGE = "https://img.example.com/tea.jpg"


def option_lines(content: str) -> list[str]:
    return [
        line
        for line in content.splitlines()
        if re.search(r"\b\d+\b", line) and Texts("zh_CN").option(0, "").split("0")[0] in line
    ]


async def add_product(wx: Harness, **kw: object) -> int:
    services = wx.runtime.services
    shop = await services.shops.by_slug(DEMO_SLUG)
    values = {"title": "测试商品 Test product", "price": Decimal("12.50"), "stock": 9} | kw
    product = await services.catalog.add_product(shop.id, NewProduct(**values))  # type: ignore[arg-type]
    return product.id


async def test_buttons_become_numbered_options(wx: Harness) -> None:
    reply = await wx.say("/product 1")
    lines = option_lines(reply.content)
    assert len(lines) >= 2
    assert lines[0].startswith(Texts("zh_CN").option(1, "").rstrip())
    assert lines[1].startswith(Texts("zh_CN").option(2, "").rstrip())


async def test_replying_with_the_number_runs_that_buttons_payload(wx: Harness) -> None:
    await wx.say("/cart")  # empty cart: option 1 is "Browse products"
    by_number = await wx.say("1")
    typed = await wx.say("/catalog")
    assert by_number.content == typed.content
    by_fullwidth_number = await wx.deliver(fixture("text", content="１"))
    assert by_fullwidth_number.content != typed.content  # the catalog's own option 1


async def test_numbers_belong_to_each_person(wx: Harness) -> None:
    await wx.say("/cart")
    other = "oSomeoneElse000000000000001"
    assert (await wx.say("1", openid=other)).content != (await wx.say("/catalog")).content


async def test_an_answer_without_buttons_forgets_the_options(wx: Harness) -> None:
    await wx.say("/cart")
    await wx.say("/lang en")  # no buttons
    assert (await wx.say("1")).content != (await wx.say("/catalog")).content


async def test_a_picture_or_more_leaves_the_options_of_the_last_answer(wx: Harness) -> None:
    await wx.say("/cart")  # empty cart: option 1 is "Browse products"
    await wx.deliver(fixture("image"))
    await wx.say(Texts("zh_CN").more_word)  # nothing more to show
    assert (await wx.say("1")).content == (await wx.say("/catalog")).content


class _WritesFail:
    """The runtime's key-value store whose batched writes fail: Redis gone mid-message."""

    def __init__(self, kv: Any) -> None:
        self._kv = kv

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kv, name)

    async def set_many(self, entries: object) -> None:
        raise Unavailable()


async def test_an_answer_goes_out_even_when_what_it_leaves_cannot_be_remembered(
    wx: Harness,
) -> None:
    expected = (await wx.say("/cart")).content
    kv = wx.runtime.kv
    wx.runtime.kv = _WritesFail(kv)
    try:
        assert (await wx.say("/cart")).content == expected
    finally:
        wx.runtime.kv = kv
    assert (await wx.say("/cart")).content == expected


async def test_out_of_range_number_is_just_text(wx: Harness) -> None:
    await wx.say("/cart")
    reply = await wx.say("7")
    assert reply.type == "text"
    assert reply.content != (await wx.say("/catalog")).content


async def test_bare_links_become_anchors_and_typed_anchors_are_defused(wx: Harness) -> None:
    pid = await add_product(
        wx,
        description="详情 https://tea.example.com/longjing?a=1 "
        '<a href="https://evil.example">点我</a>',
    )
    reply = await wx.say(f"/product {pid}")
    assert (
        '<a href="https://tea.example.com/longjing?a=1">https://tea.example.com/longjing?a=1</a>'
    ) in reply.content
    assert '<a href="https://evil.example">' not in reply.content


async def test_a_long_answer_goes_out_as_customer_service_pages(wx: Harness) -> None:
    pid = await add_product(wx, description="明前龙井，清香回甘。" * 190)  # ~5.7 kB
    reply = await wx.say(f"/product {pid}")
    await wx.settle()
    assert reply.success
    pages = wx.sent_texts()
    assert len(pages) >= 3
    assert all(len(p.encode()) <= TEXT_LIMIT for p in pages)
    assert "".join(pages).count("明前龙井") == 190
    assert option_lines(pages[-1])  # options come last


async def test_without_customer_service_long_answers_continue_with_more(wx: Harness) -> None:
    pid = await add_product(wx, description="明前龙井，清香回甘。" * 190)
    more = Texts("zh_CN").more_word
    first = await wx.say(f"/product {pid}", account="lite")
    pages = [first.content]
    while Texts("zh_CN").more_footer() in pages[-1]:
        pages.append((await wx.say(more, account="lite")).content)
    assert len(pages) >= 3
    assert all(len(p.encode()) <= TEXT_LIMIT for p in pages)
    assert "".join(pages).count("明前龙井") == 190
    assert option_lines(pages[-1])
    assert not wx.fake.calls_to("/cgi-bin/message/custom/send")
    assert (await wx.say(more, account="lite")).content == Texts("zh_CN").t(NOTHING_MORE)
    # The options of the long answer work once it has been read.
    assert (await wx.say("2", account="lite")).content == (
        await wx.say("/cart", account="lite")
    ).content


async def test_product_image_goes_out_as_news(wx: Harness) -> None:
    pid = await add_product(wx, image_url=IMAGE)
    reply = await wx.say(f"/product {pid}")
    await wx.settle()
    assert reply.success  # picture + text: two messages, in order
    sent = wx.fake.calls_to("/cgi-bin/message/custom/send")
    assert [c.body["msgtype"] for c in sent] == ["news", "text"]
    (article,) = sent[0].body["news"]["articles"]
    assert article["picurl"] == IMAGE
    assert "测试商品" in article["title"]
    assert option_lines(sent[1].body["text"]["content"])


async def test_product_image_becomes_a_link_without_customer_service(wx: Harness) -> None:
    pid = await add_product(wx, image_url=IMAGE)
    reply = await wx.say(f"/product {pid}", account="lite")
    assert reply.type == "text"
    assert f'<a href="{IMAGE}">' in reply.content
    assert option_lines(reply.content)


async def test_the_adapter_speaks_the_persons_language(wx: Harness) -> None:
    await wx.say("/lang en")
    reply = await wx.say("/cart")
    assert Texts("en").option(1, "").rstrip() in reply.content
    assert USER


async def test_inside_a_flow_numbers_are_answers_and_buttons_show_commands(
    wx: Harness,
) -> None:
    await wx.say("/add 1")
    ask_name = await wx.say("/checkout")
    assert not option_lines(ask_name.content)
    assert "/cancel" in ask_name.content  # the Cancel button, as the command to type
    named_one = await wx.say("1")  # a (short) name, not "option 1 = cancel"
    cancelled = await wx.say("/cancel")
    assert named_one.content != cancelled.content
    # Out of the flow, numbers are options again.
    await wx.say("/cart")
    assert (await wx.say("2")).content == (await wx.say("/catalog")).content


async def test_reading_a_language_to_write_to_someone_does_not_mark_them_reachable(
    wx: Harness,
) -> None:
    await wx.say("/catalog")
    people = wx.runtime.services.people
    await people.mark_unreachable(PLATFORM, USER)  # they unfollowed
    await Conversation(wx.runtime, "zh_CN").texts_for(USER)  # as a broadcast does
    assert (await Identity.get(platform=PLATFORM, platform_user_id=USER)).unreachable
    await wx.say("/catalog")  # only a message of theirs says they are back
    assert not (await Identity.get(platform=PLATFORM, platform_user_id=USER)).unreachable
