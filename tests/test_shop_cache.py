"""The per-process copies of shop rows, roles, levels, 满减 rules, flash-sale windows and
categories: dropped on every change, here and (through Redis) in the other processes."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from store.catalog import NewProduct
from store.copies import MAX_AGE
from store.db import transaction
from store.models import Role, Shop
from store.product_admin import ProductAdmin
from store.promotions.service import NewFlashSale
from store.services import StoreServices
from store.shop_cache import ShopCache
from tests.copies_processes import REDIS, eventually, needs_redis, process
from tests.integration.world import make_product, make_shop


def kept(services: StoreServices) -> ShopCache:
    """What this file's processes keep and hear about."""
    return services.shops.cache


class Loads:
    """A loader that counts its calls and can be held mid-load."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.failing: set[int] = set()  # the calls that fail

    async def __call__(self) -> int:
        self.calls += 1
        call = self.calls
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(0)  # as a real load always waits for its database
        if call in self.failing:
            raise ConnectionError("the database went away")
        return call


async def test_a_copy_is_kept_until_its_shop_changes() -> None:
    cache, load, other = ShopCache(), Loads(), Loads()
    assert await cache.get(1, "roles", load) == 1
    assert await cache.get(1, "roles", load) == 1
    await cache.get(2, "roles", other)
    await cache.changed(1)
    assert await cache.get(1, "roles", load) == 2
    assert await cache.get(2, "roles", other) == 1  # another shop's copy stays
    await cache.changed(None)
    assert await cache.get(2, "roles", other) == 2


async def test_shop_less_copies_go_with_any_shop_change() -> None:
    cache, load = ShopCache(), Loads()
    await cache.get(None, "default", load)
    await cache.changed(7)  # e.g. shop 7 was just created: it may be the default now
    assert await cache.get(None, "default", load) == 2


async def test_a_load_overlapping_a_change_is_used_once_not_kept() -> None:
    cache, load = ShopCache(), Loads()
    load.gate = asyncio.Event()
    reading = asyncio.create_task(cache.get(1, "levels", load))
    await asyncio.sleep(0)
    await cache.changed(1)  # committed while the read was under way: it may be half old
    load.gate.set()
    assert await reading == 1
    load.gate = None
    assert await cache.get(1, "levels", load) == 2


async def test_misses_during_a_load_wait_for_it_instead_of_loading_again() -> None:
    cache, load = ShopCache(), Loads()
    load.gate = asyncio.Event()
    readers = [asyncio.create_task(cache.get(1, "page", load)) for _ in range(32)]
    await asyncio.sleep(0)
    load.gate.set()
    assert await asyncio.gather(*readers) == [1] * 32
    assert load.calls == 1
    assert await cache.get(1, "page", load) == 1  # and the loader kept it


async def test_a_miss_after_a_change_does_not_wait_for_the_load_it_overlapped() -> None:
    cache, load = ShopCache(), Loads()
    load.gate = asyncio.Event()
    before = asyncio.create_task(cache.get(1, "page", load))
    await asyncio.sleep(0)
    await cache.changed(1)
    after = asyncio.create_task(cache.get(1, "page", load))
    await asyncio.sleep(0)
    load.gate.set()
    assert (await before, await after) == (1, 2)
    assert await cache.get(1, "page", load) == 2  # only the load after the change is kept
    assert load.calls == 2


async def test_a_waiter_outlives_its_loaders_cancellation_and_failure() -> None:
    cache, load = ShopCache(), Loads()
    load.gate = asyncio.Event()
    load.failing = {2}
    loader = asyncio.create_task(cache.get(1, "page", load))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(cache.get(1, "page", load)) for _ in range(3)]
    await asyncio.sleep(0)
    loader.cancel()  # the first load goes (a client hung up): a waiter takes it over ...
    await asyncio.sleep(0)
    load.gate.set()  # ... and that second load fails: a third one serves the rest
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert loader.cancelled()
    assert [type(r) for r in results].count(ConnectionError) == 1
    assert [r for r in results if not isinstance(r, Exception)] == [3, 3]
    assert load.calls == 3
    assert await cache.get(1, "page", load) == 3


async def test_a_cancelled_waiter_leaves_the_load_to_the_others() -> None:
    cache, load = ShopCache(), Loads()
    load.gate = asyncio.Event()
    loader = asyncio.create_task(cache.get(1, "page", load))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.get(1, "page", load))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    load.gate.set()
    assert await loader == 1 and waiter.cancelled()
    assert load.calls == 1


async def test_a_transaction_never_waits_for_a_load_outside_it(database: None) -> None:
    # SQLite has one connection, which a transaction holds to its end: a load outside it
    # waits for that end, so a transaction waiting for that load would never end.
    cache = ShopCache()
    loads = 0
    holding, outside_loading = asyncio.Event(), asyncio.Event()

    async def shops() -> int:
        nonlocal loads
        loads += 1
        return await Shop.all().count()

    async def transaction() -> int:
        async with in_transaction():
            await Shop.all().count()
            holding.set()
            await outside_loading.wait()
            return await asyncio.wait_for(cache.get(None, "shops", shops), 5)

    inside = asyncio.create_task(transaction())
    await holding.wait()
    outside = asyncio.create_task(cache.get(None, "shops", shops))
    await asyncio.sleep(0.01)  # that load is under way, waiting for the connection
    outside_loading.set()
    assert (await inside, await outside, loads) == (0, 0, 2)


async def test_no_reader_outside_a_transaction_gets_what_it_read(database: None) -> None:
    cache = ShopCache()
    loading, outside_missed = asyncio.Event(), asyncio.Event()

    async def shops() -> int:
        count = await Shop.all().count()
        loading.set()
        await outside_missed.wait()
        return count

    async def transaction() -> int:
        async with in_transaction() as tx:
            await Shop.create(slug="draft", name="Never committed")
            seen = await cache.get(None, "shops", shops)
            await tx.rollback()
        return seen

    inside = asyncio.create_task(transaction())
    await loading.wait()
    outside = asyncio.create_task(cache.get(None, "shops", shops))
    await asyncio.sleep(0.01)
    outside_missed.set()
    assert await inside == 1  # its own write, which it rolls back
    assert await asyncio.wait_for(outside, 5) == 0


async def test_what_a_transaction_read_is_kept_once_it_commits_never_if_it_rolls_back(
    database: None,
) -> None:
    cache = ShopCache()
    loads = 0

    async def shops() -> int:
        nonlocal loads
        loads += 1
        return await Shop.all().count()

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned):
        async with transaction():
            await Shop.create(slug="draft", name="Never committed")
            assert await cache.get(None, "shops", shops) == 1  # its own write
            raise Abandoned
    assert await cache.get(None, "shops", shops) == 0  # loaded again: the read was not kept
    assert loads == 2

    cache.forget()
    async with transaction():
        with pytest.raises(Abandoned):
            async with transaction():  # a savepoint, rolled back in a committed transaction
                await Shop.create(slug="draft", name="Never committed")
                assert await cache.get(None, "shops", shops) == 1
                raise Abandoned
    assert await cache.get(None, "shops", shops) == 0
    assert loads == 4

    cache.forget()
    async with transaction():
        async with transaction():
            assert await cache.get(None, "shops", shops) == 0
        assert loads == 5
    assert await cache.get(None, "shops", shops) == 0  # committed: kept, nothing read
    assert loads == 5


async def test_nothing_is_kept_while_changes_cannot_be_heard() -> None:
    cache, load = ShopCache(), Loads()
    cache.live = False
    await cache.get(1, "rules", load)
    assert await cache.get(1, "rules", load) == 2


async def test_copies_expire_even_without_an_announcement() -> None:
    now = [100.0]
    cache, load = ShopCache(monotonic=lambda: now[0]), Loads()
    await cache.get(1, "roles", load)
    now[0] += MAX_AGE - 1
    assert await cache.get(1, "roles", load) == 1
    now[0] += 2
    assert await cache.get(1, "roles", load) == 2


# -- the store's services keep their copies right ---------------------------------------------
async def test_every_change_is_seen_at_once_by_the_process_that_made_it(database: None) -> None:
    s = StoreServices.build()
    shop, owner_id = await make_shop(s)
    product = await make_product(s, shop, stock=9)
    helper = await s.people.identify("sim", "helper", "Helper")
    helper_person = await s.people.person(helper.person_id)  # type: ignore[attr-defined]
    assert await s.shops.role_of(shop.id, helper_person.id) is None
    assert await s.shops.add_staff(shop.id, owner_id, helper_person)
    assert await s.shops.role_of(shop.id, helper_person.id) == Role.STAFF
    assert await s.shops.remove_staff(shop.id, owner_id, helper_person)
    assert await s.shops.role_of(shop.id, helper_person.id) is None

    assert (await s.shops.get(shop.id)).unpaid_timeout_minutes != 45
    await s.shops.update_setting(shop.id, owner_id, "unpaid_timeout_minutes", 45)
    assert (await s.shops.get(shop.id)).unpaid_timeout_minutes == 45

    assert await s.loyalty.levels(shop.id) == []
    await s.loyalty.set_level(shop.id, "Gold", Decimal("0"), Decimal("5"))
    assert [lv.name for lv in await s.loyalty.levels(shop.id)] == ["Gold"]

    assert not (await s.loyalty.rule(shop.id)).enabled
    await s.loyalty.set_rule(shop.id, redeem=50)
    assert (await s.loyalty.rule(shop.id)).redeem_points == 50
    await s.loyalty.set_rule(shop.id, redeem=80)
    assert (await s.loyalty.rule(shop.id)).redeem_points == 80
    await s.loyalty.switch_off(shop.id)
    assert not (await s.loyalty.rule(shop.id)).enabled

    assert await s.promotions.rules(shop.id) == []
    await s.promotions.add_rule(shop.id, Decimal("10"), Decimal("2"))
    assert len(await s.promotions.rules(shop.id)) == 1

    now = s.clock()
    assert await s.promotions.running_flash(shop.id, [product.id], now) == {}
    sale = await s.promotions.create_flash(
        shop.id,
        NewFlashSale(product.id, product.price - 1, now, now + timedelta(hours=1), 5, 1),
    )
    assert set(await s.promotions.running_flash(shop.id, [product.id], now)) == {product.id}
    await s.promotions.end_flash(shop.id, sale.id)
    assert await s.promotions.running_flash(shop.id, [product.id], now) == {}

    assert await s.catalog.categories(shop.id) == []
    await s.catalog.add_product(shop.id, NewProduct("Tieguanyin", Decimal("9"), 1, category="Tea"))
    tea = await s.catalog.find_category(shop.id, "Tea")
    assert tea is not None and await s.catalog.find_category(shop.id, f"#{tea.id}") == tea
    admin = ProductAdmin(s.catalog)
    await admin.update(
        shop.id, product.id, NewProduct("Longjing", Decimal("9"), 1, category="Green")
    )
    assert [c.name for c in await s.catalog.categories(shop.id)] == ["Tea", "Green"]
    await admin.import_csv(shop.id, b"title,price,stock,category\nMooncake,5,1,Cakes\n")
    assert await s.catalog.find_category(shop.id, "Cakes") is not None


@needs_redis
async def test_a_change_in_one_process_reaches_the_copies_of_another(database: None) -> None:
    channel = f"test-shop-changed-{secrets.token_hex(4)}"
    async with process(channel, kept) as a, process(channel, kept) as b:
        shop, owner_id = await make_shop(a)
        helper = await a.people.identify("sim", "helper", "Helper")
        person = await a.people.person(helper.person_id)  # type: ignore[attr-defined]
        assert await b.shops.role_of(shop.id, person.id) is None  # b keeps a copy now
        assert await b.loyalty.levels(shop.id) == []

        await a.shops.add_staff(shop.id, owner_id, person)
        await eventually(lambda: _is(b.shops.role_of(shop.id, person.id), Role.STAFF))
        await a.loyalty.set_level(shop.id, "Gold", Decimal("0"), Decimal("5"))
        await eventually(lambda: _has_levels(b, shop.id))
        await a.shops.remove_staff(shop.id, owner_id, person)
        await eventually(lambda: _is(b.shops.role_of(shop.id, person.id), None))
        assert not (await b.loyalty.rule(shop.id)).enabled
        await a.loyalty.set_rule(shop.id, redeem=50)
        await eventually(lambda: _points_on(b, shop.id))
        assert await b.catalog.find_category(shop.id, "Tea") is None
        await a.catalog.category_named(shop.id, "Tea")
        await eventually(lambda: _is_not(b.catalog.find_category(shop.id, "Tea"), None))


async def _points_on(services: StoreServices, shop_id: int) -> bool:
    return (await services.loyalty.rule(shop_id)).enabled


async def _is(reading, expected: object) -> bool:  # type: ignore[no-untyped-def]
    return await reading == expected


async def _is_not(reading, unexpected: object) -> bool:  # type: ignore[no-untyped-def]
    return await reading != unexpected


async def _has_levels(services: StoreServices, shop_id: int) -> bool:
    return bool(await services.loyalty.levels(shop_id))


@needs_redis
async def test_a_process_that_lost_redis_keeps_no_copies(database: None) -> None:
    channel = f"test-shop-changed-{secrets.token_hex(4)}"
    async with process(channel, kept) as a:
        cache = a.shops.cache
        redis = Redis.from_url(str(REDIS))
        try:  # this process's connections only: the Redis server may be shared
            for client in await redis.client_list():
                if client["name"] == channel:
                    await redis.client_kill_filter(_id=client["id"])
        finally:
            await redis.aclose()
        await eventually(lambda: _not_live(cache))
        load = Loads()
        await cache.get(1, "roles", load)
        await cache.get(1, "roles", load)
        assert load.calls == 2  # unheard for now (it retries after a second): nothing kept
        await eventually(lambda: _live(cache), seconds=5)  # it subscribes again by itself


async def _not_live(cache: ShopCache) -> bool:
    return not cache.live


async def _live(cache: ShopCache) -> bool:
    return cache.live
