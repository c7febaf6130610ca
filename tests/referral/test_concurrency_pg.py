"""On real PostgreSQL: concurrent withdrawals never overdraw; replayed events pay once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from referral.errors import InsufficientBalance
from referral.ledger import balances, ledger_sums
from referral.models import Agent, EntryKind, LedgerEntry, Withdrawal
from referral.services import ReferralServices
from store.catalog import NewProduct
from store.events import OrderPaid
from store.models import Person
from store.orders import Contact
from store.services import StoreServices
from tests.conftest import FakeClock

CONTACT = Contact("Li Si", "13900139000", "2 Nanshan Road, Hangzhou")


async def _settled_agent(
    clock: FakeClock,
) -> tuple[StoreServices, ReferralServices, Agent, OrderPaid]:
    """An agent whose customer's order was paid, completed and released."""
    store = StoreServices.build(clock=clock)
    referral = ReferralServices.build(store.bus, clock=clock)
    referral.subscribe()
    paid: list[OrderPaid] = []

    async def keep(event: OrderPaid) -> None:
        paid.append(event)

    store.bus.subscribe(OrderPaid, keep)
    owner = await Person.create(display_name="owner")
    shop = await store.shops.create("Tea", owner)
    await store.catalog.add_product(
        shop.id, NewProduct(title="Longjing", price=Decimal("128.00"), stock=100)
    )
    amy = await Person.create(display_name="amy")
    bob = await Person.create(display_name="bob")
    agent = await referral.agents.enrol(shop.id, amy.id)
    await referral.attribution.touch(shop.id, bob.id, agent, "telegram")
    await store.carts.add(bob.id, shop.id, 1, 2)
    order = await store.orders.place(bob.id, shop.id, CONTACT)
    await store.payments.confirm_manual(order)
    shipped = await store.orders.ship(await store.orders.get(order.order_no), "SF", "SF1")
    await store.orders.complete(shipped)
    clock.advance(days=8)
    assert await referral.ledger.release_due() == 1
    return store, referral, await Agent.get(id=agent.id), paid[0]


async def test_twenty_concurrent_withdrawals_of_the_whole_balance(pg: str) -> None:
    _, referral, agent, _ = await _settled_agent(FakeClock())
    assert agent.available_minor == 2560  # 10% of 256.00
    results = await asyncio.gather(
        *(referral.withdrawals.request(agent, agent.available_minor) for _ in range(20)),
        return_exceptions=True,
    )
    succeeded = [r for r in results if isinstance(r, Withdrawal)]
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert len(succeeded) == 1 and len(refused) == 19, results
    after = await Agent.get(id=agent.id)
    assert (after.available_minor, after.held_minor) == (0, 2560)
    assert await ledger_sums(agent.id) == balances(after)
    assert await Withdrawal.all().count() == 1


async def test_replayed_and_concurrent_events_pay_once(pg: str) -> None:
    clock = FakeClock()
    store, referral, agent, paid = await _settled_agent(clock)
    await asyncio.gather(*(store.bus.publish([paid]) for _ in range(10)))
    assert await referral.ledger.release_due() == 0
    await asyncio.gather(*(referral.ledger.release_due() for _ in range(5)))
    kinds = await LedgerEntry.filter(agent_id=agent.id).values_list("kind", flat=True)
    assert sorted(kinds) == [EntryKind.COMMISSION, EntryKind.RELEASE]
    assert await ledger_sums(agent.id) == balances(await Agent.get(id=agent.id))
