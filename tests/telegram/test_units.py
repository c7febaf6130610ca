"""Pure parts of the adapter: callback data, text rendering, what counts as addressed to us."""

from __future__ import annotations

import gc
import json

from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    Response,
    SendInvoice,
    SendMessage,
    SendPhoto,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    LinkPreviewOptions,
    Message,
    MessageEntity,
)
from aiohttp import FormData, JsonPayload
from pydantic import SecretStr

from bot.config import TelegramConfig
from bot.ports import MemoryKV
from bot.telegram import client
from bot.telegram.callbacks import KEY_MARK, MAX_CALLBACK_BYTES, CallbackCodec
from bot.telegram.client import JsonSession, build_bot
from bot.telegram.convert import addressed_text, split_start
from bot.telegram.render import MAX_TEXT, chunks, escape, keyboard
from handlers.types import Button


async def test_short_payload_travels_as_is() -> None:
    codec = CallbackCodec(MemoryKV())
    assert await codec.encode("/add 42 1") == "/add 42 1"
    assert await codec.decode("/add 42 1") == "/add 42 1"


async def test_long_payload_is_kept_behind_a_key_never_truncated() -> None:
    kv = MemoryKV()
    codec = CallbackCodec(kv)
    payload = "/search " + "乌龙茶 " * 20  # 168 bytes
    data = await codec.encode(payload)
    assert data.startswith(KEY_MARK) and len(data.encode()) <= MAX_CALLBACK_BYTES
    assert await codec.decode(data) == payload
    assert await codec.encode(payload) == data  # same payload, same key
    assert await CallbackCodec(MemoryKV()).decode(data) is None  # expired / unknown key


async def test_payload_exactly_64_bytes_and_one_more() -> None:
    codec = CallbackCodec(MemoryKV())
    exact = "/" + "x" * 63
    assert await codec.encode(exact) == exact
    longer = exact + "y"
    assert (await codec.encode(longer)).startswith(KEY_MARK)
    lookalike = KEY_MARK + "abc"  # a payload that looks like a key is keyed too
    assert await codec.decode(await codec.encode(lookalike)) == lookalike


async def test_keyboard_rows_and_url_buttons() -> None:
    codec = CallbackCodec(MemoryKV())
    markup = await keyboard(
        ((Button("Next ›", "/catalog 2"),), (), (Button("Pay", "https://pay.example.com/x"),)),
        codec,
    )
    assert markup is not None
    rows = markup.inline_keyboard
    assert len(rows) == 2
    assert rows[0][0].callback_data == "/catalog 2"
    assert rows[1][0].url == "https://pay.example.com/x" and rows[1][0].callback_data is None
    assert await keyboard((), codec) is None


async def test_the_same_buttons_make_one_keyboard_unless_a_payload_is_stored() -> None:
    kv = MemoryKV()
    codec = CallbackCodec(kv)
    rows = ((Button("Add", "/add 7 1"), Button("Shop", "https://shop.example.com")),)
    first = await keyboard(rows, codec)
    assert await keyboard(tuple(tuple(row) for row in rows), codec) is first  # equal rows
    assert await keyboard(((Button("Add", "/add 8 1"),),), codec) is not first

    long_rows = ((Button("Search", "/search " + "乌龙茶 " * 20),),)
    data = (await keyboard(long_rows, codec)).inline_keyboard[0][0].callback_data  # type: ignore[union-attr]
    kv._data.clear()  # the store forgot it (expired)
    again = await keyboard(long_rows, codec)  # built again: its payload is stored again
    assert again is not None and again.inline_keyboard[0][0].callback_data == data
    assert await codec.decode(data) == "/search " + "乌龙茶 " * 20  # type: ignore[arg-type]


def test_escape() -> None:
    assert escape("Details: /product <id> & more") == "Details: /product &lt;id&gt; &amp; more"


def test_chunks_split_on_lines_and_keep_everything() -> None:
    text = "\n".join(f"line {i} " + "x" * 80 for i in range(200))
    pieces = chunks(text)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_TEXT for p in pieces)
    assert "".join(pieces) == text
    assert chunks("short") == ["short"]


def test_addressed_text() -> None:
    bot = "ShopBot"
    assert addressed_text("/catalog@shopbot 2", bot, in_group=True) == "/catalog 2"
    assert addressed_text("/catalog@OtherBot", bot, in_group=True) is None
    assert addressed_text("/catalog", bot, in_group=True) == "/catalog"
    assert addressed_text("nice tea everyone", bot, in_group=True) is None
    assert addressed_text("nice tea", bot, in_group=False) == "nice tea"


def test_split_start() -> None:
    assert split_start("/start shop_demo") == ("/start", "shop_demo")
    assert split_start("/start") == ("/start", None)
    assert split_start("/catalog 2") == ("/catalog 2", None)


