"""Partial refunds as the other capabilities hear them: referral commission and coupons."""

from __future__ import annotations

from decimal import Decimal

from bot.runtime import Runtime
from referral.models import Agent
from store.models import OrderStatus
from store.promotions.models import Coupon, CouponKind
from store.promotions.service import NewCoupon
from tests.integration.world import CONTACT
from tests.referral.test_rules import _buy, _world


async def test_two_equal_partial_refunds_each_reverse_commission(runtime: Runtime) -> None:
    """Both halves are reversed: the ledger's once-only key is the refund, not its amount."""
    ref, shop, amy, bob = await _world(runtime)
    await ref.attribution.touch(shop.id, bob.id, amy, "sim")
    s = runtime.services
    order = await _buy(runtime, shop, bob, qty=2)
    assert (await Agent.get(id=amy.id)).pending_minor > 0
    await s.orders.refund_items(order, 1, 1)
    half = (await Agent.get(id=amy.id)).pending_minor
    assert half > 0
    await s.orders.refund_items(order, 1, 1)
    assert (await Agent.get(id=amy.id)).pending_minor == 0
    assert (await s.orders.get(order.order_no)).status == OrderStatus.REFUNDED


async def test_refunding_every_unit_gives_the_coupon_back(runtime: Runtime) -> None:
    _, shop, _, bob = await _world(runtime)
    s = runtime.services
    await s.promotions.create_coupon(
        shop.id, NewCoupon("ONE", CouponKind.AMOUNT, Decimal(5), uses=1)
    )
    await s.carts.add(bob.id, shop.id, 1, 2)
    await s.orders.pricing.apply_coupon(bob.id, shop.id, "ONE")
    order = await s.orders.place(bob.id, shop.id, CONTACT)
    await s.payments.confirm_manual(order)
    await s.orders.refund_items(order, 1, 1)
    assert (await Coupon.get(code="ONE")).used == 1  # a partial refund keeps it
    await s.orders.refund_items(order, 1)
    assert (await Coupon.get(code="ONE")).used == 0
