"""Words in a private chat that name no command: what the person most likely meant.

Customers of a chat shop write as they would to the seller: "你好", "在吗", a product's
name, "什么时候发货", their order's number. A greeting gets the welcome, words that one of the
shop's frequent questions covers get its answer, an order number of theirs the order, words
found in the catalog get the products, and anything
else a friendly "not understood" with the ways on. A mistyped slash command still gets the
unknown-command reply (the engine's), which suggests the command meant.
"""

from __future__ import annotations

from handlers.args import plain
from handlers.commands.browse import search_reply
from handlers.commands.general import welcome
from handlers.commands.merchant_orders import merchant_order_reply
from handlers.commands.orders import order_view
from handlers.context import Context
from handlers.engine import unknown_command
from handlers.types import Reply
from store.errors import InvalidInput, OrderNotFound
from store.orders import looks_like_order_no
from store.support.models import FaqEntry

# Compared after `plain`: case folded, spaces and punctuation gone.
GREETINGS = frozenset(
    {
        "你好", "您好", "你好呀", "你好啊", "您好呀", "哈喽", "嗨", "hi", "hello", "hey",
        "在吗", "在么", "在嘛", "在不在", "有人吗", "有人在吗", "老板", "老板在吗", "亲", "亲在吗",
        "早", "早上好", "中午好", "下午好", "晚上好", "菜单", "menu",
    }
)  # fmt: skip
# "谢谢", "好的": what a customer says after an answer; "not understood" would be rude.
THANKS = frozenset(
    {
        "谢谢", "谢谢你", "谢谢您", "谢谢老板", "谢谢亲", "谢啦", "谢了", "多谢", "感谢", "好的",
        "好的谢谢", "好", "好滴", "好哒", "嗯", "嗯嗯", "收到", "知道了", "明白了", "ok", "okay",
        "thanks", "thankyou", "thx", "ty", "great", "cool",
    }
)  # fmt: skip
SEARCHED_UP_TO = 40  # characters: longer text is a sentence, not a product's name
# The words around what a customer asks for ("我想买茶叶", "龙井多少钱", "有没有牛肉干？"),
# taken off the ends, longest first, when the whole text finds nothing. Chinese is written
# without spaces, so a product's name is only found once they are gone.
ASKING = (
    "请问", "我想买", "我想要", "我要买", "我要", "想买", "想要", "有没有", "还有没有", "有",
    "买", "do you have", "do you sell", "i want", "i'd like", "looking for", "any",
    "how much is", "how much are", "how much for", "what is the price of",
    "what's the price of", "price of", "the ", "some ",
)  # fmt: skip
ASKED = (
    "多少钱", "怎么卖", "怎么买", "还有货吗", "还有吗", "有货吗", "有吗", "卖吗", "的价格",
    "价格", "吗", "呢", "呀", "啊", "吧", "please", "how much", " price", " cost",
)  # fmt: skip

# How a question starts, taken off with ASKED's endings to find what it is about.
QUESTION_WORDS = (
    *ASKING, "什么时候", "啥时候", "多久", "多长时间", "几天", "怎么", "如何", "怎样", "可以",
    "能不能", "能", "会不会", "是不是", "when do you", "when will you", "how do i", "can i",
    "do you",
)  # fmt: skip
_AROUND = " ?？!！.。,，~～"  # what is trimmed off the ends with the asking


def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    """So that "还有货吗" comes off whole, before "有货吗" or "吗" can."""
    return tuple(sorted(words, key=len, reverse=True))


_ASKING, _ASKED, _QUESTION = map(_longest_first, (ASKING, ASKED, QUESTION_WORDS))


async def answer(text: str, ctx: Context) -> Reply:
    words = plain(text)
    if not words or words in GREETINGS:  # "你好", or a wave: 👋
        return welcome(ctx)
    if words in THANKS:
        buttons = [[ctx.button("Browse products", "/catalog"), ctx.button("My orders", "/orders")]]
        return ctx.reply("chat/thanks.j2", buttons=buttons)
    if ctx.shop is not None:
        faq = await ctx.services.support.faq(ctx.shop.id)
        entry = _covering(faq, words)
        if entry is not None:
            return _faq_answer(ctx, entry, text)
        if looks_like_order_no(text):  # "4TJ9VDUZ" typed without /order (or /sale)
            found = await _order_named(ctx, ctx.shop.id, text)
            if found is not None:
                return found
        # Digits alone are no product's name ("2" would find every "200g")
        if len(text) <= SEARCHED_UP_TO and not words.isdigit():
            for asked in dict.fromkeys((text, _wanted(text))):  # each once, as typed first
                found = await _found(ctx, ctx.shop.id, asked)
                if found is not None:
                    return found
        # The same question asked in other words: "什么时候发货" and "几天发货" ask "多久发货？"
        entry = _covering(faq, plain(_wanted(text, _QUESTION)))
        if entry is not None:
            return _faq_answer(ctx, entry, text)
    return unknown_command(text, ctx, plain=True)


def _faq_answer(ctx: Context, entry: FaqEntry, text: str) -> Reply:
    """The answer; if it is not enough, Ask the shop asks it the customer's own words."""
    ask = ctx.button("Ask the shop", f"/ask {text}")
    buttons = [[ctx.button("All questions", "/faq"), ask]]
    return ctx.reply("support/faq_one.j2", entry=entry, buttons=buttons)


async def _order_named(ctx: Context, shop_id: int, no: str) -> Reply | None:
    """The person's own order, or to the shop's staff one of the shop's, as /sale shows it."""
    orders = ctx.services.orders
    try:
        return await order_view(ctx, await orders.for_person(no, ctx.person.id))
    except OrderNotFound:
        if ctx.role is None:
            return None
    try:
        return await merchant_order_reply(ctx, await orders.for_shop(no, shop_id))
    except OrderNotFound:  # ShopOrderNotFound too
        return None


async def _found(ctx: Context, shop_id: int, words: str) -> Reply | None:
    try:
        page = await ctx.services.catalog.search(shop_id, words)
    except InvalidInput:  # no searchable words
        return None
    return search_reply(ctx, words, page) if page.products else None


def _wanted(text: str, asking: tuple[str, ...] = _ASKING) -> str:
    """`text` without the asking around it: "我想买茶叶？" -> "茶叶"."""
    words = text.casefold().strip(_AROUND)
    changed = True
    while changed:
        changed = False
        for ask in asking:
            if words.startswith(ask) and len(words) > len(ask):
                words, changed = words[len(ask) :].strip(), True
                break
        for ask in _ASKED:
            if words.endswith(ask) and len(words) > len(ask):
                words, changed = words[: -len(ask)].strip(_AROUND), True
                break
    return words


def _covering(entries: list[FaqEntry], words: str) -> FaqEntry | None:
    """The first frequent question that is in the words, or that has them in it ("发货" and
    "请问什么时候发货呀" both find "什么时候发货？"); one character says too little."""
    if len(words) < 2:
        return None
    for entry in entries:
        question = plain(entry.question)
        if question and (words in question or question in words):
            return entry
    return None