def test_calls_go_as_json_except_uploads_which_keep_the_form() -> None:
    bot = build_bot(TelegramConfig(token=SecretStr("42:TEST")))  # type: ignore[call-arg]
    session = bot.session
    assert isinstance(session, JsonSession)
    text = SendMessage(
        chat_id=7,
        text="龙井 & 乌龙",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="加购", callback_data="/add 1 1")]]
        ),
    )
    body = session.build_form_data(bot, text)
    assert isinstance(body, JsonPayload)
    sent = json.loads(body._value)
    assert sent["chat_id"] == 7 and sent["text"] == "龙井 & 乌龙" and sent["parse_mode"] == "HTML"
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/add 1 1"
    upload = SendPhoto(chat_id=7, photo=BufferedInputFile(b"\x89PNG", filename="poster.png"))
    assert isinstance(session.build_form_data(bot, upload), FormData)


def test_a_keyboard_is_prepared_once_and_every_body_is_what_aiogram_would_send() -> None:
    bot = build_bot(TelegramConfig(token=SecretStr("42:TEST")))  # type: ignore[call-arg]
    session = bot.session
    assert isinstance(session, JsonSession)

    def aiogram_body(method: object) -> dict[str, object]:  # aiogram's own preparation
        dumped = method.model_dump(warnings=False)  # type: ignore[attr-defined]
        prepared = {
            k: session.prepare_value(v, bot, {}, _dumps_json=False) for k, v in dumped.items()
        }
        return {k: v for k, v in prepared.items() if v is not None and v != ""}

    def markup(*payloads: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=f"按钮 {p}", callback_data=p)] for p in payloads
            ]
            + [[InlineKeyboardButton(text="链接", url="https://shop.example/p/1")]]
        )

    catalog, cart = markup("/product 1", "/add 1 1"), markup("/checkout")
    methods = [
        SendMessage(chat_id=7, text="目录", reply_markup=catalog),
        SendMessage(chat_id=8, text="another page, same keyboard", reply_markup=catalog),
        EditMessageText(chat_id=7, message_id=3, text="购物车", reply_markup=cart),
        SendPhoto(chat_id=7, photo="AgACAgQ", caption="图", reply_markup=cart),
        SendMessage(chat_id=7, text="no keyboard"),
        # fields set that are usually left to their defaults, nested objects and lists
        SendMessage(
            chat_id=7,
            text="bold",
            parse_mode=None,
            entities=[MessageEntity(type="bold", offset=0, length=4)],
            link_preview_options=LinkPreviewOptions(is_disabled=False),
            protect_content=True,
        ),
        AnswerCallbackQuery(callback_query_id="q1", text="已加入", show_alert=True),
        SendInvoice(
            chat_id=7,
            title="订单",
            description="2 items",
            payload="Q3QRX7BX",
            currency="CNY",
            prices=[LabeledPrice(label="合计", amount=12800)],
            provider_token="284685063:TEST:provider",
        ),
    ]
    prepared: list[object] = []
    original = session.prepare_value

    def counting(value: object, *args: object, **kwargs: object) -> object:
        if isinstance(value, InlineKeyboardMarkup):
            prepared.append(value)
        return original(value, *args, **kwargs)

    session.prepare_value = counting  # type: ignore[method-assign]
    bodies = [session.json_body(bot, m) for m in methods + methods]
    session.prepare_value = original  # type: ignore[method-assign]
    assert bodies == [aiogram_body(m) for m in methods + methods]
    assert bodies[0]["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "/add 1 1"  # type: ignore[index]
    assert bodies[2]["reply_markup"] != bodies[0]["reply_markup"]  # type: ignore[index]
    assert prepared == [catalog, cart]  # each keyboard once, however often it is sent


def test_every_bot_keeps_the_answer_classes_it_parses_with(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """pydantic caches Response[Message] only weakly: unless the session holds it, a garbage
    collection drops it and the next call builds the class again (5 ms, seen as a quarter of
    an aiogram bot's CPU under load). The broadcast Bot, without the retrying middleware,
    must hold it too."""
    monkeypatch.setattr(client, "_RESPONSE_TYPES", {})
    bot = build_bot(TelegramConfig(token=SecretStr("42:TEST")), retrying=False)  # type: ignore[call-arg]
    answer = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "hi"}
    content = json.dumps({"ok": True, "result": answer})
    response = bot.session.check_response(bot, SendMessage(chat_id=7, text="hi"), 200, content)
    assert response.result.message_id == 1  # type: ignore[union-attr]
    gc.collect()
    assert client._RESPONSE_TYPES[Message] is Response[Message]
