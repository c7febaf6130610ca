"""Two OS processes, 200 joiners racing for the seats of 10 groups of 3, on PostgreSQL; then
both processes sweep the deadlines at the same time."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from store.groupbuy.models import GroupBuy, GroupSeat, GroupStatus, SeatStatus
from store.groupbuy.service import NewCampaign
from store.models import Order, OrderStatus, Product, RefundJob
from store.services import StoreServices
from tests.conftest import FakeClock
from tests.integration.conftest import Db
from tests.integration.script_processes import release, script_processes
from tests.integration.world import CONTACT, make_product, make_shop

WORKER = Path(__file__).with_name("gb_worker.py")
TIMEOUT = 60
GROUPS, SIZE, JOINERS, STOCK = 10, 3, 200, 28


async def _signal_all(procs: list[asyncio.subprocess.Process], line: str) -> list[dict]:
    await release(procs, line)

    async def answer(p: asyncio.subprocess.Process) -> dict:
        assert p.stdout is not None
        out = await asyncio.wait_for(p.stdout.readline(), TIMEOUT)
        if not out:
            _, err = await p.communicate()
            raise AssertionError(err.decode())
        return json.loads(out)

    return await asyncio.gather(*(answer(p) for p in procs))


async def test_200_joiners_in_two_processes_never_overfill_and_refund_once(
    pg_db: Db, clock: FakeClock, services: StoreServices
) -> None:
    shop, _ = await make_shop(services)
    product = await make_product(services, shop, STOCK, price=Decimal("30.00"))
    campaign = await services.groupbuys.create_campaign(
        shop.id, NewCampaign(product.id, Decimal("20.00"), SIZE, 3600)
    )
    codes = []
    # Leaders of the first half pay, the others never do; joiners pay, except in the last
    # group. So groups of the second half fail (refunding paid joiners), and the stock, 2
    # units short of the seats, keeps at most 2 groups of the first half from completing.
    for i in range(GROUPS):
        leader = await services.people.identify("sim", f"leader{i}", "Leader")
        seat = await services.groupbuys.open_group(
            shop.id,
            campaign.id,
            leader.person_id,
            CONTACT,  # type: ignore[attr-defined]
        )
        if i < GROUPS // 2:
            await services.payments.confirm_manual(seat.order)
        codes.append(seat.group.code)
    joiners = []
    for i in range(JOINERS):
        ident = await services.people.identify("sim", f"joiner{i}", "Joiner")
        joiners.append([ident.person_id, codes[i % GROUPS]])  # type: ignore[attr-defined]

    url = f"{pg_db.plain_url}?minsize=10&maxsize=10"
    specs = [
        {
            "url": url,
            "shop_id": shop.id,
            "now": clock.now.isoformat(),
            "joiners": joiners[half::2],
            "no_pay": codes[-1:],
        }
        for half in (0, 1)
    ]
    async with script_processes(WORKER, specs, TIMEOUT) as procs:
        joined = await _signal_all(procs, "go")
        later = (clock.now + timedelta(hours=2)).isoformat()
        swept = await _signal_all(procs, later)
        for p in procs:
            assert p.stdin is not None
            p.stdin.close()
            await asyncio.wait_for(p.wait(), TIMEOUT)

    assert [r["errors"] for r in joined + swept] == [[]] * 4
    seats_won = sum(len(r["joined"]) for r in joined)
    assert seats_won == STOCK - GROUPS  # fewer units than seats: the stock ran out first
    assert seats_won + sum(r["unavailable"] + r["out_of_stock"] for r in joined) == JOINERS

    # No group above its size, ever: nothing was released before the sweep.
    per_group = Counter(await GroupSeat.all().values_list("group_id", flat=True))
    assert max(per_group.values()) <= SIZE
    assert sum(per_group.values()) == GROUPS + seats_won
    # Stock never below zero, and exactly what the kept orders hold.
    stock = await Product.get(id=product.id).values_list("stock", flat=True)
    kept = await Order.filter(status=OrderStatus.PAID).count()
    assert stock >= 0 and stock == STOCK - kept

    groups = await GroupBuy.all()
    assert {g.status for g in groups} <= {GroupStatus.COMPLETED, GroupStatus.FAILED}
    assert all(g.settled for g in groups)
    assert not await GroupSeat.filter(status__in=[SeatStatus.RESERVED]).exists()
    failed_ids = [g.id for g in groups if g.status == GroupStatus.FAILED]
    for g in groups:
        paid_seats = await GroupSeat.filter(group_id=g.id, status=SeatStatus.PAID).count()
        assert (g.status == GroupStatus.COMPLETED) == (paid_seats == SIZE)
    assert GROUPS // 2 <= len(failed_ids) <= GROUPS // 2 + 2

    # Refunds: exactly one per paid seat of a failed group, issued by one of the processes.
    refunded_seats = await GroupSeat.filter(
        group_id__in=failed_ids, status=SeatStatus.REFUNDED
    ).prefetch_related("order")
    refunded_nos = sorted(s.order.order_no for s in refunded_seats)
    assert refunded_nos, "some failed group had paid members"
    assert sorted(no for r in swept for no in r["refunded"]) == refunded_nos
    jobs = await RefundJob.all().prefetch_related("order")
    assert sorted(j.order.order_no for j in jobs) == refunded_nos
    assert all(j.amount == Decimal("20.00") for j in jobs)
    assert await Order.filter(status=OrderStatus.REFUNDED).count() == len(refunded_nos)
