"""Telegram Payments: invoices, pre-checkout answers, successful payments.

Amounts cross the boundary as integer minor units (``store.money.to_minor``); inside
they are the order's Decimal total. A payment is confirmed through the store's payment
port, keyed by ``telegram_payment_charge_id``, so a repeated or concurrent delivery of
the same payment pays the order once; one that can't be recorded for now (the database
unreachable) is handed back to Telegram to deliver again (`Redeliver`). Refunds go
through the store's refund outbox (``bot.telegram.refunds``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.types import LabeledPrice, Message, PreCheckoutQuery

from bot.config import TelegramConfig
from bot.staff_alerts import tell_staff_once
from bot.telegram import texts
from bot.telegram.locales import Locales
from bot.telegram.redelivery import Redeliver
from bot.telegram.refunds import METHOD_PROVIDER, METHOD_STARS
from handlers.errors import error_text
from handlers.i18n import normalise_locale
from handlers.labels import clip
from handlers.outbox import Outbox
from store.db import is_connection_failure
from store.errors import (
    AlreadyPaid,
    AmountMismatch,
    IllegalTransition,
    OrderNotFound,
    StoreError,
)
from store.models import Order, OrderStatus
from store.money import format_money, from_minor, to_minor
from store.services import StoreServices

if TYPE_CHECKING:
    from bot.runtime import Deduplicator

log = logging.getLogger(__name__)

STARS = "XTR"
PRE_CHECKOUT_BUDGET_SECONDS = 6.0  # Telegram waits 10 s for the answer
_PAID_STATES = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED})
MAX_TITLE = 32
MAX_DESCRIPTION = 255


def payments_enabled(config: TelegramConfig) -> bool:
    return config.provider_token is not None or config.currency == STARS


def method_for(currency: str) -> str:
    return METHOD_STARS if currency == STARS else METHOD_PROVIDER


def _invoice_prices(order: Order, locale: str) -> list[LabeledPrice]:
    """The invoice's lines, summing to exactly what is charged (the order's total): one
    total, or the goods and the shipping when the order has a fee. ValueError: an amount
    that has no whole minor units in the currency."""
    total = to_minor(order.total, order.currency)
    shipping = to_minor(order.shipping_fee, order.currency)
    if shipping <= 0:
        return [LabeledPrice(label=texts.t(locale, texts.INVOICE_TOTAL), amount=total)]
    return [
        LabeledPrice(label=texts.t(locale, texts.INVOICE_GOODS), amount=total - shipping),
        LabeledPrice(label=texts.t(locale, texts.INVOICE_SHIPPING), amount=shipping),
    ]


class TelegramPayments:
    def __init__(
        self,
        bot: Bot,
        services: StoreServices,
        config: TelegramConfig,
        locales: Locales,
        outbox: Outbox,
        dedup: Deduplicator,
    ) -> None:
        self.bot = bot
        self.services = services
        self.locales = locales
        self.currency = config.currency
        self.provider_token = (
            config.provider_token.get_secret_value() if config.provider_token else ""
        )
        self.enabled = payments_enabled(config)
        self.outbox = outbox  # staff notices: queued, delivered in the background
        self.dedup = dedup

    # -- invoice ------------------------------------------------------------------------

    async def send_invoice(self, chat_id: int, order_no: str, locale: str) -> None:
        """Delivery's invoice sender, handed to it only while payments are on (mount)."""
        order = await self.services.orders.get(order_no)
        if order.status != OrderStatus.PENDING_PAYMENT:
            return
        if order.currency != self.currency:
            log.warning(
                "order %s is in %s, Telegram payments take %s: no invoice",
                order.order_no,
                order.currency,
                self.currency,
            )
            return
        try:
            prices = _invoice_prices(order, locale)
        except ValueError:
            log.error(
                "order %s: %s %s can't be paid in whole minor units; no invoice",
                order.order_no,
                order.total,
                order.currency,
            )
            return
        lines = ", ".join(
            texts.t(locale, texts.INVOICE_LINE, title=item.title, quantity=item.quantity)
            for item in order.items
        )
        await self.bot.send_invoice(
            chat_id=chat_id,
            title=clip(texts.t(locale, texts.INVOICE_TITLE, no=order.order_no), MAX_TITLE),
            description=clip(lines or order.order_no, MAX_DESCRIPTION),
            payload=order.order_no,
            currency=order.currency,
            prices=prices,
            provider_token=self.provider_token if order.currency != STARS else None,
        )

    # -- pre-checkout -------------------------------------------------------------------

    async def on_pre_checkout(self, query: PreCheckoutQuery) -> None:
        """Answer within Telegram's 10 seconds: ok only for a payable order and amount."""
        error: str | None
        try:
            async with asyncio.timeout(PRE_CHECKOUT_BUDGET_SECONDS):
                user = query.from_user
                locale = await self.locales.for_user(user.id, user.language_code)
                error = await self._refusal(query, locale)
        except Exception:
            log.exception("pre-checkout check failed for %s", query.invoice_payload)
            locale = normalise_locale(query.from_user.language_code)
            error = texts.t(locale, texts.PAY_UNAVAILABLE)
        await query.answer(ok=error is None, error_message=error)

    async def _refusal(self, query: PreCheckoutQuery, locale: str) -> str | None:
        no = query.invoice_payload
        if query.currency != self.currency:
            return texts.t(locale, texts.PAY_AMOUNT_CHANGED, no=no)
        amount = from_minor(query.total_amount, query.currency)
        try:
            order = await self.services.payments.check_payable(no, amount)
        except OrderNotFound:
            return texts.t(locale, texts.PAY_ORDER_GONE, no=no)
        except AmountMismatch:
            return texts.t(locale, texts.PAY_AMOUNT_CHANGED, no=no)
        except IllegalTransition as e:
            if e.params.get("status") in _PAID_STATES:
                return texts.t(locale, texts.PAY_ALREADY_PAID, no=no)
            return texts.t(locale, texts.PAY_NOT_PENDING, no=no)
        except StoreError:
            return texts.t(locale, texts.PAY_NOT_PENDING, no=no)
        if order.currency != query.currency:
            return texts.t(locale, texts.PAY_AMOUNT_CHANGED, no=no)
        return None

    # -- successful payment -------------------------------------------------------------

    async def on_successful_payment(self, message: Message) -> None:
        payment = message.successful_payment
        assert payment is not None
        no = payment.invoice_payload
        charge = payment.telegram_payment_charge_id
        try:
            order = await self.services.orders.get(no)
            if order.currency != payment.currency:
                raise AmountMismatch(no=order.order_no)
            result = await self.services.payments.confirm(
                no,
                method_for(payment.currency),
                charge,
                from_minor(payment.total_amount, payment.currency),
            )
        except OrderNotFound:
            log.error("telegram payment %s for unknown order %s: not applied", charge, no)
            return
        except (AlreadyPaid, AmountMismatch, IllegalTransition) as e:
            log.error("telegram payment %s for order %s not applied: %s", charge, no, e.code)
            await self._tell_staff_not_applied(
                order, payment.total_amount, payment.currency, charge, e
            )
            return
        except Exception as e:
            if is_connection_failure(e):
                raise Redeliver(f"payment {charge} for order {no} not recorded: {e!r}") from e
            raise
        if result.duplicate:
            log.info("telegram payment %s for order %s: already recorded", charge, no)
        else:
            log.info("order %s paid with telegram payment %s", no, charge)

    async def _tell_staff_not_applied(
        self, order: Order, minor: int, currency: str, charge: str, err: StoreError
    ) -> None:
        """Money Telegram took for an order that can't take it: a person must give it back."""
        shop = await self.services.shops.get(order.shop_id)  # type: ignore[attr-defined]
        text = texts.t(
            shop.locale,
            texts.PAYMENT_NOT_APPLIED,
            no=order.order_no,
            charge=charge,
            amount=format_money(from_minor(minor, currency), currency, shop.locale),
            reason=error_text(shop.locale, err, shop.currency),
        )
        # Telegram may deliver one payment again under a new update_id: the charge id is
        # the key.
        await tell_staff_once(
            self.services,
            self.dedup,
            self.outbox,
            shop.id,
            f"telegram-payment-not-applied:{charge}",
            text,
        )
