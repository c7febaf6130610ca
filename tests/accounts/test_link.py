"""/link end to end: one person's Telegram and WeChat accounts become one person."""

from __future__ import annotations

import re

from referral.models import Agent, Binding
from store.accounts.models import AccountCode
from store.cart import MAX_CART_LINES
from store.community.models import Subscription, SubscriptionStatus
from store.groupbuy.models import GroupSeat
from store.loyalty.models import Member
from store.models import CartItem, Identity, Order, Person, Product, Shop
from store.support.models import Ticket, TicketMessage
from tests.accounts.conftest import TG, WX, Talk
from tests.conftest import MERCHANT, FakeClock
from tests.groupbuy.test_chat import campaign


async def link_code(talk: Talk, platform: str, user: str) -> str:
    reply = (await talk.say(platform, user, "/link"))[0]
    found = re.search(r"link code: ([A-Z2-9]{4}-[A-Z2-9]{4})", reply.text)
    assert found and reply.private, reply.text
    return found.group(1)


async def person_of(platform: str, user: str) -> int:
    ident = await Identity.get(platform=platform, platform_user_id=user)
    return ident.person_id  # type: ignore[attr-defined]


async def snapshot() -> tuple[object, ...]:
    """Everything a refused /link must leave as it was."""
    return (
        await Person.all().order_by("id").values_list("id", flat=True),
        await Identity.all().order_by("id").values_list("id", "person_id"),
        await Order.all().order_by("id").values_list("id", "person_id"),
        await CartItem.all().order_by("id").values_list("id", "person_id", "quantity"),
    )


async def test_everything_follows_the_older_person(talk: Talk) -> None:
    # Amy is an agent; Alice on Telegram came through her link, ordered, keeps a cart.
    share = await talk.text(TG, "amy", "/ref")
    agent = re.search(r"agent code: ([2-9A-Z]{8})", share)
    assert agent, share
    await talk.say(TG, "alice", f"/start ref_{agent.group(1)}")
    tg_order = await talk.order(TG, "alice", "Li Lei", "13800138000", "浙江省杭州市西湖区文三路1号")
    await talk.say(TG, "alice", "/add 2 1")
    await talk.say(TG, "alice", "/subscribe")
    # The same Alice on WeChat: her own order and cart (same product: quantities add up).
    wx_order = await talk.order(WX, "wx-alice", "Li Lei", "13900139000", "上海市浦东新区1号")
    await talk.say(WX, "wx-alice", "/add 2 3")
    older, newer = await person_of(TG, "alice"), await person_of(WX, "wx-alice")
    assert older < newer

    code = await link_code(talk, TG, "alice")
    linked = await talk.text(WX, "wx-alice", f"/link {code.lower()} confirm")  # any case works
    assert "accounts are linked (Telegram, WeChat)" in linked

    assert await person_of(WX, "wx-alice") == older == await person_of(TG, "alice")
    assert not await Person.exists(id=newer)
    assert set(await Order.filter(person_id=older).values_list("order_no", flat=True)) == {
        tg_order,
        wx_order,
    }
    assert (await CartItem.get(person_id=older, product_id=2)).quantity == 4
    assert await Binding.filter(customer_id=older).count() == 1
    subs = await Subscription.filter(identity__person_id=older).values_list("status", flat=True)
    assert SubscriptionStatus.SUBSCRIBED in subs
    # Both accounts now see both orders.
    for platform, user in ((TG, "alice"), (WX, "wx-alice")):
        orders = await talk.text(platform, user, "/orders")
        assert tg_order in orders and wx_order in orders
    assert await Agent.exists(person_id=await person_of(TG, "amy"))


async def test_two_full_carts_stay_within_the_line_cap(talk: Talk) -> None:
    await talk.say(TG, "alice", "/start")
    await talk.say(WX, "wx-alice", "/start")
    older, newer = await person_of(TG, "alice"), await person_of(WX, "wx-alice")
    shop = await Shop.get(slug="demo")
    products = [
        await Product.create(shop=shop, title=f"Item {n}", price="1.00", stock=50)
        for n in range(35)
    ]
    for product in products[:25]:  # the survivor's cart: 25 lines
        await CartItem.create(person_id=older, shop=shop, product=product, quantity=1)
    # The other cart: two of the same products, then eight more than the survivor has.
    for product in products[23:]:
        await CartItem.create(person_id=newer, shop=shop, product=product, quantity=2)

    code = await link_code(talk, TG, "alice")
    assert "linked" in await talk.text(WX, "wx-alice", f"/link {code} confirm")

    lines = dict(await CartItem.filter(person_id=older).values_list("product_id", "quantity"))
    assert len(lines) == MAX_CART_LINES
    assert all(lines[p.id] for p in products[:25])  # every line of the survivor's stays
    assert lines[products[24].id] == 3  # the same product: quantities added
    # The room left (5 lines) went to the other cart's most recently added lines.
    assert {p.id for p in products[30:]} <= set(lines)
    assert not {p.id for p in products[25:30]} & set(lines)


