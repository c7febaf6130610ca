"""Usage lines in the reader's language: `/add <id> [qty]` reads `/add <编号> [数量]`.

A usage line is written once, in English, where its command is registered (`usage=`,
`staff_usage=`) or refuses its arguments (`usage("/add <id> [qty]")`, `need(...)`). What
is typed as it is stays as it is: command names and words such as all, off, max, keep,
now, cap=. Each placeholder, a `<...>` or `[...]` holding no other, is a msgid of its own,
listed here so that extraction finds it; one not listed is shown as written.
"""

from __future__ import annotations

import re

from handlers.i18n import N_, translate

PLACEHOLDERS: frozenset[str] = frozenset(
    (
        N_("<% or amount>"),
        N_("<%>"),
        N_("<+points|-points>"),
        N_("<amount | percent%>"),
        N_("<amount>"),
        N_("<amount|n%>"),
        N_("<answer>"),
        N_("<carrier>"),
        N_("<category>"),
        N_("<confirmation code>"),
        N_("<coupon code>"),
        N_("<date>"),
        N_("<days>"),
        N_("<description>"),
        N_("<discount %>"),
        N_("<duration>"),
        N_("<end|duration>"),
        N_("<fee>"),
        N_("<from hour>"),
        N_("<group code>"),
        N_("<group price>"),
        N_("<how to pay>"),
        N_("<id>"),
        N_("<link code>"),
        N_("<image url>"),
        N_("<invitation code>"),
        N_("<level 1 %>"),
        N_("<level 2 %>"),
        N_("<level 3 %>"),
        N_("<line #>"),
        N_("<min total spend>"),
        N_("<minutes>"),
        N_("<n>"),
        N_("<name>"),
        N_("<no>"),
        N_("<off>"),
        N_("<offer no>"),
        N_("<order no>"),
        N_("<points per 1 paid>"),
        N_("<points per 1>"),
        N_("<price>"),
        N_("<product id>"),
        N_("<qty>"),
        N_("<question>"),
        N_("<reason>"),
        N_("<review id>"),
        N_("<segment>"),
        N_("<shop>"),
        N_("<size>"),
        N_("<spend>"),
        N_("<stars 1-5>"),
        N_("<stars>"),
        N_("<start|now>"),
        N_("<stock>"),
        N_("<text>"),
        N_("<ticket>"),
        N_("<title>"),
        N_("<to hour>"),
        N_("<tracking no>"),
        N_("<user>"),
        N_("<value>"),
        N_("<words>"),
        N_("[#item]"),
        N_("[category]"),
        N_("[command|all]"),
        N_("[end date]"),
        N_("[n]"),
        N_("[no]"),
        N_("[note]"),
        N_("[page]"),
        N_("[payload]"),
        N_("[product id]"),
        N_("[qty]"),
        N_("[reason]"),
        N_("[shop link name]"),
        N_("[status]"),
        N_("[tag ...]"),
        N_("[text]"),
    )
)
PLACEHOLDER = re.compile(r"<[^<>\[\]]+>|\[[^<>\[\]]+\]")


def localise_usage(locale: str, text: str) -> str:
    """`text`, a usage line, with each listed placeholder translated into `locale`."""
    return PLACEHOLDER.sub(
        lambda m: translate(locale, m[0]) if m[0] in PLACEHOLDERS else m[0], text
    )
