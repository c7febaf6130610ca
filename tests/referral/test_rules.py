"""Commission arithmetic, binding policies, claw-back and withdrawal limits, service by service."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.runtime import Runtime
from referral.commissions import Line, line_bases, plan
from referral.errors import InsufficientBalance, WithdrawalRefused
from referral.ledger import balances, ledger_sums
from referral.models import (
    Agent,
    BindPolicy,
    EntryChanged,
    LedgerEntry,
    OrderCommission,
    ProductRate,
    RateKind,
    ReferralProgram,
    Touch,
)
from referral.services import ReferralServices
from store.errors import InvalidInput
from store.events import OrderRefunded
from store.models import Order, Person, Shop
from store.orders import Contact
from tests.conftest import FakeClock

CONTACT = Contact("Li Si", "13900139000", "2 Nanshan Road, Hangzhou")


def program(**kw: int) -> ReferralProgram:
    values = {"levels": 2, "rate1_bp": 1000, "rate2_bp": 500, "rate3_bp": 0, "cap_bp": 5000}
    return ReferralProgram(**{**values, **kw})


def test_line_bases_spread_the_goods_total_exactly() -> None:
    lines = [Line(1, 1, 3333), Line(2, 2, 3333), Line(3, 1, 3334)]
    bases = line_bases(lines, 9000)  # a discount: 90.00 paid for 100.00 listed
    assert sum(bases) == 9000 and bases == [2999, 2999, 3002]


def test_plan_rates_per_level_rounding_down() -> None:
    shares = plan([Line(1, 1, 9999)], 9999, program(), {}, levels=2)
    assert [(s.level, s.amount_minor) for s in shares] == [(1, 999), (2, 499)]
    assert [s.level for s in plan([Line(1, 1, 9999)], 9999, program(), {}, levels=1)] == [1]


def test_plan_product_overrides_and_the_cap() -> None:
    rates = {
        1: ProductRate(product_id=1, kind=RateKind.PERCENT, value=3000),
        2: ProductRate(product_id=2, kind=RateKind.FIXED, value=4000),  # 40.00 per item
    }
    lines = [Line(1, 1, 10000), Line(2, 2, 10000), Line(3, 1, 10000)]
    shares = plan(lines, 30000, program(), rates, levels=2)
    # line 1: 30% + 5%; line 2: fixed 80.00 held to the 50% cap (50.00), level 2 gets nothing
    # left; line 3: the shop's 10% + 5%
    assert [s.amount_minor for s in shares] == [3000 + 5000 + 1000, 500 + 0 + 500]
    assert sum(s.amount_minor for s in shares) <= 30000 * 5000 // 10000


async def _world(runtime: Runtime) -> tuple[ReferralServices, Shop, Agent, Person]:
    from store.demo import seed_demo

    await seed_demo(runtime.services)
    ref = runtime.referral
    assert ref is not None
    shop = await Shop.get(slug="demo")
    amy = await Person.create(display_name="amy")
    bob = await Person.create(display_name="bob")
    agent = await ref.agents.enrol(shop.id, amy.id)
    return ref, shop, agent, bob


async def _buy(runtime: Runtime, shop: Shop, person: Person, qty: int = 1) -> Order:
    s = runtime.services
    await s.carts.add(person.id, shop.id, 1, qty)
    order = await s.orders.place(person.id, shop.id, CONTACT)
    await s.payments.confirm_manual(order)
    return await s.orders.get(order.order_no)


async def test_policies_first_days_last(runtime: Runtime, clock: FakeClock) -> None:
    ref, shop, amy, bob = await _world(runtime)
    carl = await ref.agents.enrol(shop.id, (await Person.create(display_name="carl")).id)
    assert (await ref.attribution.touch(shop.id, bob.id, amy, "telegram")).outcome == "bound"
    assert (await ref.attribution.touch(shop.id, bob.id, carl, "wechat")).outcome == "kept"
    await ref.program.set_policy(shop.id, BindPolicy.DAYS, 10)
    clock.advance(days=9)
    assert (await ref.attribution.touch(shop.id, bob.id, carl, "wechat")).outcome == "kept"
    clock.advance(days=2)
    assert (await ref.attribution.touch(shop.id, bob.id, carl, "wechat")).outcome == "rebound"
    await ref.program.set_policy(shop.id, BindPolicy.LAST)
    assert (await ref.attribution.touch(shop.id, bob.id, amy, "sim")).outcome == "rebound"
    touches = await Touch.filter(shop_id=shop.id, customer_id=bob.id).order_by("id")
    assert [(t.channel, t.outcome) for t in touches] == [
        ("telegram", "bound"),
        ("wechat", "kept"),
        ("wechat", "kept"),
        ("wechat", "rebound"),
        ("sim", "rebound"),
    ]


async def test_binding_is_snapshotted_when_the_order_is_placed(runtime: Runtime) -> None:
    ref, shop, amy, bob = await _world(runtime)
    carl = await ref.agents.enrol(shop.id, (await Person.create(display_name="carl")).id)
    await ref.program.set_policy(shop.id, BindPolicy.LAST)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    s = runtime.services
    await s.carts.add(bob.id, shop.id, 1, 1)
    order = await s.orders.place(bob.id, shop.id, CONTACT)
    await ref.attribution.touch(shop.id, bob.id, carl, "sim")  # rebound before paying
    await s.payments.confirm_manual(order)
    entry = await LedgerEntry.get(kind="commission")
    assert entry.agent_id == amy.id  # type: ignore[attr-defined]


async def test_claw_back_after_release_goes_negative_and_carries_forward(
    runtime: Runtime, clock: FakeClock
) -> None:
    ref, shop, amy, bob = await _world(runtime)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    order = await _buy(runtime, shop, bob)
    s = runtime.services
    await s.orders.complete(await s.orders.ship(order, "SF", "1"))
    clock.advance(days=8)
    await ref.ledger.release_due()
    await ref.withdrawals.request(await Agent.get(id=amy.id), 1280)
    refund = OrderRefunded(
        order_id=order.id,
        order_no=order.order_no,
        shop_id=shop.id,
        person_id=bob.id,
        total=order.total,
        currency="CNY",
        refunded=Decimal("64.00"),
        payment_method="manual",
        provider_payment_id=f"manual:{order.order_no}",
        refund_key=f"order:{order.order_no}:1",
        final=False,
    )
    await s.bus.publish([refund, refund])  # half refunded, and the event came twice
    agent = await Agent.get(id=amy.id)
    assert balances(agent).available == -640 and balances(agent).held == 1280
    assert await ledger_sums(amy.id) == balances(agent)
    # the refused withdrawal comes back and pays the debt first
    await ref.withdrawals.reject(shop.id, 1, "bank closed")
    assert (await Agent.get(id=amy.id)).available_minor == 640
    with pytest.raises(InsufficientBalance):
        await ref.withdrawals.request(await Agent.get(id=amy.id), 1280)


async def test_withdrawal_limits_and_fee(runtime: Runtime, clock: FakeClock) -> None:
    ref, shop, amy, bob = await _world(runtime)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    order = await _buy(runtime, shop, bob, qty=3)  # 38.40 commission
    s = runtime.services
    await s.orders.complete(await s.orders.ship(order, "SF", "1"))
    clock.advance(days=8)
    await ref.ledger.release_due()
    await ref.program.set_withdraw_limits(shop.id, minimum=1000, daily_max=2000, fee_bp=100)
    agent = await Agent.get(id=amy.id)
    with pytest.raises(WithdrawalRefused) as low:
        await ref.withdrawals.request(agent, 999)
    assert low.value.code == "withdraw_below_minimum"
    w = await ref.withdrawals.request(agent, 1500)
    assert w.fee_minor == 15
    with pytest.raises(WithdrawalRefused) as high:
        await ref.withdrawals.request(agent, 1000)
    assert high.value.code == "withdraw_over_daily_max"
    clock.advance(days=1)  # a new day in Shanghai
    await ref.withdrawals.request(agent, 1000)


async def test_rates_are_validated(runtime: Runtime) -> None:
    ref, shop, _, _ = await _world(runtime)
    with pytest.raises(InvalidInput):
        await ref.program.set_rates(shop.id, [1000, 1000, 1000, 1000])
    with pytest.raises(InvalidInput):
        await ref.program.set_rates(shop.id, [4000, 2000])
    await ref.program.set_rates(shop.id, [2000, 1000])
    with pytest.raises(InvalidInput):
        await ref.program.set_product_rate(shop.id, 1, RateKind.PERCENT, 4500)


async def test_entries_cannot_be_edited_or_deleted(runtime: Runtime) -> None:
    ref, shop, amy, bob = await _world(runtime)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    await _buy(runtime, shop, bob)
    entry = await LedgerEntry.get(kind="commission")
    entry.pending = 1
    with pytest.raises(EntryChanged):
        await entry.save()
    with pytest.raises(EntryChanged):
        await entry.delete()


async def _earners(order: Order) -> list[tuple[int, int]]:
    """(agent id, level) of everyone who earns on the order."""
    rows = await OrderCommission.filter(referral__order_id=order.id).order_by("level")
    return [(c.agent_id, c.level) for c in rows]  # type: ignore[attr-defined]


async def test_days_binding_earns_until_it_ends_and_not_after(
    runtime: Runtime, clock: FakeClock
) -> None:
    ref, shop, amy, bob = await _world(runtime)
    await ref.program.set_policy(shop.id, BindPolicy.DAYS, 10)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    clock.advance(days=9)
    before = await _buy(runtime, shop, bob)
    assert await _earners(before) == [(amy.id, 1)]
    clock.advance(days=2)  # the 10 days are over; nobody else's link came
    after = await _buy(runtime, shop, bob)
    assert await _earners(after) == []
    assert await LedgerEntry.filter(order_id=after.id).count() == 0
    assert [e.order_id for e in await LedgerEntry.filter(kind="commission")] == [before.id]  # type: ignore[attr-defined]
    # A new touch binds again for 10 days, by the same agent too.
    assert (await ref.attribution.touch(shop.id, bob.id, amy, "sim")).outcome == "rebound"
    assert await _earners(await _buy(runtime, shop, bob)) == [(amy.id, 1)]


async def test_a_binding_made_before_days_counts_its_days_from_when_it_was_made(
    runtime: Runtime, clock: FakeClock
) -> None:
    ref, shop, amy, bob = await _world(runtime)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")  # under `first`: no end
    clock.advance(days=11)
    await ref.program.set_policy(shop.id, BindPolicy.DAYS, 10)
    assert await _earners(await _buy(runtime, shop, bob)) == []
    await ref.program.set_policy(shop.id, BindPolicy.FIRST)  # permanent again
    assert await _earners(await _buy(runtime, shop, bob)) == [(amy.id, 1)]


@pytest.mark.parametrize("policy", [BindPolicy.FIRST, BindPolicy.LAST])
async def test_first_and_last_bindings_do_not_end(
    runtime: Runtime, clock: FakeClock, policy: BindPolicy
) -> None:
    ref, shop, amy, bob = await _world(runtime)
    await ref.program.set_policy(shop.id, policy)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    clock.advance(days=4000)
    assert await _earners(await _buy(runtime, shop, bob)) == [(amy.id, 1)]


async def _two_levels(
    runtime: Runtime, clock: FakeClock
) -> tuple[ReferralServices, Shop, Agent, Agent, Person]:
    """Under `days 10`: bob (an agent) bound to amy, and 5 days later cat bound to bob."""
    ref, shop, amy, bob = await _world(runtime)
    await ref.program.set_rates(shop.id, [1000, 500])
    await ref.program.set_policy(shop.id, BindPolicy.DAYS, 10)
    sub = await ref.agents.enrol(shop.id, bob.id)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    clock.advance(days=5)
    cat = await Person.create(display_name="cat")
    await ref.attribution.touch(shop.id, cat.id, sub, "sim")
    return ref, shop, amy, sub, cat


async def test_the_upline_stops_at_an_ended_binding(runtime: Runtime, clock: FakeClock) -> None:
    _ref, shop, amy, sub, cat = await _two_levels(runtime, clock)
    assert await _earners(await _buy(runtime, shop, cat)) == [(sub.id, 1), (amy.id, 2)]
    clock.advance(days=6)  # bob's binding to amy is over, cat's to bob is not
    assert await _earners(await _buy(runtime, shop, cat)) == [(sub.id, 1)]


async def test_the_team_counts_the_bindings_in_force(runtime: Runtime, clock: FakeClock) -> None:
    ref, shop, amy, sub, _cat = await _two_levels(runtime, clock)

    async def team(agent: Agent) -> list[tuple[int, int]]:
        levels = await ref.reports.team(agent, await ref.program.get(shop.id), clock())
        return [(t.customer_count, t.agent_count) for t in levels]

    assert await team(amy) == [(1, 1), (1, 0)]
    clock.advance(days=6)  # bob's binding to amy is over, cat's to bob is not
    assert await team(amy) == [(0, 0)]
    assert await team(sub) == [(1, 0)]
