"""In-process locks by key (store/keyed_locks.py): a hot product's stock rows, one person's
Telegram updates."""

from __future__ import annotations

import asyncio
import contextlib

from store.keyed_locks import KeyedLocks


async def test_holders_of_a_shared_key_take_turns_and_others_do_not_wait() -> None:
    locks, log = KeyedLocks(), []

    async def hold(name: str, keys: list[int]) -> None:
        async with locks.hold(keys):
            log.append(f"{name}+")
            await asyncio.sleep(0.01)
            log.append(f"{name}-")

    await asyncio.gather(hold("a", [1, 2]), hold("b", [2]), hold("c", [3]))
    assert log.index("a-") < log.index("b+")  # b waited for a on key 2
    assert log.index("c+") < log.index("a-")  # c shares nothing: it did not wait
    assert not locks._locks and not locks._users  # nothing kept once nobody holds or waits


async def test_keys_in_any_order_never_deadlock() -> None:
    locks = KeyedLocks()

    async def hold(keys: list[int]) -> None:
        async with locks.hold(keys):
            await asyncio.sleep(0.001)

    await asyncio.wait_for(asyncio.gather(*(hold([1, 2, 3][::s]) for s in (1, -1) * 10)), 5)


async def test_a_waiter_cancelled_releases_nothing_it_did_not_hold() -> None:
    locks = KeyedLocks()
    first_in, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with locks.hold([7]):
            first_in.set()
            await release.wait()

    holder = asyncio.create_task(first())
    await first_in.wait()
    waiter = asyncio.create_task(_enter(locks, [7]))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiter
    assert locks._locks[7].locked()  # still the first holder's
    third = asyncio.create_task(_enter(locks, [7]))
    await asyncio.sleep(0.01)
    assert not third.done()  # so a newcomer still waits
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, third), 5)
    assert not locks._locks


async def _enter(locks: KeyedLocks, keys: list[int]) -> None:
    async with locks.hold(keys):
        pass


async def test_one_persons_updates_take_turns_and_the_lock_is_forgotten() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    order: list[str] = []

    async def work(key: str, name: str, pause: float) -> None:
        async with locks.hold((key,)):
            order.append(f"{name}+")
            await asyncio.sleep(pause)
            order.append(f"{name}-")

    await asyncio.gather(work("alice", "a1", 0.05), work("alice", "a2", 0), work("bob", "b", 0))
    assert order.index("a1-") < order.index("a2+")  # same person: one after the other
    assert order.index("b+") < order.index("a1-")  # someone else: not kept waiting
    assert len(locks) == 0
