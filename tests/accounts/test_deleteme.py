"""/deleteme end to end: confirmation first, then no name, phone or address anywhere."""

from __future__ import annotations

import re

from tortoise import Tortoise
from tortoise.fields import CharField, TextField

from store.community.models import CustomerTag, Subscription, SubscriptionStatus
from store.models import CartItem, Identity, Order, OrderStatus, Person
from store.reviews.models import Review
from store.support.models import Ticket, TicketMessage
from tests.accounts.conftest import TG, Talk
from tests.conftest import MERCHANT, FakeClock

NAME, PHONE, ADDRESS = "Wang Xiaoming", "13700137000", "浙江省杭州市西湖区文三路99号"


async def confirm_code(talk: Talk, user: str) -> str:
    reply = (await talk.say(TG, user, "/deleteme"))[0]
    found = re.search(r"/deleteme confirm ([A-Z2-9]{4}-[A-Z2-9]{4})", reply.text)
    assert found and reply.private, reply.text
    assert reply.buttons[0][0].payload == f"/deleteme confirm {found.group(1)}"
    return found.group(1)


async def texts_containing(*values: str) -> list[str]:
    """Every text column of every table, scanned for the values."""
    found = []
    for models in Tortoise.apps.values():
        for model in models.values():
            columns = [
                name
                for name, field in model._meta.fields_map.items()
                if isinstance(field, CharField | TextField)
            ]
            for row in await model.all().values(*columns) if columns else []:
                for column, value in row.items():
                    if isinstance(value, str) and any(v in value for v in values):
                        found.append(f"{model._meta.db_table}.{column}")
    return found


async def finished_order(talk: Talk, user: str) -> str:
    no = await talk.order(TG, user, NAME, PHONE, ADDRESS)
    await talk.chat.say(MERCHANT, f"/paid {no}")
    await talk.chat.say(MERCHANT, f"/ship {no} SF SF1")
    await talk.say(TG, user, f"/received {no}")
    return no


async def test_erase_keeps_orders_without_contact_details(talk: Talk) -> None:
    no = await finished_order(talk, "alice")
    await talk.say(TG, "alice", "/add 2 1")
    await talk.say(TG, "alice", "/subscribe")
    alice = (await Identity.get(platform=TG, platform_user_id="alice")).person_id  # type: ignore[attr-defined]
    await talk.chat.say(MERCHANT, f"/tag #{alice} loyal")  # the merchant's label: it goes
    assert await CustomerTag.exists(person_id=alice)
    # Free text she wrote: a review and a question to customer service.
    await talk.say(TG, "alice", f"/review {no} 4 Lovely tea, {NAME} says")
    await talk.say(TG, "alice", f"/ask Please call me on {PHONE}")
    assert await texts_containing(NAME, PHONE, ADDRESS)
    code = await confirm_code(talk, "alice")

    erased = await talk.text(TG, "alice", f"/deleteme confirm {code.lower()}")
    assert "has been erased" in erased

    assert await texts_containing(NAME, PHONE, ADDRESS) == []
    order = await Order.get(order_no=no)
    assert order.status == OrderStatus.COMPLETED and order.total > 0  # the books keep it
    assert (order.contact_name, order.phone, order.address) == ("—", "", "")
    person = await Person.get(id=order.person_id)  # type: ignore[attr-defined]
    assert person.display_name == "" and person.erased_at is not None
    ident = await Identity.get(platform=TG, platform_user_id="alice")
    assert ident.display_name == "" and ident.person_id == person.id  # type: ignore[attr-defined]
    assert not await CartItem.exists(person_id=person.id)
    sub = await Subscription.get(identity_id=ident.id)
    assert sub.status == SubscriptionStatus.UNSUBSCRIBED
    assert not await CustomerTag.exists(person_id=person.id)
    review = await Review.get(person_id=person.id)
    assert review.stars == 4 and review.text == ""  # the rating stays, the words go
    assert await TicketMessage.filter(author_id=person.id).values_list("text", flat=True) == ["—"]
    assert "not right" in await talk.text(TG, "alice", f"/deleteme confirm {code}")  # used up


async def test_without_confirmation_nothing_is_erased(talk: Talk, clock: FakeClock) -> None:
    await finished_order(talk, "alice")
    before = await texts_containing(NAME, PHONE, ADDRESS)
    assert "/deleteme confirm" in await talk.text(TG, "alice", "/deleteme")
    assert "not right" in await talk.text(TG, "alice", "/deleteme confirm ABCD-EFGH")
    assert "not right" in await talk.text(TG, "alice", "/deleteme confirm")
    other = await confirm_code(talk, "bob")  # someone else's code does not erase alice
    assert "not right" in await talk.text(TG, "alice", f"/deleteme confirm {other}")
    code = await confirm_code(talk, "alice")
    clock.advance(minutes=10, seconds=1)
    assert "expired" in await talk.text(TG, "alice", f"/deleteme confirm {code}")
    assert await texts_containing(NAME, PHONE, ADDRESS) == before


async def test_open_orders_and_merchants_are_refused(talk: Talk) -> None:
    no = await talk.order(TG, "alice", NAME, PHONE, ADDRESS)
    refused = await talk.text(TG, "alice", "/deleteme")
    assert f"open orders ({no})" in refused and "confirm" not in refused
    assert "shop's team" in await talk.chat.text(MERCHANT, "/deleteme")
    assert await Order.filter(phone=PHONE).count() == 1


async def test_after_erasure_checkout_asks_for_the_contact_again(talk: Talk) -> None:
    await finished_order(talk, "alice")
    code = await confirm_code(talk, "alice")
    await talk.say(TG, "alice", f"/deleteme confirm {code}")
    await talk.say(TG, "alice", "/add 1 1")
    ask = (await talk.say(TG, "alice", "/checkout"))[0]
    assert "1/3" in ask.text and not [b for row in ask.buttons for b in row if "last" in b.payload]


async def test_back_after_erasure_the_shop_sees_the_name_again(talk: Talk) -> None:
    await finished_order(talk, "alice")
    code = await confirm_code(talk, "alice")
    await talk.say(TG, "alice", f"/deleteme confirm {code}")
    await talk.say(TG, "alice", "/ask Hello again")  # writing again stores the name again
    ident = await Identity.get(platform=TG, platform_user_id="alice")
    person = await Person.get(id=ident.person_id)  # type: ignore[attr-defined]
    assert person.display_name == "alice" and person.erased_at is not None
    ticket = await talk.chat.text(MERCHANT, "/tickets")
    assert "· alice ·" in ticket, ticket


async def test_the_shop_sees_a_dash_where_an_erased_name_was(talk: Talk) -> None:
    no = await finished_order(talk, "alice")
    await talk.say(TG, "alice", f"/review {no} 4 Lovely")
    await talk.say(TG, "alice", "/ask Hello")
    code = await confirm_code(talk, "alice")
    await talk.say(TG, "alice", f"/deleteme confirm {code}")
    assert "#1 ★★★★☆ — · " in await talk.chat.text(MERCHANT, "/reviews 1")
    assert "★★★★☆ — · " in await talk.chat.text("bob", "/reviews 1")  # not "**"
    assert "· — ·" in await talk.chat.text(MERCHANT, "/tickets")
    ticket = (await Ticket.get()).id
    thread = await talk.chat.text(MERCHANT, f"/ticket T{ticket}")
    assert f"Ticket T{ticket} · — · open" in thread and " —: —" in thread, thread
    assert "Sent to — " in await talk.chat.text(MERCHANT, f"/reply T{ticket} Noted")
