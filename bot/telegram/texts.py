"""The adapter's own words, as msgids translated by the core's catalogs (handlers.i18n)."""

from __future__ import annotations

from handlers.i18n import N_, translate

# Groups: personal answers go to the private chat.
OPEN_PRIVATE = N_(
    "This answer is personal, so it goes to our private chat. Please open it "
    "with the button below, then send the command there."
)
OPEN_PRIVATE_BUTTON = N_("Open private chat")

# A keyboard older than the stored payload behind its buttons.
BUTTON_EXPIRED = N_("This button has expired. Please send the command again.")

# Invoices.
INVOICE_TITLE = N_("Order {no}")
INVOICE_LINE = N_("{title} × {quantity}")
INVOICE_TOTAL = N_("Total")
INVOICE_GOODS = N_("Goods")
INVOICE_SHIPPING = N_("Shipping")

# Pre-checkout answers (the buyer reads them in Telegram's payment form).
PAY_ORDER_GONE = N_("Order {no} was not found. Please check out again.")
PAY_NOT_PENDING = N_(
    "Order {no} can no longer be paid (it was cancelled or its payment "
    "time ran out). Please check out again."
)
PAY_ALREADY_PAID = N_("Order {no} is already paid.")
PAY_AMOUNT_CHANGED = N_("The amount of order {no} has changed. Please check out again.")
PAY_UNAVAILABLE = N_("Payment is not possible right now. Please try again in a minute.")

# A payment Telegram took that the order could not accept (cancelled meanwhile, ...).
PAYMENT_NOT_APPLIED = N_(
    "A Telegram payment of {amount} for order {no} arrived but was not "
    "applied: {reason} Please refund the buyer (Telegram charge {charge})."
)


def t(locale: str, msgid: str, **params: object) -> str:
    return translate(locale, msgid, **params)
