"""Share posters: a PNG with the shop's name, an optional product and the agent's QR code.

segno draws the QR code, Pillow the poster. Chinese needs a CJK font: the first of
FONT_CANDIDATES found is used (Debian: fonts-wqy-microhei or fonts-noto-cjk); without one,
Pillow's own font draws the poster, and characters it lacks show as boxes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
WIDTH, HEIGHT = 720, 1080
MARGIN = 48
INK = (33, 33, 33)
ACCENT = (196, 43, 28)  # a red Chinese shoppers read as "shop"
PAPER = (255, 255, 255)
QR_SIZE = 480

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True, slots=True)
class PosterText:
    shop: str  # the shop's name, large
    product: str = ""  # an optional product line (title and price)
    caption: str = ""  # under the QR code, e.g. "Scan to visit the shop"
    agent: str = ""  # who shares it, e.g. "Recommended by Wang"


@cache
def cjk_font_path() -> str | None:
    return next((p for p in FONT_CANDIDATES if Path(p).is_file()), None)


def _font(size: int) -> Font:
    path = cjk_font_path()
    if path is not None:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _qr_image(link: str) -> Image.Image:
    buf = io.BytesIO()
    segno.make(link, error="m").save(buf, kind="png", scale=10, border=2)
    buf.seek(0)
    return Image.open(buf).convert("RGB").resize((QR_SIZE, QR_SIZE), Image.Resampling.NEAREST)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """Break by character: Chinese has no spaces, and a few-word English line fits anyway."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if draw.textlength(current + ch, font=font) > width and current:
            lines.append(current)
            current = ch.lstrip()
        else:
            current += ch
    if current:
        lines.append(current)
    return lines


def _centered(
    draw: ImageDraw.ImageDraw,
    y: int,
    text: str,
    font: Font,
    fill: tuple[int, int, int],
    max_lines: int,
) -> int:
    """Draw wrapped, centred lines from y; return the y below them."""
    for line in _wrap(draw, text, font, WIDTH - 2 * MARGIN)[:max_lines]:
        left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
        draw.text(((WIDTH - (right - left)) // 2, y), line, font=font, fill=fill)
        y += bottom - top + 14
    return y


def render_poster(text: PosterText, link: str) -> bytes:
    """The poster as PNG bytes; the QR code opens `link`."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 200), fill=ACCENT)
    _centered(draw, 64, text.shop, _font(56), PAPER, max_lines=2)
    y = 240
    if text.product:
        y = _centered(draw, y, text.product, _font(36), INK, max_lines=2)
    qr_top = max(y + 20, 330)
    image.paste(_qr_image(link), ((WIDTH - QR_SIZE) // 2, qr_top))
    y = _centered(draw, qr_top + QR_SIZE + 24, text.caption, _font(32), INK, max_lines=1)
    if text.agent:
        _centered(draw, y + 8, text.agent, _font(28), ACCENT, max_lines=1)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
