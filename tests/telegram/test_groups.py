"""Group chats: bound to a shop with /bindgroup, commands for us only, private answers."""

from __future__ import annotations

import time
from typing import Any

from bot.broadcast.setup import start_broadcasting
from store.community.models import Delivery, DeliveryStatus
from store.models import Product, Shop

from . import updates as u
from .conftest import Harness
from .fake_bot_api import BOT_USERNAME

GROUP = u.GROUP_ID
MERCHANT, ALICE, BOB, CAROL = 500, 111, 222, 333


async def open_tea_house(tg: Harness) -> str:
    """A Telegram merchant opens a shop and binds the group to it; returns the shop slug."""
    await tg.send(u.message(MERCHANT, "/newshop Tea House", name="Mia"))
    await tg.send(u.message(MERCHANT, "/addproduct Green tea | 12.50 | 5", name="Mia"))
    tg.fake.set_member(GROUP, MERCHANT, "administrator")
    await tg.send(u.message(MERCHANT, f"/bindgroup@{BOT_USERNAME}", chat_id=GROUP, name="Mia"))
    shop = await tg.runtime.services.shops.shop_for_group("telegram", str(GROUP))
    assert shop is not None and shop.name == "Tea House"
    assert tg.to_chat(GROUP)  # the bot confirmed in the group
    return shop.slug


async def test_commands_for_this_bot_answered_chatter_ignored(tg: Harness) -> None:
    await open_tea_house(tg)
    before = len(tg.to_chat(GROUP))
    await tg.send(u.message(ALICE, f"/catalog@{BOT_USERNAME}", chat_id=GROUP))
    catalog = tg.last_to(GROUP)
    assert len(tg.to_chat(GROUP)) == before + 1
    assert "Tea House" in catalog.params["text"] and "Green tea" in catalog.params["text"]

    await tg.send(u.message(ALICE, "/catalog@some_other_bot", chat_id=GROUP))
    await tg.send(u.message(ALICE, "anyone tried the green tea?", chat_id=GROUP))
    await tg.send(u.message(ALICE, "catalog", chat_id=GROUP))
    assert len(tg.to_chat(GROUP)) == before + 1


async def test_private_answer_goes_to_the_private_chat(tg: Harness) -> None:
    await open_tea_house(tg)
    await tg.send(u.message(ALICE, "/help"))  # Alice has talked to the bot privately
    group_before, alice_before = len(tg.to_chat(GROUP)), len(tg.to_chat(ALICE))
    await tg.send(u.message(ALICE, f"/orders@{BOT_USERNAME}", chat_id=GROUP))
    assert len(tg.to_chat(ALICE)) == alice_before + 1
    assert len(tg.to_chat(GROUP)) == group_before  # nothing personal in the group


async def test_never_started_user_gets_a_deep_link_button_in_the_group(tg: Harness) -> None:
    slug = await open_tea_house(tg)
    tg.fake.never_started(BOB)
    await tg.send(u.message(BOB, f"/orders@{BOT_USERNAME}", chat_id=GROUP, name="Bob"))
    prompt = tg.last_to(GROUP)
    [button] = tg.buttons(prompt)
    assert button["url"] == f"https://t.me/{BOT_USERNAME}?start=shop_{slug}"
    assert "callback_data" not in button
    assert tg.fake.attempts("sendMessage")[-1].params["chat_id"] == GROUP
    assert not [c for c in tg.fake.attempts("sendMessage") if c.params["chat_id"] == BOB]

    # Bob follows the link: /start shop_<slug> in the private chat, then asks again
    tg.fake.unblock(BOB)
    await tg.send(u.message(BOB, f"/start shop_{slug}", name="Bob"))
    group_before = len(tg.to_chat(GROUP))
    await tg.send(u.message(BOB, f"/orders@{BOT_USERNAME}", chat_id=GROUP, name="Bob"))
    assert len(tg.to_chat(GROUP)) == group_before
    assert tg.last_to(BOB)


