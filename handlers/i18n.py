"""Translations (gettext catalogs in templates/locale) and the jinja2 environment per locale."""

from __future__ import annotations

import gettext
import io
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import templates
from store.accounts.masking import contact_visible, mask_address, mask_phone
from store.models import Shop
from store.reports import shop_zone

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
TEMPLATE_DIR = Path(templates.__file__).parent
LOCALE_DIR = TEMPLATE_DIR / "locale"
# Privacy (docs/accounts.md): `phone | mask_phone`, `address | mask_address`, and
# `order is to_ship` when the merchant needs the full contact details to ship it.
PRIVACY_FILTERS = {"mask_phone": mask_phone, "mask_address": mask_address}
PRIVACY_TESTS = {"to_ship": lambda order: contact_visible(order.status)}


def shop_time(moment: datetime, shop: Shop, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) moment as the shop's clock shows it: `{{ t.updated_at|shop_time(shop) }}`."""
    return moment.astimezone(shop_zone(shop)).strftime(fmt)


def N_(msgid: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return msgid


def normalise_locale(value: str | None) -> str:
    if not value:
        return DEFAULT_LOCALE
    v = value.replace("-", "_").lower()
    if v.startswith("zh"):
        return "zh_CN"
    if v.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """Compile the .po catalog in memory: no build step, no .mo files to forget."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def translate(locale: str, msgid: str, **params: Any) -> str:
    text = translations(locale).gettext(msgid)
    return text.format(**params) if params else text


def template_environment(locale: str, *, html: bool) -> jinja2.Environment:
    """The templates in `locale`, with the privacy filters: plain text for chat (each adapter
    escapes for its own markup at the edge), or autoescaped HTML for the dashboard."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        extensions=["jinja2.ext.i18n"],
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # the templates ship with the code: no stat of the file per render
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(PRIVACY_FILTERS, shop_time=shop_time)
    env.tests.update(PRIVACY_TESTS)
    return env


@cache
def environment(locale: str) -> jinja2.Environment:
    return template_environment(locale, html=False)


def render(locale: str, template: str, /, **values: Any) -> str:
    return environment(locale).get_template(template).render(**values).strip()
