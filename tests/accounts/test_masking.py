"""Phones and addresses are masked everywhere but where the merchant ships from."""

from __future__ import annotations

import csv
import io

import pytest

from store.accounts.masking import mask_address, mask_phone
from tests.conftest import MERCHANT, Chat
from tests.dashboard.conftest import dashboard_client
from tests.groupbuy.test_chat import campaign, give_contact

NAME, PHONE, ADDRESS = "Zhang San", "13800138000", "浙江省杭州市西湖区文三路1号"
MASKED_PHONE, MASKED_ADDRESS = "138****8000", "浙江省杭州市****"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13800138000", "138****8000"), ("+86 138 0013 8000", "138****8000"), ("12345", "****")],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("浙江省杭州市西湖区文三路1号", "浙江省杭州市****"),
        ("上海市浦东新区世纪大道100号", "上海市****"),
        ("广西壮族自治区南宁市青秀区民族大道", "广西壮族自治区南宁市****"),
        ("1 Wensan Road, Hangzhou", "****, Hangzhou"),
        ("", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


async def place(chat: Chat, user: str = "alice") -> tuple[str, str]:
    """An order through checkout; returns its number and the confirmation step's text."""
    await chat.say(user, "/add 1 1")
    await chat.say(user, "/checkout")
    await chat.say(user, NAME)
    await chat.say(user, PHONE)
    confirm = await chat.text(user, ADDRESS)
    replies = await chat.say(user, "/checkout confirm")
    return replies[0].pay_order_no or "", confirm


async def test_customer_sees_masked_merchant_sees_full_only_to_ship(chat: Chat) -> None:
    no, confirm = await place(chat)
    assert MASKED_PHONE in confirm and MASKED_ADDRESS in confirm
    assert PHONE not in confirm and ADDRESS not in confirm
    pushed = chat.pushed(MERCHANT)  # the new-order notification
    assert no in pushed and PHONE not in pushed and ADDRESS not in pushed
    # Unpaid: nothing to ship yet.
    assert MASKED_PHONE in await chat.text(MERCHANT, f"/sale {no}")
    await chat.say(MERCHANT, f"/paid {no}")
    to_ship = await chat.text(MERCHANT, f"/sale {no}")
    assert PHONE in to_ship and ADDRESS in to_ship
    await chat.say(MERCHANT, f"/ship {no} SF SF123")
    shipped = await chat.text(MERCHANT, f"/sale {no}")
    assert MASKED_PHONE in shipped and PHONE not in shipped and ADDRESS not in shipped
    for text in (chat.pushed("alice"), await chat.text("alice", f"/order {no}")):
        assert PHONE not in text and ADDRESS not in text
    # Checking out again offers the last address, masked.
    await chat.say("alice", "/add 1 1")
    offer = (await chat.say("alice", "/checkout"))[0]
    labels = [b.label for row in offer.buttons for b in row]
    assert any(MASKED_ADDRESS in label for label in labels), labels


async def test_dashboard_detail_and_export_show_full_contact_only_to_ship(chat: Chat) -> None:
    paid, _ = await place(chat, "alice")
    await chat.say(MERCHANT, f"/paid {paid}")
    pending, _ = await place(chat, "bob")
    async with dashboard_client(chat) as dash:
        await dash.login()
        _, page = await dash.get(f"/dashboard/orders/{paid}")
        assert PHONE in page and ADDRESS in page
        _, page = await dash.get(f"/dashboard/orders/{pending}")
        assert PHONE not in page and MASKED_PHONE in page and MASKED_ADDRESS in page
        resp = await dash.client.get("/dashboard/orders.csv")
        rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    by_no = {r["order_no"]: r for r in rows}
    assert (by_no[paid]["phone"], by_no[paid]["address"]) == (PHONE, ADDRESS)
    assert (by_no[pending]["phone"], by_no[pending]["address"]) == (MASKED_PHONE, MASKED_ADDRESS)


async def test_group_buy_seat_shows_the_address_masked(chat: Chat) -> None:
    offer = await campaign(chat)
    assert "1/3" in await chat.text("alice", f"/gbopen {offer}")
    seat = await give_contact(chat, "alice")
    assert "Deliver to: Alice, ****, Shanghai" in seat and "88 Nanjing Road" not in seat
