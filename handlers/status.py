"""Human names of order statuses."""

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
