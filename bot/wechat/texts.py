"""The adapter's own words, as msgids translated by the core's catalogs (handlers.i18n)."""

from __future__ import annotations

from handlers.i18n import N_, translate

OPTION = N_("Reply {n} · {label}")
OPTION_COMMAND = N_("{label}: {command}")
MORE_WORD = N_("more")
MORE_FOOTER = N_("(Reply “{word}” to see more)")
NOTHING_MORE = N_("That's all.")
TEXT_ONLY = N_("I read text only. Please text me a command, for example /help")
PAY_OFFER = N_("Pay order {no} with WeChat Pay: {link}")
PAY_LINK = N_("Pay now")
PAY_QR = N_("or open this payment link: {link}")
IMAGE = N_("Picture")
ORDER_BODY = N_("Order {no}")
PAY_FAILED = N_("Payment failed. Please try again.")
PAYMENT_NOT_APPLIED = N_(
    "A WeChat Pay payment of {amount} for order {no} arrived but was not "
    "applied: {reason} Please refund the buyer (WeChat Pay transaction {transaction})."
)


class Texts:
    """Translated phrases for one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def t(self, msgid: str, **params: object) -> str:
        return translate(self.locale, msgid, **params)

    def option(self, n: int, label: str) -> str:
        return self.t(OPTION, n=n, label=label)

    def command(self, label: str, command: str) -> str:
        return self.t(OPTION_COMMAND, label=label, command=command)

    @property
    def more_word(self) -> str:
        return self.t(MORE_WORD)

    def more_words(self) -> set[str]:
        """What a person may type to get the next page: the local word and the English one."""
        return {self.more_word.casefold(), MORE_WORD.casefold()}

    def more_footer(self) -> str:
        return self.t(MORE_FOOTER, word=self.more_word)
