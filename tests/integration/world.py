"""Building a small shop through the services (never raw SQL), and watching stock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from store.catalog import NewProduct
from store.models import Order, Product, Shop
from store.orders import Contact
from store.services import StoreServices

CONTACT = Contact(name="Li Lei", phone="13800138000", address="88 Nanjing Road, Shanghai")
PRICE = Decimal("19.90")


@dataclass
class World:
    shop: Shop
    owner_id: int
    product: Product
    customers: list[int]  # person ids, each with the product in their cart


async def make_shop(services: StoreServices, *, slug: str = "tea") -> tuple[Shop, int]:
    owner = await services.people.identify("sim", f"owner-{slug}", "Owner")
    shop = await services.shops.create(
        "Tea House", await services.people.person(owner.person_id), slug=slug
    )  # type: ignore[attr-defined]
    return shop, owner.person_id  # type: ignore[attr-defined]


async def make_product(
    services: StoreServices,
    shop: Shop,
    stock: int,
    title: str = "Longjing tea",
    price: Decimal = PRICE,
) -> Product:
    return await services.catalog.add_product(
        shop.id, NewProduct(title=title, price=price, stock=stock)
    )


async def make_customers(
    services: StoreServices,
    shop: Shop,
    product: Product,
    count: int,
    *,
    quantity: int = 1,
    prefix: str = "c",
) -> list[int]:
    """`count` people, each with `quantity` of the product in their cart."""
    ids = []
    for i in range(count):
        ident = await services.people.identify("sim", f"{prefix}{i}", f"Customer {i}")
        person_id: int = ident.person_id  # type: ignore[attr-defined]
        await services.carts.add(person_id, shop.id, product.id, quantity)
        ids.append(person_id)
    return ids


async def make_world(services: StoreServices, *, stock: int, customers: int) -> World:
    shop, owner_id = await make_shop(services)
    product = await make_product(services, shop, stock)
    people = await make_customers(services, shop, product, customers)
    return World(shop=shop, owner_id=owner_id, product=product, customers=people)


async def place_one(services: StoreServices, shop_id: int, person_id: int) -> Order:
    return await services.orders.place(person_id, shop_id, CONTACT)


async def stock_of(product_id: int) -> int:
    return (await Product.get(id=product_id)).stock


def outcomes(results: Sequence[object]) -> tuple[list[Order], list[BaseException]]:
    orders = [r for r in results if isinstance(r, Order)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(orders) + len(errors) == len(results), results
    return orders, errors


@dataclass
class StockWatch:
    """Every stock value seen while the watch ran."""

    seen: list[int] = field(default_factory=list)

    @property
    def lowest(self) -> int:
        return min(self.seen)


@asynccontextmanager
async def watch_stock(product_id: int) -> AsyncIterator[StockWatch]:
    """Read the product's stock over and over while the block runs."""
    watch = StockWatch()
    stop = asyncio.Event()

    async def poll() -> None:
        while not stop.is_set():
            value = await Product.filter(id=product_id).first().values_list("stock", flat=True)
            watch.seen.append(int(value))  # type: ignore[arg-type]
            await asyncio.sleep(0)

    task = asyncio.create_task(poll())
    try:
        yield watch
    finally:
        stop.set()
        await task
        watch.seen.append(await stock_of(product_id))
