"""The Redis ports against a real Redis (MICROSTORE_TEST_REDIS): state, de-dup, key-value."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.ports import RedisDedup, RedisKV, RedisStateStore
from store.errors import Unavailable
from tests.servers import free_port


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_checkout_state_survives_a_restart(redis_url: str, redis_prefix: str) -> None:
    state = {
        "flow": "checkout",
        "step": "address",
        "name": "李雷",
        "phone": "13800138000",
        "items": [[42, 2]],
        "note": None,
    }
    first = Redis.from_url(redis_url)
    store = RedisStateStore(first, ttl=600, prefix=redis_prefix + "state:")
    await store.set("telegram:111", state)
    await first.aclose()  # the process goes away

    second = Redis.from_url(redis_url)  # a new process: new client, new store object
    try:
        reborn = RedisStateStore(second, ttl=600, prefix=redis_prefix + "state:")
        assert await reborn.get("telegram:111") == state
        assert await reborn.get("telegram:222") is None
        assert 0 < await second.ttl(redis_prefix + "state:telegram:111") <= 600
        await reborn.delete("telegram:111")
        assert await reborn.get("telegram:111") is None
    finally:
        await second.aclose()


async def test_dedup_says_first_time_exactly_once_under_concurrency(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    # Twenty deliveries of one update, through five separate clients (as from five workers).
    clients = [Redis.from_url(redis_url) for _ in range(5)]
    try:
        dedups = [RedisDedup(c, prefix=redis_prefix + "dedup:") for c in clients]
        answers = await asyncio.gather(
            *(dedups[i % 5].first_time("telegram:update:9001", 60) for i in range(20))
        )
    finally:
        for c in clients:
            await c.aclose()

    assert answers.count(True) == 1 and answers.count(False) == 19
    assert 0 < await redis.ttl(redis_prefix + "dedup:telegram:update:9001") <= 60
    other = RedisDedup(redis, prefix=redis_prefix + "dedup:")
    assert await other.first_time("telegram:update:9002", 60) is True


@asynccontextmanager
async def named_dedup(redis_url: str, redis_prefix: str) -> AsyncIterator[tuple[RedisDedup, str]]:
    """A process's de-dup on a client of its own, named so its connections can be found."""
    name = f"dedup-{secrets.token_hex(4)}"
    client = Redis.from_url(redis_url, client_name=name)
    try:
        yield RedisDedup(client, prefix=redis_prefix + "dedup:"), name
    finally:
        await client.aclose()


async def test_checks_asked_together_share_one_connection_and_stay_exact(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    async with named_dedup(redis_url, redis_prefix) as (dedup, name):
        keys = ["a", "b", "a", "c", "b", "a"]  # repeats within one batch
        answers = await asyncio.gather(*(dedup.first_time(f"telegram:{k}", 60) for k in keys))
        assert answers == [True, True, False, True, False, False]
        # One pipeline: one connection (six commands at once would have opened six).
        assert [c["name"] for c in await redis.client_list()].count(name) == 1
        assert await dedup.first_time("telegram:a", 60) is False  # a later batch remembers


async def test_checks_asked_while_a_batch_is_out_stay_exact(
    redis_url: str, redis_prefix: str
) -> None:
    async with named_dedup(redis_url, redis_prefix) as (dedup, _):
        first = asyncio.gather(*(dedup.first_time(f"telegram:{k}", 60) for k in "ab"))
        for _ in range(3):  # later turns: the first batch has left and is not answered yet
            await asyncio.sleep(0)
        later = asyncio.gather(*(dedup.first_time(f"telegram:{k}", 60) for k in "aca"))
        assert await first == [True, True]
        assert await later == [False, True, False]


async def test_every_port_on_a_client_shares_one_connection_and_each_asker_its_replies(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    async with named_dedup(redis_url, redis_prefix) as (dedup, name):
        client = dedup.batches.redis
        kv = RedisKV(client, prefix=redis_prefix + "kv:")
        state = RedisStateStore(client, prefix=redis_prefix + "state:")
        await redis.rpush(redis_prefix + "kv:a-list", "x")  # GET on it is an error reply
        answers = await asyncio.gather(
            kv.set_many([("a", "1", 60), ("b", "2", 60)]),
            state.set("alice", {"flow": "checkout"}),
            kv.get("a-list"),
            dedup.first_time("telegram:z", 60),
            return_exceptions=True,
        )
        assert answers[0] is None and answers[1] is None and answers[3] is True
        assert isinstance(answers[2], ResponseError)  # its asker's alone
        assert await asyncio.gather(kv.get("a"), kv.get("b"), state.get("alice")) == [
            "1",
            "2",
            {"flow": "checkout"},
        ]
        assert [c["name"] for c in await redis.client_list()].count(name) == 1


async def test_a_dedup_connection_dropped_by_redis_costs_one_clear_refusal_at_most(
    redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    async with named_dedup(redis_url, redis_prefix) as (dedup, name):
        assert await dedup.first_time("telegram:x", 60) is True
        (kept,) = [c for c in await redis.client_list() if c["name"] == name]
        await redis.client_kill_filter(_id=kept["id"])
        (after,) = await asyncio.gather(dedup.first_time("telegram:y", 60), return_exceptions=True)
        assert after is True or isinstance(after, Unavailable), after
        # Refused means not recorded: the update's redelivery is first, never lost.
        assert await dedup.first_time("telegram:y", 60) is (after is not True)
        assert await dedup.first_time("telegram:x", 60) is False  # reconnected, remembers


async def test_checks_with_redis_down_are_each_refused_clearly() -> None:
    down = Redis(host="127.0.0.1", port=free_port())
    try:
        dedup = RedisDedup(down)
        answers = await asyncio.gather(
            *(dedup.first_time(f"k{i}", 60) for i in range(3)), return_exceptions=True
        )
    finally:
        await down.aclose()
    assert all(isinstance(a, Unavailable) for a in answers), answers


async def test_kv_round_trip_and_expiry(redis: Redis, redis_prefix: str) -> None:
    kv = RedisKV(redis, prefix=redis_prefix + "kv:")
    await kv.set("token", "абв-123", ttl_seconds=300)
    assert await kv.get("token") == "абв-123"
    assert 0 < await redis.ttl(redis_prefix + "kv:token") <= 300
    await kv.delete("token")
    assert await kv.get("token") is None

    await kv.set("short", "x", ttl_seconds=1)
    assert await kv.get("short") == "x"
    await asyncio.sleep(1.1)
    assert await kv.get("short") is None


async def test_kv_writes_many_at_once_each_with_its_own_lifetime(
    redis: Redis, redis_prefix: str
) -> None:
    kv = RedisKV(redis, prefix=redis_prefix + "kv:")
    await kv.set_many([("a", "选项", 300), ("b", "[]", 60), ("a", "last wins", 300)])
    assert await kv.get("a") == "last wins" and await kv.get("b") == "[]"
    assert 60 < await redis.ttl(redis_prefix + "kv:a") <= 300
    assert 0 < await redis.ttl(redis_prefix + "kv:b") <= 60
    await kv.set_many([])  # nothing to write: no round trip, no error
