"""/help: a short list by topic that fits one WeChat reply, details on request."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from handlers.i18n import translate
from handlers.usage_text import PLACEHOLDER, PLACEHOLDERS
from tests.conftest import MERCHANT, Chat

ROOT = Path(__file__).resolve().parent.parent
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
    # The shop's own commands are suggested to its staff only.
    assert "/settings" not in await chat.text("alice", "/setings")
    assert "/settings" in await chat.text(MERCHANT, "/setings")
    nonsense = await chat.text("alice", "/help xyzzy")
    assert "I don't know the command “xyzzy”." in nonsense and "/help" in nonsense
    await chat.say("alice", "/lang zh")
    assert "我不认识“xyzzy”这个" in await chat.text("alice", "/帮助 xyzzy")


async def test_usage_lines_read_in_the_readers_words(chat: Chat) -> None:
    await chat.say("alice", "/lang zh")
    assert "用法：/add <编号> [数量]" in await chat.text("alice", "/add")
    assert "/withdraw <金额>" in await chat.text("alice", "/help withdraw")
    described = await chat.text("alice", "/help all")
    assert "/add <编号> [数量]" in described and "/help [指令|all]" in described
    assert "/refund <订单号> [原因]" in described
    await chat.say(MERCHANT, "/lang zh")
    merchant = await chat.text(MERCHANT, "/help refundok")
    assert "/refundok <订单号> [keep]" in merchant  # what is typed as it is stays
    await chat.say("alice", "/lang en")
    assert "Usage: /add <id> [qty]" in await chat.text("alice", "/add")
    assert "/add <id> [qty]" in await chat.text("alice", "/help all")


# Bracketed words of usage lines that are typed as they are, so never translated.
TYPED_AS_IS = {
    "<HH:MM>",
    "[confirm]",
    "[keep]",
    "[min=]",
    "[per=]",
    "[until=]",
    "[uses=]",
    "[week|month]",
    "[pending|paid|shipped|completed|cancelled|refund|refunded]",
}


def test_every_usage_placeholder_has_a_translation(chat: Chat) -> None:
    """Registered usages and the usage lines in the handlers' code: each placeholder is
    listed in handlers.usage_text (and so extracted and translated) or typed as it is."""
    lines = []
    for spec in chat.runtime.engine.registry.specs:
        lines += [spec.usage, spec.staff_usage]
    for path in (ROOT / "handlers" / "commands").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value.startswith("/"):  # usage("/add <id> [qty]"), need(...), *_USAGE
                    lines.append(node.value)
    found = {p for line in lines for p in PLACEHOLDER.findall(line)}
    assert found - TYPED_AS_IS - PLACEHOLDERS == set()
    for placeholder in found - TYPED_AS_IS:
        assert translate("zh_CN", placeholder) != placeholder, placeholder


async def test_each_kind_of_code_has_its_own_placeholder(chat: Chat) -> None:
    """A coupon code, a group code, an invitation code and a confirmation code are not one
    generic <code> (代码): each reads as what it is, in both languages."""
    await chat.say("alice", "/lang zh")
    assert "用法：/join <团号>" in await chat.text("alice", "/join")
    assert "用法：/coupon <券码> | off" in await chat.text("alice", "/coupon")
    assert "用法：/joinstaff <邀请码>" in await chat.text("alice", "/joinstaff")
    described = await chat.text("alice", "/help all")
    assert "/gbcard <团号>" in described and "/deleteme [confirm <确认码>]" in described
    assert "代码" not in described
    await chat.say(MERCHANT, "/lang zh")
    merchant = await chat.text(MERCHANT, "/help all")
    assert "/coupon new <券码>" in merchant and "/gbpost <团号>" in merchant
    assert "代码" not in merchant
    await chat.say("alice", "/lang en")
    assert "Usage: /join <group code>" in await chat.text("alice", "/join")
    assert "Usage: /joinstaff <invitation code>" in await chat.text("alice", "/joinstaff")
    assert "/coupon <coupon code> | off" in await chat.text("alice", "/help coupon")
    assert "<code>" not in await chat.text("alice", "/help all")