async def test_user_who_blocked_the_bot_is_marked_and_prompted(tg: Harness) -> None:
    await open_tea_house(tg)
    await tg.send(u.message(CAROL, "/help", name="Carol"))
    assert await tg.runtime.services.people.private_chat_ok("telegram", str(CAROL))
    tg.fake.block(CAROL)
    await tg.send(u.message(CAROL, f"/orders@{BOT_USERNAME}", chat_id=GROUP, name="Carol"))
    assert tg.fake.attempts("sendMessage")[-2].status == 403  # tried the private chat
    assert tg.buttons(tg.last_to(GROUP))[0]["url"].startswith(f"https://t.me/{BOT_USERNAME}")
    assert not await tg.runtime.services.people.private_chat_ok("telegram", str(CAROL))


def _service_message(chat: dict[str, Any], **event: int) -> dict[str, Any]:
    """A service message as Telegram sends it (no text), e.g. migrate_to_chat_id."""
    return {
        "update_id": u.next_update_id(),
        "message": {
            "message_id": 90_000 + u.next_update_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": u.user(MERCHANT, "Mia"),
            **event,
        },
    }


async def test_group_upgraded_to_supergroup_keeps_its_shop(tg: Harness) -> None:
    """Telegram moves a basic group to a new chat id when it becomes a supergroup (made
    public, grown large, history shown to new members) and says so in both chats."""
    old, new = -4_012_345_678, -1_004_012_345_678
    await tg.send(u.message(MERCHANT, "/newshop Tea House", name="Mia"))
    await tg.send(u.message(MERCHANT, "/addproduct Green tea | 12.50 | 5", name="Mia"))
    tg.fake.set_member(old, MERCHANT, "creator")
    bind = u.message(MERCHANT, f"/bindgroup@{BOT_USERNAME}", chat_id=old, name="Mia")
    bind["message"]["chat"]["type"] = "group"
    await tg.send(bind)
    assert await tg.runtime.services.shops.shop_for_group("telegram", str(old))

    await tg.send(
        _service_message({"id": old, "type": "group", "title": "Tea"}, migrate_to_chat_id=new)
    )
    await tg.send(
        _service_message(
            {"id": new, "type": "supergroup", "title": "Tea"}, migrate_from_chat_id=old
        )
    )
    shop = await tg.runtime.services.shops.shop_for_group("telegram", str(new))
    assert shop is not None and shop.name == "Tea House"
    assert await tg.runtime.services.shops.shop_for_group("telegram", str(old)) is None

    await tg.send(u.message(ALICE, f"/catalog@{BOT_USERNAME}", chat_id=new))
    catalog = tg.last_to(new)
    assert "Tea House" in catalog.params["text"] and "Green tea" in catalog.params["text"]


async def bind_basic_group(tg: Harness, chat_id: int) -> None:
    """The merchant, the group's creator, binds it (a basic group, not yet a supergroup) to
    their shop."""
    tg.fake.set_member(chat_id, MERCHANT, "creator")
    bind = u.message(MERCHANT, f"/bindgroup@{BOT_USERNAME}", chat_id=chat_id, name="Mia")
    bind["message"]["chat"]["type"] = "group"
    await tg.send(bind)
    assert await tg.runtime.services.shops.shop_for_group("telegram", str(chat_id))


async def until_sent(tg: Harness, chat_id: int, count: int = 1) -> None:
    """Wait for `count` messages to `chat_id` from work in the background (a broadcast)."""
    await tg.fake.wait_until(lambda: len(tg.to_chat(chat_id)) >= count, within=10)


def refused_for(tg: Harness, chat_id: int) -> list[int]:
    """The status of every failed call aimed at `chat_id`."""
    return [c.status for c in tg.fake.calls if not c.ok and c.params.get("chat_id") == chat_id]


