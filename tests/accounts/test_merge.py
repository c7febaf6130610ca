"""The generic merge: unique keys no participant combined are settled or refused."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from referral.models import Agent, AgentStatus, Binding
from store.accounts.merge import LinkConflict, merge_people
from store.community.models import CustomerTag
from store.models import Person, Shop
from tests.conftest import Chat


async def two_people(chat: Chat) -> tuple[int, int, int]:
    shop = await Shop.get(slug="demo")
    a, b = await Person.create(display_name="a"), await Person.create(display_name="b")
    return shop.id, a.id, b.id


async def test_a_leftover_duplicate_with_nothing_depending_on_it_is_dropped(chat: Chat) -> None:
    shop, a, b = await two_people(chat)
    for person in (a, b):
        await CustomerTag.create(shop_id=shop, person_id=person, tag="vip")
    await CustomerTag.create(shop_id=shop, person_id=b, tag="tea")
    async with in_transaction():
        await merge_people(b, a, [])
    tags = await CustomerTag.filter(person_id=a).order_by("tag").values_list("tag", flat=True)
    assert tags == ["tea", "vip"] and not await Person.exists(id=b)


async def test_a_duplicate_others_depend_on_refuses_the_merge(chat: Chat) -> None:
    shop, a, b = await two_people(chat)
    now = chat.runtime.services.clock()
    for person, code in ((a, "AAAAAAAA"), (b, "BBBBBBBB")):
        await Agent.create(shop_id=shop, person_id=person, code=code, status=AgentStatus.ACTIVE)
    customer = await Person.create(display_name="c")
    agent_b = await Agent.get(code="BBBBBBBB")
    await Binding.create(
        shop_id=shop, customer=customer, agent=agent_b, channel="link", bound_at=now
    )
    with pytest.raises(LinkConflict):  # without referral's participant: refused, not guessed
        async with in_transaction():
            await merge_people(b, a, [])
    assert await Person.exists(id=b) and await Agent.filter(person_id=b).count() == 1
    assert await Binding.filter(agent_id=agent_b.id).count() == 1
