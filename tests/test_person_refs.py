"""A person named in a merchant's command (`#<id>` or a platform user id): a `#` and digits
that can name no row ("#²", an id past the 32-bit column) is an unknown user, on SQLite and
on PostgreSQL (which refuses an oversized number outright), never the generic failure.

The PostgreSQL half runs when MICROSTORE_TEST_POSTGRES is set; skipped otherwise."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import pytest

from bot.config import load_settings
from bot.runtime import build_runtime
from bot.simulator.inbox import PLATFORM, Inbox
from handlers.errors import MESSAGES
from handlers.types import Incoming
from store.demo import seed_demo
from store.ids import MAX_ID, row_id
from tests.conftest import MERCHANT, Chat, FakeClock
from tests.integration.conftest import (
    PG_ENV,
    PG_SKIP,
    _create_database,
    _drop_database,
    with_database,
)

NO_ID = ["#²", "#٣", "#0", f"#{MAX_ID + 1}", "#99999999999", "#" + "9" * 30]
COMMANDS = [
    "/tag {ref} vip",
    "/pointsadjust {ref} +5",
    "/points {ref}",
    "/staff add {ref}",
    "/agentok {ref}",
]


@pytest.fixture(params=["sqlite", "postgres"])
async def any_chat(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Chat]:
    """The chat engine on SQLite, then on a scratch PostgreSQL database."""
    url, admin, name = "sqlite://:memory:", "", ""
    if request.param == "postgres":
        admin = os.environ.get(PG_ENV, "")
        if not admin:
            pytest.skip(PG_SKIP)
        name = f"test_refs_{secrets.token_hex(4)}"
        await _create_database(admin, name)
        url = with_database(admin, name)
    try:
        settings = load_settings(database={"url": url}, shop={"locale": "en"})
        runtime = await build_runtime(settings, clock=clock, create_schema=True)
        try:
            inbox = Inbox()
            runtime.register_sender(PLATFORM, inbox.deliver)
            await seed_demo(runtime.services)
            yield Chat(runtime, inbox)
        finally:
            await runtime.close()
    finally:
        if name:
            await _drop_database(admin, name)


def test_row_id_takes_ascii_digits_that_fit_the_column() -> None:
    assert row_id("42") == 42 and row_id(str(MAX_ID)) == MAX_ID
    for text in ("²", "٣", "０１", "0", "", "-1", "1e3", " 1", str(MAX_ID + 1), "9" * 30):
        assert row_id(text) is None, text


@pytest.mark.parametrize("command", COMMANDS)
async def test_a_hash_and_digits_that_are_no_id_name_an_unknown_user(
    any_chat: Chat, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    for ref in NO_ID:
        reply = await any_chat.text(MERCHANT, command.format(ref=ref))
        assert "don't know the user" in reply, (ref, reply)
        assert MESSAGES["error"] not in reply
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_a_person_id_still_names_the_person(any_chat: Chat) -> None:
    await any_chat.say("alice", "/help")
    alice = await any_chat.runtime.services.people.find(PLATFORM, "alice")
    reply = await any_chat.text(MERCHANT, f"/tag #{alice.id} vip")
    assert "don't know the user" not in reply and "vip" in reply


async def test_invisible_control_characters_are_dropped_not_a_failure(
    any_chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's text can't hold a NUL: one typed (or sent by a broken client) in a
    command, a free-text answer or a display name is dropped, not the generic failure."""
    await any_chat.say("alice", "/help")
    reply = await any_chat.text(MERCHANT, "/tag alice v\x00ip")
    assert MESSAGES["error"] not in reply and "vip" in reply
    nul_name = Incoming(
        platform=PLATFORM,
        user_id="nul",
        chat_id="nul",
        text="/search te\x00a\x07",
        message_id="nul-1",
        display_name="Ann\x00",
    )
    found = await any_chat.runtime.engine.handle(nul_name)
    assert "Found 3 for “tea”" in found[0].text
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
