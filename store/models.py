"""Database models of the store core. Money columns are DECIMAL(12, 2); never float."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"


class Role(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


def _money(**kw: object) -> fields.DecimalField:
    return fields.DecimalField(max_digits=12, decimal_places=2, **kw)


class Shop(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=80)
    currency = fields.CharField(max_length=3, default="CNY")
    locale = fields.CharField(max_length=8, default="zh_CN")
    timezone = fields.CharField(max_length=40, default="Asia/Shanghai")
    unpaid_timeout_minutes = fields.IntField(default=30)
    autocomplete_days = fields.IntField(default=10)
    # How to pay the shop by hand (a WeChat or Alipay account, a bank card), shown with
    # every order that can't be paid inside the chat.
    pay_note = fields.CharField(max_length=300, default="", db_default="")
    # Shipping (运费): a flat fee per order (0: free shipping), and the goods total after
    # discounts from which an order ships free (满 X 包邮; None: no such threshold).
    shipping_fee = _money(default=0, db_default=0)
    free_shipping_over = _money(null=True, default=None)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shop"


class Person(Model):
    """A human, whose identities on several platforms can point here."""

    id = fields.IntField(primary_key=True)
    display_name = fields.CharField(max_length=64, default="")
    locale = fields.CharField(max_length=8, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_export_at = fields.DatetimeField(null=True)  # /mydata: one export per interval
    erased_at = fields.DatetimeField(null=True)  # /deleteme: personal data removed

    class Meta:
        table = "person"


class Identity(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    platform_user_id = fields.CharField(max_length=64)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "store.Person", related_name="identities"
    )
    display_name = fields.CharField(max_length=64, default="")
    private_chat_ok = fields.BooleanField(default=False)  # has talked to us privately
    unreachable = fields.BooleanField(default=False)  # blocked the bot
    current_shop: fields.ForeignKeyNullableRelation[Shop] = fields.ForeignKeyField(
        "store.Shop", null=True, on_delete=fields.SET_NULL, related_name=False
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    # Not a column: True on the instance PeopleService.identify has just created, so a
    # first contact's bookkeeping need not look for rows that cannot exist yet.
    created_now = False

    class Meta:
        table = "identity"
        unique_together = (("platform", "platform_user_id"),)


class ShopMember(Model):
    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "store.Shop", related_name="members"
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "store.Person", related_name="memberships"
    )
    role = fields.CharEnumField(Role, max_length=8)

    class Meta:
        table = "shop_member"
        unique_together = (("shop", "person"),)


class StaffInvite(Model):
    """A one-time code the owner hands a new staff member, who sends /joinstaff <code>.
    Only its SHA-256 is stored; it expires and is used once (a guarded update on used_at)."""

    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField("store.Shop", related_name=False)
    invited_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "store.Person", related_name=False
    )
    used_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "store.Person", related_name=False, null=True
    )
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff_invite"


class GroupBinding(Model):
    """A platform group chat that belongs to a shop."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    chat_id = fields.CharField(max_length=64)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "store.Shop", related_name="groups"
    )
    title = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "group_binding"
        unique_together = (("platform", "chat_id"),)


class Category(Model):
    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "store.Shop", related_name="categories"
    )
    name = fields.CharField(max_length=40)

    class Meta:
        table = "category"
        unique_together = (("shop", "name"),)


class Product(Model):
    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "store.Shop", related_name="products"
    )
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "store.Category", null=True, on_delete=fields.SET_NULL, related_name="products"
    )
    title = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    price = _money()
    stock = fields.IntField(default=0)
    image_url = fields.CharField(max_length=500, null=True)
    active = fields.BooleanField(default=True)
    # Lower-cased title + description, so search is one LIKE on one column.
    search_text = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "product"
        indexes = (("shop_id", "active"),)


class CartItem(Model):
    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "store.Person", related_name="cart_items"
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField("store.Shop", related_name=False)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "store.Product", related_name=False
    )
    quantity = fields.IntField()

    class Meta:
        table = "cart_item"
        unique_together = (("person", "product"),)


class Order(Model):
    id = fields.IntField(primary_key=True)
    order_no = fields.CharField(max_length=16, unique=True)
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField(
        "store.Shop", related_name="orders"
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "store.Person", related_name="orders"
    )
    status = fields.CharEnumField(OrderStatus, max_length=20, default=OrderStatus.PENDING_PAYMENT)
    subtotal = _money()
    shipping_fee = _money(default=0)
    # db_default: these columns were added to tables that already had rows (migration 0002).
    discount_total = _money(default=0, db_default=0)  # every OrderDiscount together
    total = _money()
    refunded_amount = _money(default=0, db_default=0)  # partial and full refunds so far
    refunds_made = fields.IntField(default=0, db_default=0)  # numbers the partial refunds' keys
    currency = fields.CharField(max_length=3)
    contact_name = fields.CharField(max_length=64)
    phone = fields.CharField(max_length=32)
    address = fields.CharField(max_length=300)
    note = fields.CharField(max_length=300, default="")
    payment_method = fields.CharField(max_length=24, default="manual")
    pay_deadline = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    shipped_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    refunded_at = fields.DatetimeField(null=True)
    carrier = fields.CharField(max_length=40, default="")
    tracking_no = fields.CharField(max_length=64, default="")
    cancel_reason = fields.CharField(max_length=16, default="")
    refund_reason = fields.CharField(max_length=300, default="")
    refund_rejection = fields.CharField(max_length=300, default="")
    refund_note = fields.CharField(max_length=300, default="")
    # Where a refund request came from, so a rejection returns the order there.
    status_before_refund = fields.CharField(max_length=20, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "order"
        indexes = (("status", "pay_deadline"), ("status", "shipped_at"), ("shop_id", "status"))


class OrderItem(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "store.Order", related_name="items"
    )
    product: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "store.Product", null=True, on_delete=fields.SET_NULL, related_name=False
    )
    title = fields.CharField(max_length=120)
    unit_price = _money()
    quantity = fields.IntField()
    discount = _money(default=0, db_default=0)  # this line's exact share of the order's discounts
    refunded_quantity = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "order_item"


class Payment(Model):
    """One confirmed payment. (method, provider_payment_id) makes confirmation idempotent."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "store.Order", related_name="payments"
    )
    method = fields.CharField(max_length=24)
    provider_payment_id = fields.CharField(max_length=128)
    amount = _money()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment"
        unique_together = (("method", "provider_payment_id"),)


class RefundStatus(StrEnum):
    PENDING = "pending"  # waiting for (another) attempt
    DONE = "done"  # the provider returned the money
    MANUAL = "manual"  # the merchant must return it by hand (transfers, provider payments)
    FAILED = "failed"  # gave up after the last attempt; reported to the merchant


class RefundJob(Model):
    """A refund owed to a customer: written in the transaction that decided it, then retried
    by the outbox until the provider confirms, so a refund is never lost."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=80, unique=True)  # what it refunds, e.g. order:<no>
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "store.Order", related_name="refund_jobs"
    )
    shop: fields.ForeignKeyRelation[Shop] = fields.ForeignKeyField("store.Shop", related_name=False)
    method = fields.CharField(max_length=24)
    provider_payment_id = fields.CharField(max_length=128, default="")
    amount = _money()
    currency = fields.CharField(max_length=3)
    reason = fields.CharField(max_length=300, default="")
    status = fields.CharEnumField(RefundStatus, max_length=8, default=RefundStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=300, default="")
    provider_refund_id = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refund_job"
        indexes = (("status", "next_attempt_at"),)