async def test_bad_codes_get_a_clear_reply_and_change_nothing(talk: Talk, clock: FakeClock) -> None:
    code = await link_code(talk, TG, "alice")
    await talk.say(WX, "wx-alice", "/start")
    await talk.say(WX, "wx-bob", "/start")
    before = await snapshot()

    assert "not right" in await talk.text(WX, "wx-alice", "/link ABCD-EFGH")
    assert "not right" in await talk.text(WX, "wx-alice", "/link 12")  # not even a code
    assert "from this account" in await talk.text(TG, "alice", f"/link {code}")  # itself
    assert await snapshot() == before
    # The refusals did not use the code up: it still links.
    assert "linked" in await talk.text(WX, "wx-alice", f"/link {code} confirm")
    linked = await snapshot()

    assert "used already" in await talk.text(WX, "wx-bob", f"/link {code}")  # reused
    # A code from the same (now linked) person, sent from the other account.
    again = await link_code(talk, TG, "alice")
    assert "from this account" in await talk.text(WX, "wx-alice", f"/link {again}")
    # A second WeChat account for the same person: one account per platform.
    assert "same platform" in await talk.text(WX, "wx-bob", f"/link {again}")
    assert await snapshot() == linked
    # Expired after 10 minutes.
    late = await link_code(talk, TG, "alice")
    await talk.say(TG, "carol", "/start")
    before_late = await snapshot()
    clock.advance(minutes=10, seconds=1)
    assert "expired" in await talk.text(TG, "carol", f"/link {late}")
    assert await snapshot() == before_late


async def test_a_new_code_replaces_the_old_one_and_codes_are_hashed(talk: Talk) -> None:
    first = await link_code(talk, TG, "alice")
    second = await link_code(talk, TG, "alice")
    assert "used already" in await talk.text(WX, "wx-alice", f"/link {first}")
    stored = await AccountCode.all().values_list("code_hash", flat=True)
    assert all(first.replace("-", "") not in h and len(h) == 64 for h in stored)
    assert "linked" in await talk.text(WX, "wx-alice", f"/link {second} confirm")


async def test_in_a_group_the_code_goes_to_the_private_chat(talk: Talk) -> None:
    replies = await talk.say(TG, "alice", "/link", is_group=True)
    assert replies and all(r.private for r in replies)


async def test_two_agents_of_one_shop_become_one(talk: Talk) -> None:
    tg_agent = re.search(r"agent code: (\w{8})", await talk.text(TG, "amy", "/ref"))
    wx_agent = re.search(r"agent code: (\w{8})", await talk.text(WX, "wx-amy", "/ref"))
    assert tg_agent and wx_agent
    await talk.say(WX, "wx-bob", f"/start ref_{wx_agent.group(1)}")  # bob came through WeChat
    await talk.say(WX, "wx-amy", "/start")
    await Agent.filter(code=wx_agent.group(1)).update(pending_minor=1280)
    # Amy's WeChat self was bound to her Telegram self's agent: that binding must go.
    await Binding.create(
        shop_id=(await Agent.get(code=tg_agent.group(1))).shop_id,  # type: ignore[attr-defined]
        customer_id=await person_of(WX, "wx-amy"),
        agent=await Agent.get(code=tg_agent.group(1)),
        channel="link",
        bound_at=talk.runtime.services.clock(),
    )

    code = await link_code(talk, WX, "wx-amy")
    assert "linked" in await talk.text(TG, "amy", f"/link {code} confirm")

    amy = await person_of(TG, "amy")
    agents = await Agent.filter(person_id=amy)
    assert [a.code for a in agents] == [tg_agent.group(1)] and agents[0].pending_minor == 1280
    bob = await Binding.get(customer_id=await person_of(WX, "wx-bob"))
    assert bob.agent_id == agents[0].id  # type: ignore[attr-defined]
    assert not await Binding.exists(customer_id=amy)


async def test_points_balances_add_up(talk: Talk) -> None:
    await talk.say(TG, "alice", "/start")
    await talk.say(WX, "wx-alice", "/start")
    shop = await Shop.get(slug="demo")
    for user, points in (("alice", 30), ("wx-alice", 12)):
        platform = TG if user == "alice" else WX
        await Member.create(shop=shop, person_id=await person_of(platform, user), balance=points)
    code = await link_code(talk, TG, "alice")
    assert "linked" in await talk.text(WX, "wx-alice", f"/link {code} confirm")
    [member] = await Member.filter(shop=shop)
    assert member.balance == 42 and member.person_id == await person_of(TG, "alice")  # type: ignore[attr-defined]


