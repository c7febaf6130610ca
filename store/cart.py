"""A cart per person per shop. Stock is only promised at checkout, never in the cart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from store.catalog import CatalogService
from store.errors import InvalidInput, OutOfStock, ProductNotFound, StoreError
from store.models import CartItem, Order, Product
from store.prepared import Prepared

MAX_LINE_QUANTITY = 99
MAX_CART_LINES = 30
# Read on every cart, checkout and order: one joined query, its SQL built once.
CART_LINES = Prepared(
    CartItem,
    lambda person_id, shop_id: (
        CartItem.filter(person_id=person_id, shop_id=shop_id)
        .select_related("product")
        .order_by("product_id")
    ),
)


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


@dataclass(frozen=True, slots=True)
class Added:
    product: Product
    cart: Cart


@dataclass(frozen=True, slots=True)
class AddedAgain:
    """An earlier order's items put in the cart again: those that went in, and why each of
    the others could not (gone, sold out, the cart full)."""

    added: tuple[str, ...]
    refused: tuple[tuple[str, StoreError], ...]


def check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidInput("bad_quantity", low=1, high=MAX_LINE_QUANTITY)
    return quantity


async def read_cart(person_id: int, shop_id: int) -> Cart:
    items = await CART_LINES.all(person_id, shop_id)
    return Cart(lines=[CartLine(product=i.product, quantity=i.quantity) for i in items])


class CartService:
    def __init__(self, catalog: CatalogService) -> None:
        self.catalog = catalog

    async def add(self, person_id: int, shop_id: int, product_id: int, quantity: int) -> Added:
        """Put units in the cart; the product added, and the cart as it is now (the caller
        shows it priced) without reading it again."""
        check_quantity(quantity)
        # The card the customer just looked at, from the listings' copies (which every
        # order that moves its stock drops): placing an order checks stock and price again.
        product = await self.catalog.product(shop_id, product_id)
        # One read says whether the product is in the cart, whether the cart is full, and
        # (changed in memory) what the cart holds after this.
        items = await CART_LINES.all(person_id, shop_id)
        lines = {item.product_id: item.quantity for item in items}  # type: ignore[attr-defined]
        new_quantity = quantity + lines.get(product_id, 0)
        if new_quantity > MAX_LINE_QUANTITY:
            raise InvalidInput("bad_quantity", low=1, high=MAX_LINE_QUANTITY)
        if new_quantity > product.stock:
            raise OutOfStock(title=product.title, left=product.stock)
        if product_id not in lines:
            if len(lines) >= MAX_CART_LINES:
                raise InvalidInput("cart_full", high=MAX_CART_LINES)
            try:
                await CartItem.create(
                    person_id=person_id, shop_id=shop_id, product_id=product_id, quantity=quantity
                )
            except IntegrityError:  # the same line, just added by a message of theirs elsewhere
                await self._increase(person_id, product_id, quantity)
                return Added(product, await self.get(person_id, shop_id))
            lines[product_id] = 0
        else:
            await self._increase(person_id, product_id, quantity)
        products = {item.product_id: item.product for item in items}  # type: ignore[attr-defined]
        products[product_id] = product  # as just read: the price and stock checked above
        lines[product_id] += quantity
        return Added(product, Cart([CartLine(products[p], lines[p]) for p in sorted(lines)]))

    async def _increase(self, person_id: int, product_id: int, quantity: int) -> None:
        """Guarded: two such messages at once cannot take a line past its limit."""
        if not await CartItem.filter(
            person_id=person_id, product_id=product_id, quantity__lte=MAX_LINE_QUANTITY - quantity
        ).update(quantity=F("quantity") + quantity):
            raise InvalidInput("bad_quantity", low=1, high=MAX_LINE_QUANTITY)

    async def add_again(self, person_id: int, order: Order) -> AddedAgain:
        """Each item of `order` (its items prefetched) into the cart again, at today's price
        and stock; one that can't go in is said, and the rest still go."""
        added: list[str] = []
        refused: list[tuple[str, StoreError]] = []
        for item in order.items:
            if item.product_id is None:  # type: ignore[attr-defined]  # the product was deleted
                refused.append((item.title, InvalidInput("product_gone")))
                continue
            try:
                await self.add(person_id, order.shop_id, item.product_id, item.quantity)  # type: ignore[attr-defined]
            except ProductNotFound:  # no longer sold
                refused.append((item.title, InvalidInput("product_gone")))
            except StoreError as err:
                refused.append((item.title, err))
            else:
                added.append(item.title)
        return AddedAgain(tuple(added), tuple(refused))

    async def remove(
        self, person_id: int, shop_id: int, product_id: int, quantity: int | None = None
    ) -> Cart:
        """Take `quantity` units out of the cart; the whole line when None or that many or
        more. One guarded statement each, so two at once never go below one unit."""
        line = CartItem.filter(person_id=person_id, shop_id=shop_id, product_id=product_id)
        if quantity is not None:
            check_quantity(quantity)
            if await line.filter(quantity__gt=quantity).update(quantity=F("quantity") - quantity):
                return await self.get(person_id, shop_id)
        if await line.delete() == 0:
            raise InvalidInput("not_in_cart", id=product_id)
        return await self.get(person_id, shop_id)

    async def clear(self, person_id: int, shop_id: int) -> None:
        await CartItem.filter(person_id=person_id, shop_id=shop_id).delete()

    async def get(self, person_id: int, shop_id: int) -> Cart:
        return await read_cart(person_id, shop_id)
