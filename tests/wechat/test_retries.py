"""WeChat retries a message 3 times when it hears nothing in 5 s: one effect, one answer,
and a handler slower than the deadline answers "success" now and a message later."""

from __future__ import annotations

import asyncio
import re

from handlers.i18n import translate
from store.demo import DEMO_SLUG
from store.models import CartItem, Identity, Order

from .conftest import USER, Harness, HarnessFactory
from .wire import fixture, read_reply


async def cart_quantity(openid: str = USER) -> int:
    ident = await Identity.get(platform="wechat", platform_user_id=openid)
    items = await CartItem.filter(person_id=ident.person_id)  # type: ignore[attr-defined]
    return sum(i.quantity for i in items)


async def test_the_same_message_three_times_has_one_effect_and_one_answer(wx: Harness) -> None:
    xml = fixture("text", content="/add 1")
    answers = [await wx.post(xml) for _ in range(3)]
    raw = [await a.text() for a in answers]
    assert all(a.status == 200 for a in answers)
    assert raw[0] == raw[1] == raw[2]
    assert read_reply(raw[0]).type == "text"
    await wx.settle()
    assert await cart_quantity() == 1


async def test_concurrent_deliveries_have_one_effect_and_one_answer(wx: Harness) -> None:
    await wx.say("/help")  # the person exists: concurrency is about the message only
    xml = fixture("text", content="/add 2")
    answers = await asyncio.gather(*(wx.post(xml) for _ in range(3)))
    raw = [await a.text() for a in answers]
    assert raw[0] == raw[1] == raw[2]
    assert read_reply(raw[0]).type == "text"
    await wx.settle()
    assert await cart_quantity() == 1


async def test_retries_in_safe_mode_decrypt_to_the_same_answer(wx: Harness) -> None:
    xml = fixture("text", content="/add 3")
    replies = [await wx.deliver(xml, mode="safe") for _ in range(3)]
    assert all(r.encrypted for r in replies)
    assert replies[0].fields == replies[1].fields == replies[2].fields
    await wx.settle()
    assert await cart_quantity() == 1


async def test_events_are_deduplicated_by_sender_and_time(wx: Harness) -> None:
    xml = fixture("click", event_key="/add 4", time=1_700_000_000)
    first = await wx.deliver(xml)
    again = await wx.deliver(xml)
    assert first.raw == again.raw
    later = await wx.deliver(fixture("click", event_key="/add 4", time=1_700_000_001))
    await wx.settle()
    assert later.type == "text"
    assert await cart_quantity() == 2


async def test_two_menu_buttons_pressed_within_one_second_are_both_answered(
    wx: Harness,
) -> None:
    """CreateTime counts whole seconds: a second button pressed in the same second is a new
    event (its EventKey differs), not a retry of the first."""
    second = 1_700_000_100
    added = await wx.deliver(fixture("click", event_key="/add 4", time=second))
    cart = await wx.deliver(fixture("click", event_key="cart", time=second))
    await wx.settle()
    assert cart.raw != added.raw
    assert cart.type == "text" and cart.content == (await wx.say("/cart")).content
    assert await cart_quantity() == 1


async def checkout_until_confirm(wx: Harness, openid: str) -> None:
    for text in ("/add 1", "/checkout", "张三", "13800138000", "上海市浦东新区世纪大道100号"):
        reply = await wx.say(text, openid=openid)
        assert reply.type == "text", text


async def test_a_slow_handler_answers_success_now_and_a_message_later(
    make_harness: HarnessFactory,
) -> None:
    wx = await make_harness(reply_deadline_seconds=0.3)
    openid = "oSlowPayer00000000000000001"
    await checkout_until_confirm(wx, openid)
    wx.fake.delays["/pay/unifiedorder"] = 1.0  # placing the order asks WeChat Pay: slow today
    xml = fixture("text", content="/checkout confirm", openid=openid)
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply = read_reply(await (await wx.post(xml)).text())
    assert reply.success
    assert loop.time() - started < 0.9  # answered before WeChat's 5 s, not after the handler
    retry = read_reply(await (await wx.post(xml)).text())
    assert retry.success
    await wx.settle()
    sent = wx.sent_texts(openid)
    assert len(sent) == 1
    order = await Order.get(person__identities__platform_user_id=openid)
    assert order.order_no in sent[0]
    assert f"/pay/{order.order_no}" in sent[0]  # the WeChat Pay link came too
    assert await Order.filter(shop__slug=DEMO_SLUG).count() == 1
    # The late message's options are remembered like a passive answer's.
    (line,) = [ln for ln in sent[0].splitlines() if translate("zh_CN", "My orders") in ln]
    number = re.search(r"\d+", line).group(0)  # type: ignore[union-attr]
    by_number = await wx.say(number, openid=openid)
    assert by_number.content == (await wx.say("/orders", openid=openid)).content