async def test_an_upgrade_the_bot_missed_is_learnt_from_the_next_post(tg: Harness) -> None:
    """The service messages of the upgrade never reached the bot: the merchant's next post
    into the group is refused with migrate_to_chat_id, moves the shop to the new id and
    goes there, once."""
    old, new = -4_012_345_679, -1_004_012_345_679
    await tg.send(u.message(MERCHANT, "/newshop Tea House", name="Mia"))
    await tg.send(u.message(MERCHANT, "/addproduct Green tea | 12.50 | 5", name="Mia"))
    await bind_basic_group(tg, old)
    tg.fake.upgrade_group(old, new)
    await start_broadcasting(tg.runtime, send=True)

    tea = await Product.get(title="Green tea")
    await tg.send(u.message(MERCHANT, f"/post {tea.id}", name="Mia"))
    await until_sent(tg, new)
    [post] = tg.to_chat(new)
    assert "Green tea" in post.params["text"]
    assert refused_for(tg, old) == [400]
    shops = tg.runtime.services.shops
    shop = await shops.shop_for_group("telegram", str(new))
    assert shop is not None and shop.name == "Tea House"
    assert await shops.shop_for_group("telegram", str(old)) is None

    await tg.send(u.message(MERCHANT, f"/post {tea.id}", name="Mia"))  # straight to the new id
    await until_sent(tg, new, 2)
    assert refused_for(tg, old) == [400]
    first = await Delivery.get(chat_id=str(old))  # recorded before the next broadcast began
    assert first.status == DeliveryStatus.SENT


def _in_topic(update: dict[str, Any], topic: int) -> dict[str, Any]:
    """The same message written in a forum group's topic."""
    update["message"]["chat"]["is_forum"] = True
    update["message"]["message_thread_id"] = topic
    update["message"]["is_topic_message"] = True
    return update


async def test_answers_in_a_forum_group_stay_in_the_topic_asked_in(tg: Harness) -> None:
    """In a group with topics, a message sent without message_thread_id lands in General:
    the answer to a command typed in the "Shop" topic must go back into that topic."""
    await open_tea_house(tg)
    topic = 7
    await tg.send(_in_topic(u.message(ALICE, f"/catalog@{BOT_USERNAME}", chat_id=GROUP), topic))
    catalog = tg.last_to(GROUP)
    assert "Green tea" in catalog.params["text"]
    assert catalog.params.get("message_thread_id") == topic

    before = len(tg.to_chat(GROUP))
    press = u.callback(
        ALICE,
        tg.button(catalog, "Green tea")["callback_data"],
        message_id=catalog.result["message_id"],
        chat_id=GROUP,
        text=catalog.result["text"],
    )
    press["callback_query"]["message"].update(message_thread_id=topic, is_topic_message=True)
    await tg.send(press)
    product = tg.to_chat(GROUP, "sendMessage", "sendPhoto")[before:]
    assert product and all(c.params.get("message_thread_id") == topic for c in product)

    tg.fake.never_started(BOB)
    await tg.send(
        _in_topic(u.message(BOB, f"/orders@{BOT_USERNAME}", chat_id=GROUP, name="Bob"), topic)
    )
    prompt = tg.last_to(GROUP)
    assert tg.buttons(prompt)[0]["url"].startswith(f"https://t.me/{BOT_USERNAME}")
    assert prompt.params.get("message_thread_id") == topic

    # outside forums message_thread_id names a reply thread: answers go to the chat itself
    reply = u.message(ALICE, f"/catalog@{BOT_USERNAME}", chat_id=GROUP)
    reply["message"]["message_thread_id"] = catalog.result["message_id"]
    await tg.send(reply)
    assert "message_thread_id" not in tg.last_to(GROUP).params


GROUP_ANONYMOUS_BOT = 1087968824  # whom Telegram shows as the sender of an anonymous admin


