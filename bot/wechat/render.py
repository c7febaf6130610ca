"""Neutral Replies -> what WeChat can show: plain text with <a href> links, numbered
options instead of buttons, pages within 2,048 bytes, news (图文) for product images."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.wechat.texts import IMAGE, Texts
from handlers.types import Reply

TEXT_LIMIT = 2048  # bytes of UTF-8, WeChat's limit for a text message
NEWS_TITLE_MAX = 64  # characters of a news title that still read well
NEWS_DESCRIPTION_MAX = 120  # characters shown under a news picture

_URL = re.compile(r"(?<![=\"'])https?://[^\s<>\"'“”‘’「」（）()，。、；！？]+", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\s[^>]*>.*?</a>", re.IGNORECASE | re.DOTALL)
# Where a page may end, best first: a blank line, a line break, after a sentence, after a
# clause or a space; each only if the page stays at least `floor` full.
_BREAKS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("\n\n",), 0.4),
    (("\n",), 0.4),
    (("。", "！", "？", "；", "!", "?", ";", ". "), 0.6),
    (("，", "、", ",", " "), 0.6),
)
_TAG_LIKE = re.compile(r"<(?=\s*/?\s*a\b)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class NewsPart:
    title: str
    description: str
    picurl: str
    url: str


Part = TextPart | NewsPart


@dataclass(frozen=True, slots=True)
class Rendered:
    parts: tuple[Part, ...]
    # Button payloads, option n is options[n - 1]; None leaves the last answer's options
    # remembered (an answer to a picture, a "more" page, a notification without buttons).
    options: tuple[str, ...] | None
    continuation: bool = False  # a stored "more" page: leaves the pending pages alone


def nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


def plain(text: str) -> str:
    """Core text (plain, unescaped) -> WeChat text: anchors typed by people are defused,
    bare URLs become <a href> links."""
    text = _TAG_LIKE.sub("＜", text)
    return _URL.sub(lambda m: link(m.group(0), m.group(0)), text)


def _is_web_url(value: str | None) -> bool:
    return value is not None and value.lower().startswith(("http://", "https://"))


def render(
    replies: Sequence[Reply],
    texts: Texts,
    pay_texts: Mapping[str, str] | None = None,
    *,
    numbered: bool = True,
) -> Rendered:
    """Every reply in order; buttons numbered across the whole answer, or shown as the
    command to type when numbers would be taken for an answer (`numbered=False`)."""
    parts: list[Part] = []
    options: list[str] = []
    for reply in replies:
        lines = []
        for row in reply.buttons:
            for button in row:
                if numbered:
                    options.append(button.payload)
                    lines.append(texts.option(len(options), button.label))
                else:
                    lines.append(texts.command(button.label, button.payload))
        pay_text = (pay_texts or {}).get(reply.pay_order_no or "", "")
        extra = "\n\n".join(x for x in (pay_text, "\n".join(lines)) if x)
        parts.extend(_render_one(reply, extra))
    return Rendered(parts=tuple(_merge_texts(parts)), options=tuple(options))


def _render_one(reply: Reply, extra: str) -> list[Part]:
    """A reply with a picture leads with a news card: the whole reply when it is short and
    has no options, else its first line as the card's title and the rest as text."""
    text = reply.text.strip()
    parts: list[Part] = []
    if _is_web_url(reply.image):
        image = reply.image or ""
        title, _, rest = text.partition("\n")
        rest = rest.strip()
        title_fits = len(title) <= NEWS_TITLE_MAX and not _URL.search(title)
        if title_fits and not extra and len(rest) <= NEWS_DESCRIPTION_MAX and not _URL.search(rest):
            return [NewsPart(title=title, description=rest, picurl=image, url=image)]
        if title_fits:
            parts.append(NewsPart(title=title, description="", picurl=image, url=image))
            text = rest
    body = "\n\n".join(x for x in (plain(text), extra) if x)
    if body:
        parts.append(TextPart(body))
    return parts


def _merge_texts(parts: list[Part]) -> list[Part]:
    out: list[Part] = []
    for part in parts:
        if isinstance(part, TextPart) and out and isinstance(out[-1], TextPart):
            out[-1] = TextPart(out[-1].text + "\n\n" + part.text)
        else:
            out.append(part)
    return out


def flatten_news(parts: Sequence[Part], texts: Texts) -> list[Part]:
    """For accounts that can send only one message per answer: news become a link line."""
    flat: list[Part] = []
    for part in parts:
        if isinstance(part, NewsPart):
            line = link(part.url, part.title or texts.t(IMAGE))
            part = TextPart("\n".join(x for x in (line, part.description) if x))
        flat.append(part)
    return _merge_texts(flat)


def split_pages(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut `text` into pages of at most `limit` bytes: at a blank line, else a line break,
    else a space, never inside an <a> link, never inside a character."""
    pages: list[str] = []
    rest = text.strip()
    while nbytes(rest) > limit:
        cut = _cut(rest, limit)
        pages.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest:
        pages.append(rest)
    return pages


def _cut(text: str, limit: int) -> int:
    # Largest prefix (in characters) that fits in `limit` bytes.
    size = 0
    fit = 0
    for i, ch in enumerate(text):
        size += nbytes(ch)
        if size > limit:
            break
        fit = i + 1
    head = text[:fit]
    cut = fit
    if fit < len(text):
        for seps, floor in _BREAKS:
            pos = max(head.rfind(s) + (len(s) if s.strip() else 0) for s in seps)
            if pos > fit * floor:
                cut = pos
                break
    for m in _ANCHOR.finditer(text):
        if m.start() < cut < m.end():
            cut = m.start() if m.start() > 0 else cut
            break
        if m.start() >= cut:
            break
    return max(cut, 1)
