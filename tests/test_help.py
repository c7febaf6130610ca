"""/help: a short list by topic that fits one WeChat reply, details on request."""

from __future__ import annotations

import re

import pytest

from handlers.i18n import translate
from tests.conftest import MERCHANT, Chat

WECHAT_REPLY_BYTES = 2048  # a longer passive reply is split into several messages


def commands_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w<])/([a-z]+)", text))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("user", ["alice", MERCHANT])
async def test_help_lists_every_command_by_topic_within_one_wechat_reply(
    chat: Chat, user: str, lang: str
) -> None:
    await chat.say(user, f"/lang {lang}")
    text = await chat.text(user, "/help")
    assert len(text.encode()) < WECHAT_REPLY_BYTES, len(text.encode())
    listed = commands_in(text)
    for spec in chat.runtime.engine.registry.specs:
        shown = not spec.hidden and (user == MERCHANT or not spec.merchant)
        assert (spec.name in listed) == shown, spec.name


async def test_help_all_describes_and_help_command_explains_one(chat: Chat) -> None:
    await chat.say("alice", "/lang en")
    add = chat.runtime.engine.registry.lookup("add")
    assert add is not None
    assert translate("en", add.help) in await chat.text("alice", "/help all")
    assert translate("en", add.help) not in await chat.text("alice", "/help")
    one = await chat.text("alice", "/help add")
    assert one.startswith("/add") and "/catalog" not in one


async def test_shared_commands_show_the_teams_forms_to_the_team_only(chat: Chat) -> None:
    for user in ("alice", MERCHANT):
        await chat.say(user, "/lang en")
    for word in ("flash", "fullreduce", "faq", "coupon", "points"):
        spec = chat.runtime.engine.registry.lookup(word)
        assert spec is not None and spec.staff_usage, word
        assert spec.staff_usage not in await chat.text("alice", f"/help {word}")
        assert spec.staff_usage not in await chat.text("alice", "/help all")
        assert f"/{word} {spec.staff_usage}" in await chat.text(MERCHANT, f"/help {word}")
        assert f"/{word} {spec.staff_usage}" in await chat.text(MERCHANT, "/help all")
    assert "cap=<n>" not in await chat.text("alice", "/help all")


async def test_help_with_an_unknown_word_says_so_and_suggests(chat: Chat) -> None:
    await chat.say("alice", "/lang en")
    typo = await chat.text("alice", "/help catalg")
    assert "I don't know the command “catalg”." in typo
    assert "Did you mean:" in typo and "/catalog" in typo
    nonsense = await chat.text("alice", "/help xyzzy")
    assert "I don't know the command “xyzzy”." in nonsense and "/help" in nonsense
    await chat.say("alice", "/lang zh")
    assert "我不认识“xyzzy”这个" in await chat.text("alice", "/帮助 xyzzy")
