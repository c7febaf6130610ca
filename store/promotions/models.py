"""Database models of promotions. Use counters change only by conditional updates, and every
use is a row (redemption, flash purchase) released exactly once by a guarded update."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CouponKind(StrEnum):
    AMOUNT = "amount"  # a fixed amount off
    PERCENT = "percent"  # a percentage off


def _money(**kw: object) -> fields.DecimalField:
    return fields.DecimalField(max_digits=12, decimal_places=2, **kw)


class Coupon(Model):
    """A code a merchant hands out: an amount or a percentage off an order."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    code = fields.CharField(max_length=24)  # upper case
    kind = fields.CharEnumField(CouponKind, max_length=8)
    value = _money()  # the amount, or the percent (15.00 = 15 %)
    min_spend = _money(default=0)
    ends_at = fields.DatetimeField(null=True)
    uses = fields.IntField(null=True)  # total uses allowed, None = unlimited
    used = fields.IntField(default=0)  # orders holding a redemption
    per_customer = fields.IntField(default=1)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "promo_coupon"
        unique_together = (("shop_id", "code"),)


class CouponRedemption(Model):
    """One order's use of a coupon, counted against the per-customer limit until released."""

    id = fields.IntField(primary_key=True)
    coupon = fields.ForeignKeyField("store.Coupon", related_name=False)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    order = fields.OneToOneField("store.Order", related_name=False)
    released_at = fields.DatetimeField(null=True)  # cancelled or refunded in full
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "promo_coupon_redemption"
        indexes = (("coupon_id", "person_id"),)


class FullReduction(Model):
    """满减: spend at least `threshold`, get `amount` off."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    threshold = _money()
    amount = _money()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "promo_full_reduction"
        unique_together = (("shop_id", "threshold"),)


class FlashSale(Model):
    """限时抢购: a product at `price` from `starts_at` to `ends_at`, `cap` units at most."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    product = fields.ForeignKeyField("store.Product", related_name=False)
    price = _money()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    cap = fields.IntField()
    sold = fields.IntField(default=0)  # units held by orders not cancelled or refunded
    per_customer = fields.IntField()
    active = fields.BooleanField(default=True)  # False once ended by the merchant
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "promo_flash_sale"
        indexes = (("product_id", "active"),)


class FlashPurchase(Model):
    """Units of a flash sale one order bought at the flash price."""

    id = fields.IntField(primary_key=True)
    sale = fields.ForeignKeyField("store.FlashSale", related_name=False)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    order = fields.ForeignKeyField("store.Order", related_name=False)
    quantity = fields.IntField()
    released_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "promo_flash_purchase"
        unique_together = (("sale_id", "order_id"),)
        indexes = (("sale_id", "person_id"),)


class CheckoutChoice(Model):
    """What a customer chose for their next order in a shop: a coupon and points to use."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("store.Person", related_name=False)
    shop = fields.ForeignKeyField("store.Shop", related_name=False)
    coupon = fields.ForeignKeyField(
        "store.Coupon", null=True, on_delete=fields.SET_NULL, related_name=False
    )
    points = fields.IntField(default=0)
    points_max = fields.BooleanField(default=False)  # as many as the order allows

    class Meta:
        table = "promo_checkout_choice"
        unique_together = (("person_id", "shop_id"),)


class OrderDiscount(Model):
    """How one discount of an order was computed, and its share on each item (detail)."""

    id = fields.IntField(primary_key=True)
    order = fields.ForeignKeyField("store.Order", related_name="discounts")
    kind = fields.CharField(max_length=16)  # flash | member | full_reduction | coupon | points
    ref = fields.CharField(max_length=40, default="")
    amount = _money()
    detail = fields.JSONField(default=dict)

    class Meta:
        table = "order_discount"
