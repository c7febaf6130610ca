"""The zh_CN catalog covers every extracted msgid, keeps its placeholders, and is really used.

The extraction mirrors the documented command (docs/translations.md):

    pybabel extract -F babel.cfg -k N_ -k t -k button -k translate:2 ... \
        bot handlers store templates referral

Babel matches the babel.cfg patterns against paths relative to each input
directory, so the `[jinja2: templates/**.j2]` section only matches when paths
are taken relative to the project root. To be safe either way, messages are
collected both relative to each input directory (as the command line does) and
relative to the project root (as the mapping is written), and the union is
checked.
"""

from __future__ import annotations

import os
import re
import string
from functools import cache, lru_cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

try:  # Babel >= 2.14
    from babel.messages.frontend import parse_mapping_cfg as _parse_mapping
except ImportError:  # pragma: no cover - older Babel
    from babel.messages.frontend import parse_mapping as _parse_mapping

from babel.messages.frontend import parse_keywords

from handlers import i18n

ROOT = Path(__file__).resolve().parent.parent
INPUT_DIRS = ("bot", "handlers", "store", "templates", "referral")
EXTRA_KEYWORDS = ["N_", "t", "button", "translate:2"]
ZH_PO = ROOT / "templates" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
EN_PO = ROOT / "templates" / "locale" / "en" / "LC_MESSAGES" / "messages.po"

PERCENT_FIELD = re.compile(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def _keywords() -> dict:
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(EXTRA_KEYWORDS))
    return keywords


def _mapping() -> tuple[list, dict]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        return _parse_mapping(f)


@lru_cache(maxsize=1)
def extracted() -> dict[str, frozenset[str]]:
    """msgid -> the files (relative to the project root) it was extracted from."""
    method_map, options_map = _mapping()
    keywords = _keywords()
    found: dict[str, set[str]] = {}

    def add(path: str, message: str | tuple) -> None:
        # ngettext gives (singular, plural): the catalog keys both by the singular
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, set()).add(path)

    for name in INPUT_DIRS:
        top = ROOT / name
        if not top.is_dir():
            continue
        # As the command line does: patterns relative to the input directory.
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(top), method_map, options_map, keywords
        ):
            add(f"{name}/{filename}", message)

        # As babel.cfg is written: patterns relative to the project root.
        def only_this_tree(dirpath: str, name: str = name) -> bool:
            rel = os.path.relpath(dirpath, ROOT).replace(os.sep, "/")
            base = os.path.basename(dirpath)
            return rel.split("/")[0] == name and not base.startswith((".", "_"))

        for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords, directory_filter=only_this_tree
        ):
            filename = filename.replace(os.sep, "/")
            if filename.startswith(name + "/"):
                add(filename, message)
    return {msgid: frozenset(paths) for msgid, paths in found.items()}


@cache
def catalog(path: Path) -> dict[str, str]:
    with path.open("rb") as f:
        cat = read_po(f)
    out = {}
    for message in cat:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
        out[msgid] = msgstr or ""
    return out


def brace_fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def percent_fields(text: str) -> set[str]:
    return set(PERCENT_FIELD.findall(text))


def test_extraction_finds_python_and_template_messages() -> None:
    messages = extracted()
    sources = {path for paths in messages.values() for path in paths}
    assert any(p.endswith(".py") for p in sources), "no Python messages extracted"
    assert any(p.endswith(".j2") for p in sources), (
        "no template messages extracted: check the [jinja2: ...] section of babel.cfg"
    )
    assert "Your cart is empty." in messages
    assert "awaiting payment" in messages


def test_every_msgid_has_a_zh_cn_translation() -> None:
    zh = catalog(ZH_PO)
    missing = sorted(
        (msgid, sorted(paths))
        for msgid, paths in extracted().items()
        if not zh.get(msgid, "").strip()
    )
    assert not missing, (
        f"{len(missing)} msgid(s) without a zh_CN translation in {ZH_PO.relative_to(ROOT)}:\n"
        + "\n".join(f"  {msgid!r}  ({', '.join(paths)})" for msgid, paths in missing)
    )


def test_zh_cn_placeholders_match_the_msgid() -> None:
    zh = catalog(ZH_PO)
    wrong = []
    for msgid, paths in sorted(extracted().items()):
        msgstr = zh.get(msgid, "")
        if not msgstr:
            continue  # reported by the test above
        if brace_fields(msgstr) != brace_fields(msgid):
            wrong.append(
                f"{msgid!r}: {{fields}} {sorted(brace_fields(msgid))} "
                f"!= {sorted(brace_fields(msgstr))} in {msgstr!r}"
            )
        if percent_fields(msgstr) != percent_fields(msgid):
            wrong.append(
                f"{msgid!r}: %(fields)s {sorted(percent_fields(msgid))} "
                f"!= {sorted(percent_fields(msgstr))} in {msgstr!r}"
            )
        # The translations are formatted at run time: python code with str.format
        # (when it passes params), templates with "%" (jinja2 newstyle gettext, always).
        brace = {name: "x" for name in brace_fields(msgid)}
        if any(p.endswith(".py") for p in paths) and brace:
            try:
                msgstr.format(**brace)
            except (KeyError, IndexError, ValueError) as exc:
                wrong.append(f"{msgid!r}: str.format fails on {msgstr!r}: {exc!r}")
        if any(p.endswith(".j2") for p in paths):
            try:
                msgstr % {name: "x" for name in percent_fields(msgid)}
            except (KeyError, TypeError, ValueError) as exc:
                wrong.append(f"{msgid!r}: %-formatting fails on {msgstr!r}: {exc!r}")
    assert not wrong, "placeholder mismatches in zh_CN:\n" + "\n".join(wrong)