def _anonymous(text: str, chat_id: int) -> dict[str, Any]:
    """A message of a group admin who remains anonymous: sent in the group's name."""
    update = u.message(GROUP_ANONYMOUS_BOT, text, chat_id=chat_id, language_code=None)
    update["message"]["from"] = {
        "id": GROUP_ANONYMOUS_BOT,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    update["message"]["sender_chat"] = update["message"]["chat"]
    return update


async def test_an_anonymous_admins_command_is_told_why_nothing_happens(tg: Harness) -> None:
    """Nobody can tell who sent a command in the group's name, so /bindgroup can't check that
    it comes from the shop's staff: the group is told to turn off "Remain anonymous"."""
    other = -1_009_876_543_210
    await open_tea_house(tg)
    await tg.send(_anonymous(f"/bindgroup@{BOT_USERNAME}", other))
    [hint] = tg.to_chat(other)
    assert "anonymous group admin" in hint.params["text"]
    assert "Remain anonymous" in hint.params["text"]
    assert await tg.runtime.services.shops.shop_for_group("telegram", str(other)) is None

    # anonymous chatter, and commands for another bot, stay unanswered as anyone's
    await tg.send(_anonymous("Welcome, everyone!", other))
    await tg.send(_anonymous("/bindgroup@some_other_bot", other))
    assert len(tg.to_chat(other)) == 1

    # in the language of the group's shop
    shop = await tg.runtime.services.shops.shop_for_group("telegram", str(GROUP))
    assert shop is not None
    await Shop.filter(id=shop.id).update(locale="zh_CN")
    await tg.send(_in_topic(_anonymous("/绑定群", GROUP), 7))
    hint = tg.last_to(GROUP)
    assert "保持匿名" in hint.params["text"]
    assert hint.params.get("message_thread_id") == 7


async def test_binding_a_group_takes_one_of_its_administrators(tg: Harness) -> None:
    """A member who opens a shop of their own can't take a group that has the bot: Telegram
    (getChatMember) must say they are its creator or an administrator."""
    shops = tg.runtime.services.shops
    await tg.send(u.message(BOB, "/newshop Bob's Bargains", name="Bob"))
    for status in ("member", "restricted", "left"):
        tg.fake.set_member(GROUP, BOB, status)
        await tg.send(u.message(BOB, f"/bindgroup@{BOT_USERNAME}", chat_id=GROUP, name="Bob"))
        assert await shops.shop_for_group("telegram", str(GROUP)) is None
        refusal = tg.last_to(BOB).params["text"]  # privately, as any refusal in a group
        assert "only an administrator of this group" in refusal
    asked = tg.fake.sent("getChatMember")[-1]
    assert (asked["chat_id"], asked["user_id"]) == (GROUP, BOB)
    await tg.send(u.message(BOB, "/lang zh", name="Bob"))
    await tg.send(u.message(BOB, "/绑定群", chat_id=GROUP, name="Bob"))
    assert "管理员" in tg.last_to(BOB).params["text"]  # in the person's language
    assert await shops.shop_for_group("telegram", str(GROUP)) is None

    # An administrator who is not on the bound shop's team can't take the group over, and
    # the shop's owner, no longer an administrator, can't rebind it.
    await open_tea_house(tg)
    tg.fake.set_member(GROUP, BOB, "administrator")
    await tg.send(u.message(BOB, f"/bindgroup@{BOT_USERNAME}", chat_id=GROUP, name="Bob"))
    shop = await shops.shop_for_group("telegram", str(GROUP))
    assert shop is not None and shop.name == "Tea House"
    tg.fake.set_member(GROUP, MERCHANT, "member")
    await tg.send(u.message(MERCHANT, f"/bindgroup@{BOT_USERNAME}", chat_id=GROUP, name="Mia"))
    assert "only an administrator of this group" in tg.last_to(MERCHANT).params["text"]


async def test_binding_is_refused_when_telegram_cant_say_who_administers(tg: Harness) -> None:
    """Telegram can't be asked (its server fails): nothing is bound on a guess, and the person
    is told to try again."""
    await tg.send(u.message(MERCHANT, "/newshop Tea House", name="Mia"))
    tg.fake.set_member(GROUP, MERCHANT, "creator")
    tg.fake.fail("getChatMember", 502, "Bad Gateway")
    await tg.send(u.message(MERCHANT, f"/bindgroup@{BOT_USERNAME}", chat_id=GROUP, name="Mia"))
    assert await tg.runtime.services.shops.shop_for_group("telegram", str(GROUP)) is None
    refusal = tg.last_to(MERCHANT).params["text"]
    assert "can't check right now" in refusal and "nothing was changed" in refusal

    await tg.send(u.message(MERCHANT, f"/bindgroup@{BOT_USERNAME}", chat_id=GROUP, name="Mia"))
    assert await tg.runtime.services.shops.shop_for_group("telegram", str(GROUP))
