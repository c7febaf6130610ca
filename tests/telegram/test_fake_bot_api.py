"""The stand-in answers like the Bot API does, seen through the real aiogram Bot."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice

from .fake_bot_api import BOT_USERNAME, FakeBotAPI, html_to_plain


@pytest.fixture
async def bot(fake_bot_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_bot_api.base_url))
    b = Bot(fake_bot_api.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield b
    await session.close()


async def test_get_me_and_recording(bot: Bot, fake_bot_api: FakeBotAPI) -> None:
    me = await bot.get_me()
    assert me.username == BOT_USERNAME
    sent = await bot.send_message(42, "<b>hi</b> &amp; bye")
    assert sent.text == "hi & bye"
    assert fake_bot_api.sent("sendMessage") == [
        {"chat_id": 42, "text": "<b>hi</b> &amp; bye", "parse_mode": "HTML"}
    ]


async def test_unescaped_html_is_refused(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(42, "Details: /product <id>")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(42, "salt & pepper")


def test_html_parser() -> None:
    assert html_to_plain("a &lt;b&gt; <i>c</i> &#39;") == "a <b> c '"


async def test_callback_data_over_64_bytes_is_refused(bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="/search " + "茶" * 20)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(42, "pick", reply_markup=markup)


async def test_edit_rules(bot: Bot) -> None:
    sent = await bot.send_message(42, "page 1")
    edited = await bot.edit_message_text(chat_id=42, message_id=sent.message_id, text="page 2")
    assert not isinstance(edited, bool) and edited.text == "page 2"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(chat_id=42, message_id=sent.message_id, text="page 2")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(chat_id=42, message_id=999_999, text="x")


async def test_rate_limit_and_block_on_demand(bot: Bot, fake_bot_api: FakeBotAPI) -> None:
    fake_bot_api.rate_limit("sendMessage", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as e:
        await bot.send_message(42, "x")
    assert e.value.retry_after == 3
    await bot.send_message(42, "x")  # only the next call was limited

    fake_bot_api.block(77)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(77, "x")
    assert [c.status for c in fake_bot_api.attempts("sendMessage")] == [429, 200, 403]


async def test_invoice_and_payment_methods(bot: Bot, fake_bot_api: FakeBotAPI) -> None:
    msg = await bot.send_invoice(
        chat_id=42,
        title="Order X",
        description="Tea × 1",
        payload="X",
        currency="CNY",
        prices=[LabeledPrice(label="Total", amount=12800)],
        provider_token="p",
    )
    assert msg.invoice is not None and msg.invoice.total_amount == 12800
    with pytest.raises(TelegramBadRequest):  # Stars take no provider token
        await bot.send_invoice(
            chat_id=42,
            title="t",
            description="d",
            payload="X",
            currency="XTR",
            prices=[LabeledPrice(label="T", amount=5)],
            provider_token="p",
        )
    assert await bot.answer_pre_checkout_query("q1", ok=True)
    with pytest.raises(TelegramBadRequest, match="ERROR_MESSAGE_EMPTY"):
        await bot.answer_pre_checkout_query("q2", ok=False)
    assert await bot.refund_star_payment(user_id=42, telegram_payment_charge_id="c")
    assert await bot.send_chat_action(42, "typing")


async def test_get_updates_queue(bot: Bot, fake_bot_api: FakeBotAPI) -> None:
    fake_bot_api.push_update(
        {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1, "type": "private"},
                "text": "hi",
            },
        }
    )
    got = await bot.get_updates(timeout=0)
    assert [x.update_id for x in got] == [5]
    assert await bot.get_updates(offset=6, timeout=0) == []
    await bot.set_webhook("https://example.com/hook", secret_token="abc")
    with pytest.raises(Exception, match="Conflict"):
        await bot.get_updates(timeout=0)


async def test_get_chat_member_answers_each_status(bot: Bot, fake_bot_api: FakeBotAPI) -> None:
    group = -1_001_234
    assert (await bot.get_chat_member(group, 7)).status == "member"  # anyone not set
    for status in ("creator", "administrator", "restricted", "left", "kicked"):
        fake_bot_api.set_member(group, 7, status)
        assert (await bot.get_chat_member(group, 7)).status == status
