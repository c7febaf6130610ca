"""A cart per person per shop. Stock is only promised at checkout, never in the cart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.expressions import F

from store.errors import InvalidInput, OutOfStock, ProductNotFound
from store.models import CartItem, Product

MAX_LINE_QUANTITY = 99
MAX_CART_LINES = 30


@dataclass(frozen=True, slots=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True, slots=True)
class Cart:
    lines: list[CartLine]

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines), Decimal("0.00"))

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidInput("bad_quantity", low=1, high=MAX_LINE_QUANTITY)
    return quantity


class CartService:
    async def add(self, person_id: int, shop_id: int, product_id: int, quantity: int) -> Product:
        """Put units in the cart; the product added (the caller shows the priced cart)."""
        check_quantity(quantity)
        product = await Product.get_or_none(id=product_id, shop_id=shop_id, active=True)
        if product is None:
            raise ProductNotFound(id=product_id)
        line = await CartItem.get_or_none(person_id=person_id, product_id=product_id)
        new_quantity = quantity + (line.quantity if line else 0)
        if new_quantity > MAX_LINE_QUANTITY:
            raise InvalidInput("bad_quantity", low=1, high=MAX_LINE_QUANTITY)
        if new_quantity > product.stock:
            raise OutOfStock(title=product.title, left=product.stock)
        if line is None:
            if (
                await CartItem.filter(person_id=person_id, shop_id=shop_id).count()
                >= MAX_CART_LINES
            ):
                raise InvalidInput("cart_full", high=MAX_CART_LINES)
            await CartItem.get_or_create(
                person_id=person_id,
                product_id=product_id,
                defaults={"shop_id": shop_id, "quantity": quantity},
            )
        else:
            await CartItem.filter(id=line.id).update(quantity=F("quantity") + quantity)
        return product

    async def remove(self, person_id: int, shop_id: int, product_id: int) -> Cart:
        rows = await CartItem.filter(
            person_id=person_id, shop_id=shop_id, product_id=product_id
        ).delete()
        if rows == 0:
            raise InvalidInput("not_in_cart", id=product_id)
        return await self.get(person_id, shop_id)

    async def clear(self, person_id: int, shop_id: int) -> None:
        await CartItem.filter(person_id=person_id, shop_id=shop_id).delete()

    async def get(self, person_id: int, shop_id: int) -> Cart:
        items = (
            await CartItem.filter(person_id=person_id, shop_id=shop_id)
            .prefetch_related("product")
            .order_by("product_id")
        )
        return Cart(lines=[CartLine(product=i.product, quantity=i.quantity) for i in items])
