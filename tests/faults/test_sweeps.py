"""SIGKILL of `microstore sweep` in the middle of its work; a restart finishes the job, once.

Two sweeps that move money: failed group buys refunding their paid seats, and commission
leaving its freeze period. Each test builds a database with much to do, starts the real
command against it, kills it as soon as part of the work is committed, runs it again, and
checks that every seat, unit of stock, refund and ledger entry is there exactly once.

PostgreSQL only (skipped without MICROSTORE_TEST_POSTGRES): both pass on SQLite too, but each
run starts the command twice, too slow to pay for twice in the suite.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.ledger import seed
from referral.ledger import balances, ledger_sums
from referral.models import Agent, EntryKind, LedgerEntry, OrderCommission, OrderReferral
from store.groupbuy.models import GroupBuy, GroupCampaign, GroupQuota, GroupSeat, GroupStatus
from store.groupbuy.models import SeatStatus as Seat
from store.groupbuy.service import NewCampaign
from store.models import Order, OrderStatus, Product, RefundJob
from store.services import StoreServices
from tests.conftest import FakeClock
from tests.integration.conftest import Db
from tests.integration.world import CONTACT, make_product, make_shop
from tests.servers import clean_env, command, kill_when

GROUPS, SIZE, STOCK = 12, 4, 500
PAID_PER_GROUP = 3  # one short of SIZE: every group fails at its deadline
REFERRED_ORDERS = 120  # one `microstore sweep` round releases up to 200


async def sweep(db: Db, workdir: Path) -> asyncio.subprocess.Process:
    return await command(workdir, "sweep", env=clean_env(MICROSTORE_DATABASE__URL=db.plain_url))


async def sweep_to_the_end(db: Db, workdir: Path) -> None:
    proc = await sweep(db, workdir)
    assert await proc.wait() == 0


async def failing_groups(services: StoreServices) -> tuple[Product, list[int]]:
    """GROUPS groups whose deadline passed an hour ago, each with 3 paid seats of 4, and in
    every third one an unpaid fourth seat; the ids of the paid orders."""
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, STOCK, price=Decimal("30.00"))
    campaign = await services.groupbuys.create_campaign(
        shop.id, NewCampaign(product.id, Decimal("20.00"), SIZE, 3600)
    )
    paid = []
    for g in range(GROUPS):
        leader = await services.people.identify("sim", f"leader{g}")
        seat = await services.groupbuys.open_group(
            shop.id,
            campaign.id,
            leader.person_id,
            CONTACT,  # type: ignore[attr-defined]
        )
        orders = [seat.order]
        for j in range(1, SIZE if g % 3 == 0 else PAID_PER_GROUP):
            member = await services.people.identify("sim", f"member{g}-{j}")
            joined = await services.groupbuys.join(
                shop.id,
                seat.group.code,
                member.person_id,
                CONTACT,  # type: ignore[attr-defined]
            )
            orders.append(joined.order)
        for order in orders[:PAID_PER_GROUP]:
            await services.payments.confirm_manual(order)
            paid.append(order.id)
    return product, paid


async def test_sigkill_mid_group_expiry_refunds_every_paid_seat_once(
    pg_db: Db, tmp_path: Path
) -> None:
    # Opened two hours ago, real time: the real command's clock finds every group expired.
    clock = FakeClock()
    clock.now = datetime.now(UTC) - timedelta(hours=2)
    services = StoreServices.build(clock=clock)
    product, paid = await failing_groups(services)
    assert len(paid) == GROUPS * PAID_PER_GROUP

    proc = await sweep(pg_db, tmp_path)
    at_kill = await kill_when(proc, RefundJob.all().count, at_least=3)
    refunded_then = await RefundJob.all().count()
    assert at_kill <= refunded_then < len(paid), "the kill came after the sweep was done"

    await sweep_to_the_end(pg_db, tmp_path)

    # Every paid seat refunded: exactly one refund job per paid order, for its full amount.
    jobs = await RefundJob.all().values_list("order_id", "amount")
    assert sorted(order_id for order_id, _ in jobs) == sorted(paid)
    assert {amount for _, amount in jobs} == {Decimal("20.00")}
    assert set(await Order.filter(status=OrderStatus.REFUNDED).values_list("id", flat=True)) == set(
        paid
    )
    unpaid = Order.exclude(id__in=paid)
    assert set(await unpaid.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    # Stock back to the unit; seats, the campaign's cap and the quotas all given back once.
    assert (await Product.get(id=product.id)).stock == STOCK
    assert Counter(await GroupSeat.all().values_list("status", flat=True)) == {
        Seat.REFUNDED: len(paid),
        Seat.RELEASED: GROUPS // 3,
    }
    assert set(await GroupSeat.all().values_list("holder", flat=True)) == {None}
    groups = await GroupBuy.all()
    assert all(g.status == GroupStatus.FAILED and g.settled for g in groups)
    assert (await GroupCampaign.get()).seats_held == 0
    assert set(await GroupQuota.all().values_list("held", flat=True)) == {0}


async def test_sigkill_mid_commission_release_keeps_the_ledger_exact(
    pg_db: Db, tmp_path: Path
) -> None:
    await seed(REFERRED_ORDERS, release_at=datetime.now(UTC) - timedelta(minutes=1), agents=20)
    released = OrderReferral.filter(released_at__not_isnull=True).count

    proc = await sweep(pg_db, tmp_path)
    at_kill = await kill_when(proc, released, at_least=10)
    assert at_kill <= await released() < REFERRED_ORDERS, "the kill came too late"

    await sweep_to_the_end(pg_db, tmp_path)

    assert await released() == REFERRED_ORDERS
    # Each commission released exactly once, for what it earned.
    releases = await LedgerEntry.filter(kind=EntryKind.RELEASE).values_list(
        "order_id", "agent_id", "level", "available"
    )
    earned = await OrderCommission.all().values_list(
        "referral__order_id", "agent_id", "level", "amount_minor"
    )
    assert sorted(releases) == sorted(earned)
    # Every agent's balances are the sums of its ledger entries; nothing is left pending.
    for agent in await Agent.all():
        assert balances(agent) == await ledger_sums(agent.id), agent.id
        assert agent.pending_minor == 0