async def test_seats_in_one_group_and_open_tickets_with_one_shop(talk: Talk) -> None:
    offer = await campaign(talk.chat)
    await talk.say(TG, "alice", f"/gbopen {offer}")
    for answer in ("Alice", "13800138000", "88 Nanjing Road, Shanghai"):
        opened = await talk.text(TG, "alice", answer)
    group = re.search(r"group ([2-9A-Z]{6})\b", opened)
    assert group, opened
    await talk.say(WX, "wx-alice", f"/join {group.group(1)}")
    for answer in ("Alice", "13800138000", "88 Nanjing Road, Shanghai"):
        await talk.say(WX, "wx-alice", answer)
    await talk.say(TG, "alice", "/ask Is it fresh?")
    await talk.say(WX, "wx-alice", "/ask When do you ship?")
    assert await GroupSeat.filter(holder__isnull=False).count() == 2

    code = await link_code(talk, TG, "alice")
    assert "linked" in await talk.text(WX, "wx-alice", f"/link {code} confirm")

    alice = await person_of(TG, "alice")
    seats = await GroupSeat.filter(person_id=alice).order_by("id")
    assert len(seats) == 2  # both seats and their orders stay
    assert [s.holder for s in seats] == [f"{seats[0].group_id}:{alice}", None]  # type: ignore[attr-defined]
    [ticket] = await Ticket.filter(person_id=alice)
    texts = (
        await TicketMessage.filter(ticket_id=ticket.id)
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert texts == ["Is it fresh?", "When do you ship?"]


async def test_the_account_that_gave_the_code_hears_of_the_link(talk: Talk) -> None:
    await talk.say(WX, "wx-bob", "/start")
    await talk.say(TG, "bob", "/lang en")
    code = await link_code(talk, TG, "bob")
    talk.inbox.take_all()
    await talk.say(WX, "wx-bob", f"/link {code} confirm")
    told = talk.inbox.take("bob")
    assert len(told) == 1 and "linked to yours" in told[0].text and "WeChat" in told[0].text
    assert talk.inbox.take("wx-bob") == []  # the account that typed the code got its answer


async def test_chinese_calls_the_link_code_one_name(talk: Talk) -> None:
    await talk.say(TG, "alice", "/lang zh")
    asked = await talk.text(TG, "alice", "/link")
    code = asked.split("/link ")[1].split("。")[0]
    refused = await talk.text(TG, "alice", f"/link {code}")  # from this same account
    help_line = await talk.text(TG, "alice", "/help link")
    for text in (asked, refused, help_line):
        assert "关联码" in text and "验证码" not in text, text
    assert "/link [<关联码> [confirm]]" in help_line  # the second step is in the usage too


async def test_a_code_first_says_whose_account_it_joins_and_links_only_when_confirmed(
    talk: Talk,
) -> None:
    """Someone handed another person's code ("send this for a coupon!") would hand over
    their account: the first step names it, warns, and changes nothing."""
    asked = (await talk.say(TG, "7001", "/link", name="Mallory"))[0].text
    code = asked.split("link code: ")[1].split()[0]
    await talk.say(WX, "wx-alice", "/start")
    before = await snapshot()
    preview = (await talk.say(WX, "wx-alice", f"/link {code}"))[0]
    assert "the account of Mallory (Telegram)" in preview.text
    assert "Never link with a code somebody else gave you." in preview.text
    assert "shops" not in preview.text  # neither runs one
    assert preview.buttons[0][0].payload == f"/link {code} confirm"
    assert await snapshot() == before
    assert await person_of(WX, "wx-alice") != await person_of(TG, "7001")
    # The shop's owner is warned that the shop would be shared too.
    asked = (await talk.say(TG, "7001", "/link", name="Mallory"))[0].text
    shop_code = asked.split("link code: ")[1].split()[0]
    owner = (await talk.say("sim", MERCHANT, f"/link {shop_code}"))[0].text
    assert "the shops either of you runs" in owner


async def test_a_code_from_an_account_without_a_name_says_which_platform(talk: Talk) -> None:
    """WeChat gives no name: the preview said "the account of — (WeChat)"."""
    asked = (await talk.say(WX, "wx-nameless", "/link"))[0].text
    code = asked.split("link code: ")[1].split()[0]
    preview = await talk.text(TG, "7002", f"/link {code}")
    assert "This code joins this account with an account on WeChat." in preview
    assert "—" not in preview
