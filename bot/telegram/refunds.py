"""Refund gateways for the store's refund outbox, one per Telegram payment method.

- Telegram Stars go back to the buyer through ``refundStarPayment``. A failure is raised
  as ``RefundError`` and the outbox retries it with backoff.
- Card payments through a payments provider can't be refunded through the Bot API: the
  job ends as *manual*, so the merchant is told to refund in the provider's dashboard and
  the order's refund record says so.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.telegram.convert import PLATFORM
from store.models import Identity, Order, RefundJob
from store.refunds import RefundError, RefundOutbox, RefundOutcome

log = logging.getLogger(__name__)

METHOD_PROVIDER = "telegram"  # paid through a payments provider (card)
METHOD_STARS = "telegram_stars"


class StarsRefunds:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def refund(self, job: RefundJob) -> RefundOutcome:
        charge = job.provider_payment_id
        if not charge:
            raise RefundError("no Telegram charge id to refund")
        order = await Order.get(id=job.order_id)  # type: ignore[attr-defined]
        payer = await Identity.filter(
            person_id=order.person_id,  # type: ignore[attr-defined]
            platform=PLATFORM,
        ).first()
        if payer is None or not payer.platform_user_id.isdigit():
            raise RefundError("the buyer has no Telegram account to refund the Stars to")
        try:
            await self.bot.refund_star_payment(
                user_id=int(payer.platform_user_id), telegram_payment_charge_id=charge
            )
        except TelegramBadRequest as e:
            if "CHARGE_ALREADY_REFUNDED" in e.message:
                # An earlier attempt went through but its outcome was not recorded.
                return RefundOutcome(provider_refund_id=charge)
            raise RefundError(e.message) from None
        except TelegramAPIError as e:
            raise RefundError(e.message) from None
        log.info("order %s: %s Stars refunded (charge %s)", order.order_no, job.amount, charge)
        return RefundOutcome(provider_refund_id=charge)


class ProviderRefunds:
    """The Bot API can't refund a provider's card payment: the merchant does it by hand."""

    async def refund(self, job: RefundJob) -> RefundOutcome:
        return RefundOutcome(manual=True)


def register_refund_gateways(refunds: RefundOutbox, bot: Bot) -> None:
    refunds.register(METHOD_STARS, StarsRefunds(bot), partial=False)  # a whole charge only
    refunds.register(METHOD_PROVIDER, ProviderRefunds())
