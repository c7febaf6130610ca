"""Typed errors of the core. Each has a code; the chat edge maps codes to friendly text."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Base of every error a person can cause. `code` names a translation; `params` fill it."""

    code = "error"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(f"{self.code} {params}" if params else self.code)


class InvalidInput(StoreError):
    code = "invalid_input"


class NotFound(StoreError):
    code = "not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class ShopOrderNotFound(OrderNotFound):
    """An order number the merchant's shop does not have (another shop's answers the same)."""

    code = "shop_order_not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class ShopNotFound(NotFound):
    code = "shop_not_found"


class PermissionDenied(StoreError):
    code = "not_allowed"


class OutOfStock(StoreError):
    code = "out_of_stock"


class StockMoved(StoreError):
    """Orders moved a product's stock since the merchant's form showed it."""

    code = "stock_moved"


class IllegalTransition(StoreError):
    code = "illegal_transition"


class RefundConflict(StoreError):
    """Another refund of the same order committed first; nothing was changed."""

    code = "refund_conflict"


class AmountMismatch(StoreError):
    code = "amount_mismatch"


class EmptyCart(StoreError):
    code = "empty_cart"


class AlreadyPaid(StoreError):
    code = "already_paid"


class Unavailable(StoreError):
    """A backing service (database, Redis) cannot be reached; nothing was changed."""

    code = "unavailable"
