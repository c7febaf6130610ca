"""Titles and questions clipped for buttons (handlers/labels.py)."""

from __future__ import annotations

from handlers.labels import clip
from tests.conftest import Chat


def test_short_text_stays_as_it_is() -> None:
    assert clip("西湖龙井", 24) == "西湖龙井"
    assert clip("x" * 24, 24) == "x" * 24


def test_a_cut_shows_and_falls_between_words() -> None:
    title = "手工牛轧糖 Handmade nougat 300g"
    assert clip(title, 24) == "手工牛轧糖 Handmade nougat…"
    assert clip("Handmade nougat 300g", 18) == "Handmade nougat…"


def test_text_without_spaces_is_cut_at_the_limit() -> None:
    assert clip("云南普洱茶饼三百五十七克装礼盒", 10) == "云南普洱茶饼三百五…"
    assert len(clip("a" * 50, 10)) == 10


async def test_catalog_buttons_show_where_a_title_was_cut(chat: Chat) -> None:
    [page] = await chat.say("alice", "/catalog")
    labels = [b.label for row in page.buttons for b in row]
    assert "#4 手工牛轧糖 Handmade nougat…" in labels
    assert not any(label.endswith((" 30", " 2")) for label in labels)
