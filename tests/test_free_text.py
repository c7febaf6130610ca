"""Words in a private chat that name no command: greetings, FAQ words, product names."""

from __future__ import annotations

from tests.conftest import MERCHANT, Chat
from tests.test_chat_flow import place_order


async def test_a_greeting_gets_the_welcome_in_either_language(chat: Chat) -> None:
    await chat.say("zoe", "/lang zh")
    for greeting in ("你好", "在吗？", "您好呀~", "👋"):
        assert "欢迎光临" in await chat.text("zoe", greeting), greeting
    await chat.say("zoe", "/lang en")
    welcome = await chat.say("zoe", "Hello!")
    assert "Welcome to" in welcome[0].text
    assert welcome[0].buttons[0][0].payload == "/catalog"


async def test_a_product_name_finds_the_product(chat: Chat) -> None:
    found = await chat.say("zoe", "龙井")
    assert "龙井" in found[0].text and "¥128.00" in found[0].text
    assert [b.payload for row in found[0].buttons for b in row] == ["/product 1"]


async def test_words_a_frequent_question_covers_get_its_answer(chat: Chat) -> None:
    await chat.say(MERCHANT, "/faq add 什么时候发货？ | 付款后 48 小时内发货。")
    # "发货" is also the shop's /ship, which a customer can't mean
    for words in ("什么时候发货", "请问什么时候发货呀", "发货"):
        answer = (await chat.say("zoe", words))[0]
        assert "付款后 48 小时内发货。" in answer.text, words
        # not enough? Ask the shop asks those words, not an empty /ask that says how to
        assert [b.payload for row in answer.buttons for b in row] == ["/faq", f"/ask {words}"]
    assert "/ship" in await chat.text(MERCHANT, "发货")  # the shop's own people: /ship's usage
    # one character says too little to pick a question by
    assert "付款后" not in await chat.text("zoe", "发")


async def test_words_nobody_understands_say_so_and_offer_the_ways_on(chat: Chat) -> None:
    await chat.say("zoe", "/lang en")
    reply = (await chat.say("zoe", "I want something nice for my mother, she likes flowers"))[0]
    cut = "I want something nice for my mother,…"
    assert reply.text.startswith(f"Sorry, I didn't understand “{cut}”.")
    assert "/ask <question>" in reply.text
    asked = "/ask I want something nice for my mother, she likes flowers"  # the words, whole
    assert [b.payload for row in reply.buttons for b in row] == ["/catalog", asked, "/help"]
    typo = await chat.text("zoe", "catalgo")  # a command's name, mistyped without its slash
    assert "didn't understand" in typo and "Did you mean:" in typo and "/catalog" in typo
    # with its slash it was meant as a command
    assert "I don't know the command “catalgo”." in await chat.text("zoe", "/catalgo")


async def test_words_in_a_group_stay_unanswered(chat: Chat) -> None:
    assert await chat.say("zoe", "你好", group="tea-lovers") == []
    assert await chat.say("zoe", "龙井", group="tea-lovers") == []


async def test_the_words_around_what_is_asked_for_are_looked_past(chat: Chat) -> None:
    """Chinese runs words together: "我想买茶叶" finds nothing as it is, "茶叶" does."""
    for asked, found in (
        ("我想买茶叶", "西湖龙井"),  # by its category, 茶叶 Tea
        ("龙井多少钱？", "西湖龙井"),
        ("有没有牛肉干", "麻辣牛肉干"),
        ("请问普洱还有货吗", "云南普洱"),
        ("Do you have nougat?", "手工牛轧糖"),
        ("What is the price of the jerky?", "麻辣牛肉干"),
        ("how much is the pu'er", "云南普洱"),
        ("Do you sell some nougat?", "手工牛轧糖"),
        ("jerky price?", "麻辣牛肉干"),
    ):
        reply = (await chat.say("zoe", asked))[0]
        assert found in reply.text and "/product" in str(reply.buttons), asked
    assert "didn't understand" in await chat.text("zoe", "我想买飞机")


async def test_an_order_number_typed_alone_shows_that_order(chat: Chat) -> None:
    no = await place_order(chat, "zoe")
    assert (await chat.text("zoe", no.lower())) == await chat.text("zoe", f"/order {no}")
    # someone else's number is no order of theirs: not understood, nothing shown
    assert "didn't understand" in await chat.text("alice", no)
    # to the shop's staff it is one of the shop's orders, as /sale shows it
    assert await chat.text(MERCHANT, no) == await chat.text(MERCHANT, f"/sale {no}")


async def test_digits_alone_find_no_product(chat: Chat) -> None:
    """Every "200g" has a 2 and a 0 in it: a number typed alone names no product."""
    for digits in ("2", "0", "13812345678"):
        assert "didn't understand" in await chat.text("zoe", digits), digits


async def test_a_word_sharing_one_character_with_a_command_is_not_offered_it(chat: Chat) -> None:
    """付款 (to pay) and 退款 (/refund) differ by a character, and mean opposite things."""
    reply = await chat.text("zoe", "付款")
    assert "didn't understand" in reply and "/refund" not in reply
    assert "/refund" in await chat.text("zoe", "/付款")  # with its slash a command was meant


async def test_ask_the_shop_asks_it_the_words_not_understood(chat: Chat) -> None:
    """Pressing it used to say "write your question after /ask", and the question typed
    again without /ask was not understood either."""
    reply = (await chat.say("zoe", "能发货到北京吗"))[0]
    [ask] = [b.payload for row in reply.buttons for b in row if b.payload.startswith("/ask")]
    assert "ticket T1" in await chat.text("zoe", ask, button=True)
    assert "能发货到北京吗" in await chat.text(MERCHANT, "/ticket T1")


async def test_thanks_and_ok_get_a_kind_word_not_a_not_understood(chat: Chat) -> None:
    for said in ("谢谢", "好的，谢谢！", "OK", "Thanks!"):
        reply = (await chat.say("zoe", said))[0]
        assert reply.text.startswith("You're welcome!"), said
        assert [b.payload for row in reply.buttons for b in row] == ["/catalog", "/orders"]


async def test_a_frequent_question_asked_in_other_words_gets_its_answer(chat: Chat) -> None:
    """A customer asks "什么时候发货" where the shop wrote "多久发货？"."""
    await chat.say(MERCHANT, "/faq add 多久发货？ | 付款后 48 小时内发货。")
    await chat.say(MERCHANT, "/faq add 可以退货吗？ | 确认收货前可申请退款。")
    for words, answer in (
        ("什么时候发货", "48 小时"),
        ("请问几天能发货呀？", "48 小时"),
        ("怎么退货", "确认收货前"),
    ):
        assert answer in await chat.text("zoe", words), words
    assert "龙井" in await chat.text("zoe", "龙井怎么卖")  # a product is still a product
    assert "didn't understand" in await chat.text("zoe", "什么时候开门")
