"""Typed errors of promotions; handlers/errors.py maps their codes to text."""

from __future__ import annotations

from store.errors import InvalidInput, NotFound, StoreError


class CouponNotFound(NotFound):
    code = "coupon_not_found"


class CouponUnusable(StoreError):
    """A known coupon that does not apply: expired, ended, used up, min spend, per customer."""

    code = "coupon_unusable"


class FlashUnavailable(StoreError):
    """The flash sale sold out (or the customer's limit was reached) since the quote."""

    code = "flash_sold_out"


class FlashSaleNotFound(NotFound):
    code = "flash_not_found"


class RuleNotFound(NotFound):
    code = "fullreduce_not_found"


class PriceChanged(StoreError):
    """The order would cost something else than the customer confirmed."""

    code = "price_changed"


class BadPromotion(InvalidInput):
    """A merchant's promotion with impossible numbers (codes name which)."""
