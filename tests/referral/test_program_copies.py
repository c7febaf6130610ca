"""A shop's referral program, which every order reads, is kept per process: read once,
dropped by every change here and (through Redis) in the other processes, and written
nowhere but by ProgramService."""

from __future__ import annotations

import secrets

from referral.models import BindPolicy, JoinMode, ReferralProgram
from referral.program import ProgramService
from store.services import StoreServices
from tests.copies_processes import eventually, needs_redis, process
from tests.integration.world import make_shop
from tests.writers import files_writing


async def test_a_program_is_read_once_and_every_change_is_seen_at_once(database: None) -> None:
    s = StoreServices.build()
    shop, _ = await make_shop(s)
    programs = ProgramService()
    first = await programs.get(shop.id)  # created with the defaults on first read
    await ReferralProgram.filter(shop_id=shop.id).update(freeze_days=77)  # behind its back
    assert (await programs.get(shop.id)).freeze_days == first.freeze_days

    assert (await programs.set_rates(shop.id, [1000, 500])).rates()[:2] == [1000, 500]
    assert (await programs.get(shop.id)).levels == 2
    await programs.set_policy(shop.id, BindPolicy.DAYS, 30)
    assert (await programs.get(shop.id)).policy_days == 30
    await programs.set_join(shop.id, JoinMode.SPEND, 5000)
    assert (await programs.get(shop.id)).join_spend_minor == 5000
    await programs.set_freeze(shop.id, 3)
    assert (await programs.get(shop.id)).freeze_days == 3
    await programs.set_withdraw_limits(shop.id, minimum=100)
    assert (await programs.get(shop.id)).withdraw_min_minor == 100

    other, _ = await make_shop(s, slug="other")  # kept per shop
    assert (await programs.get(other.id)).levels == first.levels


@needs_redis
async def test_a_change_in_one_process_reaches_the_program_of_another(database: None) -> None:
    channel = f"test-program-changed-{secrets.token_hex(4)}"
    a, b = ProgramService(), ProgramService()
    async with process(channel, lambda _: a.copies) as s, process(channel, lambda _: b.copies):
        shop, _ = await make_shop(s)
        assert (await b.get(shop.id)).freeze_days != 9  # b keeps it
        await a.set_freeze(shop.id, 9)

        async def seen_by_b() -> bool:
            return (await b.get(shop.id)).freeze_days == 9

        await eventually(seen_by_b)


def test_only_the_program_service_writes_programs() -> None:
    assert files_writing({"ReferralProgram"}) == {"referral/program.py"}
