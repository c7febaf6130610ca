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
    return _label(STATUS_LABELS, locale, status)


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
    return _label(STATE_LABELS, locale, state)


def _label(labels: dict[str, str], locale: str, value: str) -> str:
    msgid = labels.get(str(value))
    return translate(locale, msgid) if msgid else str(value)
