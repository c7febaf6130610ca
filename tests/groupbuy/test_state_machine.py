"""A hypothesis state machine over open / join / pay / cancel / refund / let-expire, checking
the group-buy invariants after every step (SQLite in memory)."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from store.catalog import NewProduct
from store.db import close_db, init_db
from store.errors import StoreError
from store.groupbuy.models import (
    GroupBuy,
    GroupCampaign,
    GroupQuota,
    GroupSeat,
    GroupStatus,
    SeatStatus,
)
from store.groupbuy.service import NewCampaign
from store.models import Order, OrderItem, OrderStatus, Product, RefundJob
from store.orders import Contact
from store.services import StoreServices
from tests.conftest import FakeClock

S = OrderStatus
STOCK, SIZE, CAP, PER_CUSTOMER, PEOPLE = 12, 3, 11, 2, 6
CONTACT = Contact("Li Lei", "13800138000", "88 Nanjing Road, Shanghai")
HOLDS_STOCK = (S.PENDING_PAYMENT, S.PAID, S.SHIPPED, S.COMPLETED, S.REFUND_REQUESTED)
SEAT_ORDER = {
    SeatStatus.RESERVED: {S.PENDING_PAYMENT},
    SeatStatus.PAID: {S.PAID, S.REFUND_REQUESTED},
    SeatStatus.RELEASED: {S.CANCELLED},
    SeatStatus.REFUNDED: {S.REFUNDED},
}
person = st.integers(0, PEOPLE - 1)
pick = st.integers(0, 3)  # counted from the newest, so groups fill and complete too


class GroupBuyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.clock = FakeClock()
        self.services = StoreServices.build(clock=self.clock)
        self.codes: list[str] = []
        self.orders: list[str] = []
        self.terminal: dict[int, str] = {}

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.runner.run(coro)

    def teardown(self) -> None:
        self.run(close_db())
        self.runner.close()

    @initialize()
    def world(self) -> None:
        self.run(self._world())

    async def _world(self) -> None:
        await init_db("sqlite://:memory:", create_schema=True)
        s = self.services
        owner = await s.people.identify("sim", "owner", "Owner")
        shop = await s.shops.create("Tea", await s.people.person(owner.person_id))  # type: ignore[attr-defined]
        product = await s.catalog.add_product(
            shop.id, NewProduct(title="Tea", price=Decimal("30.00"), stock=STOCK)
        )
        self.shop_id, self.product_id = shop.id, product.id
        campaign = await s.groupbuys.create_campaign(
            shop.id,
            NewCampaign(
                product.id,
                Decimal("20.00"),
                SIZE,
                3600,
                per_customer=PER_CUSTOMER,
                seat_cap=CAP,
                leader_price=Decimal("18.00"),
            ),
        )
        self.campaign_id = campaign.id
        self.people = []
        for i in range(PEOPLE):
            ident = await s.people.identify("sim", f"p{i}", f"P{i}")
            self.people.append(ident.person_id)  # type: ignore[attr-defined]

    async def _try(self, coro) -> object:  # type: ignore[no-untyped-def]
        try:
            return await coro
        except StoreError:  # refused, with a reason a person would read: nothing changed
            return None

    # -- steps -----------------------------------------------------------------------------
    @rule(who=person)
    def open_group(self, who: int) -> None:
        seat = self.run(
            self._try(
                self.services.groupbuys.open_group(
                    self.shop_id, self.campaign_id, self.people[who], CONTACT
                )
            )
        )
        if seat is not None:
            self.codes.append(seat.group.code)  # type: ignore[attr-defined]
            self.orders.append(seat.order.order_no)  # type: ignore[attr-defined]

    @rule(who=person, which=pick, pay=st.booleans())
    def join(self, who: int, which: int, pay: bool) -> None:
        if not self.codes:
            return
        code = self.codes[-1 - which % len(self.codes)]
        seat = self.run(
            self._try(self.services.groupbuys.join(self.shop_id, code, self.people[who], CONTACT))
        )
        if seat is not None:
            self.orders.append(seat.order.order_no)  # type: ignore[attr-defined]
            if pay:  # at once, as most joiners do
                self.run(self._try(self.services.payments.confirm_manual(seat.order)))  # type: ignore[attr-defined]

    @rule(who=st.lists(person, min_size=2, max_size=4, unique=True), which=pick)
    def join_at_once(self, who: list[int], which: int) -> None:
        """Joins racing: all pass the friendly pre-checks before any takes its seat."""
        if not self.codes:
            return
        code = self.codes[-1 - which % len(self.codes)]
        self.run(self._join_at_once(code, [self.people[w] for w in who]))

    async def _join_at_once(self, code: str, people: list[int]) -> None:
        gb = self.services.groupbuys
        results = await asyncio.gather(
            *(gb.join(self.shop_id, code, p, CONTACT) for p in people), return_exceptions=True
        )
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, StoreError):
                raise r
            if not isinstance(r, BaseException):
                self.orders.append(r.order.order_no)

    def _order(self, which: int) -> Order | None:
        if not self.orders:
            return None
        return self.run(self.services.orders.get(self.orders[-1 - which % len(self.orders)]))

    @rule(which=pick)
    def pay(self, which: int) -> None:
        if (order := self._order(which)) is not None:
            self.run(self._try(self.services.payments.confirm_manual(order)))

    @rule(which=pick)
    def cancel(self, which: int) -> None:
        if (order := self._order(which)) is not None:
            self.run(self._try(self.services.orders.cancel(order, "customer")))

    @rule(which=pick)
    def refund(self, which: int) -> None:
        if (order := self._order(which)) is not None:
            self.run(self._refund(order))

    async def _refund(self, order: Order) -> None:
        orders = self.services.orders
        asked = await self._try(orders.request_refund(order, "changed my mind"))
        if asked is not None:
            await orders.approve_refund(asked)  # type: ignore[arg-type]

    @rule(minutes=st.sampled_from([5, 16, 50, 61]))
    def let_time_pass(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        self.run(self._sweep())

    async def _sweep(self) -> None:
        await self.services.orders.sweep()
        await self.services.groupbuy_sweep.run()
        await self.services.refunds.process_due()

    # -- invariants ------------------------------------------------------------------------
    @invariant()
    def holds(self) -> None:
        if hasattr(self, "shop_id"):
            self.run(self._check())

    async def _check(self) -> None:
        orders = {o.id: o for o in await Order.all()}
        held_units = sum(
            i.quantity
            for i in await OrderItem.all()
            if orders[i.order_id].status in HOLDS_STOCK  # type: ignore[attr-defined]
        )
        stock = (await Product.get(id=self.product_id)).stock
        assert stock >= 0 and stock + held_units == STOCK

        seats = await GroupSeat.all()
        held = [s for s in seats if s.status in (SeatStatus.RESERVED, SeatStatus.PAID)]
        for seat in seats:  # a seat follows its order
            assert orders[seat.order_id].status in SEAT_ORDER[seat.status], seat  # type: ignore[attr-defined]
        # One held seat per person per group; the per-customer limit and the cap hold.
        assert max(Counter((s.group_id, s.person_id) for s in held).values(), default=0) <= 1  # type: ignore[attr-defined]
        per_person = Counter(s.person_id for s in held)  # type: ignore[attr-defined]
        assert max(per_person.values(), default=0) <= PER_CUSTOMER
        quotas = {q.person_id: q.held for q in await GroupQuota.all()}  # type: ignore[attr-defined]
        assert {p: n for p, n in quotas.items() if n} == dict(per_person)
        campaign = await GroupCampaign.get(id=self.campaign_id)
        assert campaign.seats_held == len(held) <= CAP

        for group in await GroupBuy.all():
            mine = [s for s in held if s.group_id == group.id]  # type: ignore[attr-defined]
            assert len(mine) <= group.size and group.seats_taken <= group.size
            if group.status == GroupStatus.OPEN:
                assert group.seats_taken == len(mine)
                assert group.seats_paid == sum(s.status == SeatStatus.PAID for s in mine)
            else:  # a terminal state is final
                assert self.terminal.setdefault(group.id, group.status) == group.status
            if group.status == GroupStatus.FAILED and group.settled:
                assert not mine  # every seat of a failed group was cancelled or refunded
            if group.status == GroupStatus.COMPLETED and group.settled:
                assert all(s.status == SeatStatus.PAID for s in mine)
                assert (
                    len(mine)
                    + sum(
                        s.group_id == group.id and s.status == SeatStatus.REFUNDED  # type: ignore[attr-defined]
                        for s in seats
                    )
                    >= group.size
                )

        # Money owed back: one refund job per refunded order, never two.
        jobs = await RefundJob.all()
        refunded = {o.id for o in orders.values() if o.status == S.REFUNDED}
        assert sorted(j.order_id for j in jobs) == sorted(refunded)  # type: ignore[attr-defined]


GroupBuyMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_group_buy_state_machine = GroupBuyMachine.TestCase
