"""Human names of order statuses, and of the other states an error reply may name."""

from __future__ import annotations

from handlers.i18n import N_, translate

STATUS_LABELS = {
    "pending_payment": N_("awaiting payment"),
    "paid": N_("paid"),
    "shipped": N_("shipped"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
    "refund_requested": N_("refund requested"),
    "refunded": N_("refunded"),
}


def status_label(locale: str, status: str) -> str:
    msgid = STATUS_LABELS.get(str(status))
    return translate(locale, msgid) if msgid else str(status)


# What an error's `status` may also be: a broadcast's state, or why an order can't be paid.
STATE_LABELS = STATUS_LABELS | {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "sending": N_("sending"),
    "paused": N_("paused"),
    "done": N_("done"),
    "product_gone": N_("a product in it is no longer sold"),
}


def state_label(locale: str, state: str) -> str:
    msgid = STATE_LABELS.get(str(state))
    return translate(locale, msgid) if msgid else str(state)