def test_zh_cn_keeps_the_command_names() -> None:
    zh = catalog(ZH_PO)
    changed = []
    for msgid in extracted():
        msgstr = zh.get(msgid, "")
        commands = set(re.findall(r"/[a-z]+\b", msgid))
        if msgstr and not commands <= set(re.findall(r"/[a-z]+\b", msgstr)):
            changed.append(f"{msgid!r} -> {msgstr!r}")
    assert not changed, "commands must stay untranslated:\n" + "\n".join(changed)


def test_catalog_headers() -> None:
    with ZH_PO.open("rb") as f:
        zh = read_po(f)
    assert zh.locale_identifier == "zh_CN"  # the "Language:" header as written
    assert zh.charset.lower() == "utf-8"
    assert zh.plural_forms.replace(" ", "") == "nplurals=1;plural=0;"
    with EN_PO.open("rb") as f:
        read_po(f)  # the English identity catalog parses


def test_zh_cn_catalog_is_used_for_templates() -> None:
    zh = i18n.render("zh_CN", "chat/lang_set.j2")
    en = i18n.render("en", "chat/lang_set.j2")
    assert "中文" in zh and "/lang en" in zh
    assert en.startswith("I'll speak English")
    assert zh != en

    quote = type("Quote", (), {"lines": [], "total": 0})()
    text = i18n.render(
        "zh_CN", "chat/cart.j2", added=None, note=None, quote=quote, money=str, errors=str
    )
    assert text == "购物车是空的。"

    order = i18n.render(
        "zh_CN",
        "notify/order_refunded.j2",
        event=type("E", (), {"order_no": "A123", "refunded": 1, "total": 1, "final": True})(),
        total="¥9.90",
        money=str,
    )
    assert "A123" in order and "¥9.90" in order and "退款" in order


def test_zh_cn_catalog_is_used_for_python_messages() -> None:
    assert i18n.translate("zh_CN", "Order {no}", no="A123") == "订单 A123"
    assert i18n.translate("en", "Order {no}", no="A123") == "Order A123"
    assert i18n.translate("zh_CN", "awaiting payment") == "待付款"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_catalog_compiles(locale: str) -> None:
    translations = i18n.translations(locale)
    assert translations.gettext("Check out") in {"Check out", "去结算"}


def test_plural_messages_keep_their_placeholders_and_count() -> None:
    with ZH_PO.open("rb") as f:
        plurals = [m for m in read_po(f) if m.pluralizable]
    assert plurals, "no ngettext messages in the catalog"
    for message in plurals:
        singular, plural = message.id
        assert percent_fields(singular) == percent_fields(plural), message.id
    # English picks the form by the count; Chinese has one form
    segment = {"segment": "all", "segments": "all"}
    one = i18n.render("en", "community/audience.j2", size=1, **segment)
    two = i18n.render("en", "community/audience.j2", size=2, **segment)
    assert "reaches 1 recipient." in one and "reaches 2 recipients." in two
    assert "可覆盖 1 人" in i18n.render("zh_CN", "community/audience.j2", size=1, **segment)


# One word per notion in zh_CN: a reader meets the same word in /help and /help all, in
# checkout and in a group buy. The word not used -> the word used.
ZH_TERMS = {"命令": "指令", "收件人": "收货人"}


def test_zh_cn_uses_one_word_per_notion() -> None:
    mixed = {
        msgid: msgstr
        for msgid, msgstr in catalog(ZH_PO).items()
        if any(other in msgstr for other in ZH_TERMS)
    }
    assert not mixed, f"write {ZH_TERMS} instead: {mixed}"


def test_zh_cn_holds_no_translation_the_code_no_longer_uses() -> None:
    """A message reworded in the code leaves its old translation behind, which nobody sees
    and the next translator keeps updating: it goes with the change."""
    stale = sorted(set(catalog(ZH_PO)) - set(extracted()))
    assert not stale, f"{len(stale)} msgid(s) in {ZH_PO.relative_to(ROOT)} no code uses: {stale}"


def test_the_template_catalog_lists_what_the_code_uses() -> None:
    pot = set(catalog(ROOT / "templates" / "locale" / "messages.pot"))
    used = set(extracted())
    assert pot == used, {"missing": sorted(used - pot), "stale": sorted(pot - used)}
