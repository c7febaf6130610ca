"""Error replies put a state into the reader's words, and quote what the person typed as typed."""

from __future__ import annotations

from handlers.errors import error_text
from store.errors import IllegalTransition, InvalidInput
from store.models import OrderStatus


def test_an_order_status_is_named_in_the_readers_language() -> None:
    err = IllegalTransition(no="ABCD2345", status=OrderStatus.PAID)
    assert "已付款" in error_text("zh_CN", err)
    assert "(status: paid)" in error_text("en", err)


def test_a_broadcast_state_is_named_in_the_readers_language() -> None:
    # /broadcast pause 1 on a scheduled broadcast: not "（状态：scheduled）" in Chinese.
    for state, zh in (("scheduled", "已定时"), ("draft", "草稿"), ("paused", "已暂停")):
        text = error_text("zh_CN", IllegalTransition("broadcast_state", id=1, status=state))
        assert zh in text and state not in text, text


def test_an_order_whose_product_is_gone_says_so() -> None:
    err = IllegalTransition(no="ABCD2345", status="product_gone")
    assert "product_gone" not in error_text("zh_CN", err)
    assert "no longer sold" in error_text("en", err)


def test_typed_text_is_quoted_as_typed_even_when_it_is_a_status_word() -> None:
    # "/price 1 paid" must not answer "“已付款” is not an amount of money".
    text = error_text("zh_CN", InvalidInput("bad_amount", value="paid"))
    assert "“paid”" in text and "已付款" not in text
