"""A hypothesis state machine over the whole referral life, on SQLite.

Bind, order, pay, a duplicated pay event, partial and full refunds, complete, settle,
withdraw, approve and reject, in any order; after every step the ledger must still add up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from referral.errors import InsufficientBalance, WithdrawalRefused
from referral.ledger import balances, ledger_sums
from referral.models import (
    Agent,
    Binding,
    LedgerEntry,
    OrderCommission,
    OrderReferral,
    RateKind,
    Withdrawal,
    WithdrawalStatus,
)
from referral.services import ReferralServices
from store.catalog import NewProduct
from store.db import close_db, init_db
from store.errors import IllegalTransition, InvalidInput, StoreError
from store.events import OrderPaid, OrderRefunded
from store.models import Order, OrderStatus, Person
from store.money import to_minor
from store.orders import Contact
from store.services import StoreServices

S = OrderStatus
CONTACT = Contact("Zhang San", "13800138000", "1 Wensan Road, Hangzhou")
PEOPLE = 5  # 0..2 become agents; everyone can buy


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class ReferralLedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = Clock()
        self.store = StoreServices.build(clock=self.clock)
        self.referral = ReferralServices.build(self.store.bus, clock=self.clock)
        self.referral.subscribe()
        self.seen: dict[int, tuple[Any, ...]] = {}  # every entry as first seen
        self.paid_events: dict[str, OrderPaid] = {}

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(close_db())
        self.loop.close()

    # -- set-up ------------------------------------------------------------------------
    @initialize(
        rates=st.lists(st.integers(0, 1600), min_size=1, max_size=3),
        fee=st.sampled_from([0, 150]),
        uplines=st.lists(st.integers(0, 2), min_size=PEOPLE, max_size=PEOPLE),
    )
    def setup(self, rates: list[int], fee: int, uplines: list[int]) -> None:
        async def go() -> None:
            await init_db("sqlite://:memory:", create_schema=True)
            owner = await Person.create(display_name="owner")
            self.shop = await self.store.shops.create("Tea", owner)
            for title, price in (("Longjing", "99.99"), ("Nougat", "12.34")):
                await self.store.catalog.add_product(
                    self.shop.id, NewProduct(title=title, price=Decimal(price), stock=10_000)
                )
            self.people = [await Person.create(display_name=f"p{i}") for i in range(PEOPLE)]
            await self.referral.program.set_rates(self.shop.id, rates)
            await self.referral.program.set_withdraw_limits(
                self.shop.id, minimum=1, daily_max=10**9, fee_bp=fee
            )
            self.agents = [
                await self.referral.agents.enrol(self.shop.id, p.id) for p in self.people[:3]
            ]
            for person, upline in zip(self.people, uplines, strict=True):
                await self.referral.attribution.touch(
                    self.shop.id, person.id, self.agents[upline], "sim"
                )

        self.run(go())

    # -- rules -------------------------------------------------------------------------
    @rule(customer=st.integers(0, PEOPLE - 1), agent=st.integers(0, 2))
    def bind(self, customer: int, agent: int) -> None:
        self.run(
            self.referral.attribution.touch(
                self.shop.id, self.people[customer].id, self.agents[agent], "sim"
            )
        )

    @rule(policy=st.sampled_from(["first", "last"]))
    def change_policy(self, policy: str) -> None:
        from referral.models import BindPolicy

        self.run(self.referral.program.set_policy(self.shop.id, BindPolicy(policy)))

    @rule(
        product=st.integers(1, 2),
        fixed=st.booleans(),
        value=st.integers(0, 20_000),
    )
    def product_rate(self, product: int, fixed: bool, value: int) -> None:
        """A product's own level-1 rate: a percentage, or a fixed amount within the cap of the
        price now (the price may fall later: then orders hold it to the cap, see reprice)."""
        kind = RateKind.FIXED if fixed else RateKind.PERCENT
        try:
            self.run(self.referral.program.set_product_rate(self.shop.id, product, kind, value))
        except InvalidInput as e:
            assert e.code == ("fixed_rate_over_cap" if fixed else "rates_over_cap")

    @rule(product=st.integers(1, 2), cents=st.integers(1, 20_000))
    def reprice(self, product: int, cents: int) -> None:
        """A price that falls below what a fixed rate was set for: orders hold it to the cap."""
        price = Decimal(cents) / 100
        self.run(self.store.catalog.set_price(self.shop.id, product, price))

    @rule(
        customer=st.integers(0, PEOPLE - 1),
        lines=st.lists(st.tuples(st.integers(1, 2), st.integers(1, 3)), min_size=1, max_size=2),
    )
    def place(self, customer: int, lines: list[tuple[int, int]]) -> None:
        async def go() -> None:
            person = self.people[customer]
            for product, qty in lines:
                await self.store.carts.add(person.id, self.shop.id, product, qty)
            await self.store.orders.place(person.id, self.shop.id, CONTACT)

        self.run(go())

    def _order(self, index: int, *statuses: OrderStatus) -> Order | None:
        """One of the orders in one of `statuses` (any order when none are given)."""
        query = Order.all().order_by("id")
        if statuses:
            query = query.filter(status__in=statuses)
        found = self.run(query)
        return found[index % len(found)] if found else None

    @rule(index=st.integers(0, 50))
    def pay(self, index: int) -> None:
        order = self._order(index, S.PENDING_PAYMENT)
        if order is None:
            return
        self.run(self.store.payments.confirm_manual(order))
        self.paid_events[order.order_no] = OrderPaid(
            order_id=order.id,
            order_no=order.order_no,
            shop_id=self.shop.id,
            person_id=order.person_id,  # type: ignore[attr-defined]
            total=order.total,
            currency=order.currency,
            payment_method="manual",
            provider_payment_id=f"manual:{order.order_no}",
        )

    @rule(index=st.integers(0, 50))
    def duplicate_pay_event(self, index: int) -> None:
        if self.paid_events:
            event = list(self.paid_events.values())[index % len(self.paid_events)]
            self.run(self.store.bus.publish([event]))

    @rule(index=st.integers(0, 50), part=st.integers(1, 99))
    def partial_refund(self, index: int, part: int) -> None:
        """A partial refund as the store would announce it."""
        order = self._order(index, S.PAID, S.SHIPPED, S.COMPLETED, S.REFUNDED)
        if order is None:
            return
        refunded = (order.total * part / 100).quantize(Decimal("0.01"))
        if refunded <= 0:
            return
        self.run(
            self.store.bus.publish(
                [
                    OrderRefunded(
                        order_id=order.id,
                        order_no=order.order_no,
                        shop_id=self.shop.id,
                        person_id=order.person_id,  # type: ignore[attr-defined]
                        total=order.total,
                        currency=order.currency,
                        refunded=refunded,
                        payment_method="manual",
                        provider_payment_id=f"manual:{order.order_no}",
                        refund_key=f"order:{order.order_no}:{part}:{refunded}",
                        final=False,
                    )
                ]
            )
        )

    @rule(index=st.integers(0, 50))
    def full_refund(self, index: int) -> None:
        order = self._order(index, S.PAID, S.SHIPPED)
        if order is None:
            return

        async def go() -> None:
            asked = await self.store.orders.request_refund(order, "no")
            await self.store.orders.approve_refund(asked)

        self.run(go())

    @rule(index=st.integers(0, 50))
    def complete(self, index: int) -> None:
        order = self._order(index, S.PAID)
        if order is None:
            return

        async def go() -> None:
            shipped = await self.store.orders.ship(order, "SF", "SF1")
            await self.store.orders.complete(shipped)

        self.run(go())

    @rule(customer=st.integers(0, PEOPLE - 1), qty=st.integers(1, 5))
    def buy_and_receive(self, customer: int, qty: int) -> None:
        """The common case in one step, so settled money is there to withdraw."""

        async def go() -> None:
            person = self.people[customer]
            await self.store.carts.add(person.id, self.shop.id, 1, qty)
            order = await self.store.orders.place(person.id, self.shop.id, CONTACT)
            await self.store.payments.confirm_manual(order)
            shipped = await self.store.orders.ship(
                await self.store.orders.get(order.order_no), "SF", "SF2"
            )
            await self.store.orders.complete(shipped)

        self.run(go())

    @rule(days=st.sampled_from([1, 7, 8]))
    def settle(self, days: int) -> None:
        self.clock.now += timedelta(days=days)
        self.run(self.referral.ledger.release_due())

    @rule(agent=st.integers(0, 2), share=st.integers(1, 120))
    def withdraw(self, agent: int, share: int) -> None:
        """Ask for a share (in %) of the available balance; above 100% must be refused."""

        async def go() -> None:
            before = await Agent.get(id=self.agents[agent].id)
            amount = max(before.available_minor, 100) * share // 100
            try:
                withdrawal = await self.referral.withdrawals.request(before, amount)
            except (InsufficientBalance, WithdrawalRefused):
                return
            # never more than what was available when it was asked for
            assert withdrawal.amount_minor <= before.available_minor

        self.run(go())

    @rule(agent=st.integers(0, 2))
    def withdraw_everything_twice(self, agent: int) -> None:
        """The whole balance, asked for twice: the second request finds nothing left."""

        async def go() -> None:
            before = await Agent.get(id=self.agents[agent].id)
            if before.available_minor <= 0:
                return
            await self.referral.withdrawals.request(before, before.available_minor)
            try:
                await self.referral.withdrawals.request(before, before.available_minor)
            except InsufficientBalance:
                return
            raise AssertionError("overdrawn")

        self.run(go())

    @rule(index=st.integers(0, 50), approve=st.booleans())
    def decide_withdrawal(self, index: int, approve: bool) -> None:
        async def go() -> None:
            pending = await Withdrawal.filter(status=WithdrawalStatus.PENDING).order_by("id")
            if not pending:
                return
            w = pending[index % len(pending)]
            if approve:
                await self.referral.withdrawals.approve(self.shop.id, w.id)
            else:
                await self.referral.withdrawals.reject(self.shop.id, w.id, "wrong account")

        try:
            self.run(go())
        except (IllegalTransition, StoreError) as e:  # pragma: no cover - must not happen
            raise AssertionError(e) from e

    # -- invariants --------------------------------------------------------------------
    @invariant()
    def the_ledger_adds_up(self) -> None:
        if not hasattr(self, "agents"):
            return

        async def check() -> None:
            for agent in await Agent.all():
                assert await ledger_sums(agent.id) == balances(agent)
                assert agent.pending_minor >= 0 and agent.held_minor >= 0
                assert agent.withdrawn_minor >= 0

        self.run(check())

    @invariant()
    def no_entry_was_changed(self) -> None:
        if not hasattr(self, "agents"):
            return
        rows = self.run(
            LedgerEntry.all()
            .order_by("id")
            .values_list(
                "id",
                "agent_id",
                "order_id",
                "level",
                "kind",
                "ref",
                "pending",
                "available",
                "held",
                "withdrawn",
            )
        )
        current = {r[0]: tuple(r) for r in rows}
        for entry_id, row in self.seen.items():
            assert current.get(entry_id) == row, f"entry {entry_id} changed or vanished"
        self.seen.update(current)

    @invariant()
    def available_never_counts_frozen_money(self) -> None:
        if not hasattr(self, "agents"):
            return

        async def check() -> None:
            released = {
                r.order_id: r.released_at is not None  # type: ignore[attr-defined]
                for r in await OrderReferral.all()
            }
            sums: dict[tuple[int, int, int], list[int]] = {}
            for e in await LedgerEntry.filter(order_id__gt=0):
                key = (e.order_id, e.agent_id, e.level)  # type: ignore[attr-defined]
                total = sums.setdefault(key, [0, 0])
                total[0] += e.pending
                total[1] += e.available
            for (order_id, _, _), (pending, available) in sums.items():
                if released[order_id]:
                    assert pending == 0
                else:
                    assert available == 0
                assert pending + available >= 0  # never reversed more than earned

        self.run(check())

    @invariant()
    def commission_within_the_cap_and_no_self_referral(self) -> None:
        if not hasattr(self, "agents"):
            return

        async def check() -> None:
            program = await self.referral.program.get(self.shop.id)
            for r in await OrderReferral.all():
                commissions = await OrderCommission.filter(referral_id=r.id).prefetch_related(
                    "agent"
                )
                assert len(commissions) <= 3
                assert sum(c.amount_minor for c in commissions) <= (
                    r.goods_minor * program.cap_bp // 10_000
                )
                assert all(c.agent.person_id != r.customer_id for c in commissions)  # type: ignore[attr-defined]
                order = await Order.get(id=r.order_id)  # type: ignore[attr-defined]
                assert r.goods_minor == to_minor(order.total - order.shipping_fee, order.currency)
            bound_to = {}
            for b in await Binding.all().prefetch_related("agent"):
                assert b.agent.person_id != b.customer_id  # type: ignore[attr-defined]
                bound_to[b.customer_id] = b.agent.person_id  # type: ignore[attr-defined]
            for start in bound_to:  # no cycles: every upline ends
                seen, person = set(), start
                while person in bound_to:
                    assert person not in seen, f"cycle through person {person}"
                    seen.add(person)
                    person = bound_to[person]

        self.run(check())


ReferralLedgerMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_referral_ledger = ReferralLedgerMachine.TestCase
