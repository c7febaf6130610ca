"""Per-message statements: Tortoise building the SQL on every await against `store.prepared`.

    python bench/queries.py                       # SQLite and PostgreSQL
    python bench/queries.py --backend postgres --calls 5000

For each select that customers' messages run most (the identity with its person, a catalog
page, a visible product, its stars, the cart with its products), the same rows are read
`--calls` times as an ordinary awaited queryset and as the Prepared select the code uses,
alternating the two for `--rounds` rounds in one process; and the same for the one update
every order makes (taking stock: 0 units here, so the rows stay as they are). Reports the
client CPU per call (process time: the database server's work is not in it) and the ratio
prepared / queryset.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import backend_parser, each_backend, fresh_database, save, table
from store import cart, catalog, people
from store.catalog import PAGE_SIZE, NewProduct
from store.db import close_db, init_db, migrate
from store.orders import TAKE_STOCK
from store.prepared import Prepared, PreparedUpdate, PreparedValues
from store.reviews.service import RATING
from store.services import StoreServices

USERS = 50


async def setup(url: str) -> tuple[int, int]:
    await migrate(url)
    await init_db(url)
    services = StoreServices.build()
    owner = await services.people.identify("bench", "owner")
    shop = await services.shops.create("Bench", owner.person)  # type: ignore[attr-defined]
    products = [
        await services.catalog.add_product(
            shop.id, NewProduct(title=f"Item {n}", price=Decimal("9.90"), stock=100)
        )
        for n in range(12)
    ]
    for i in range(USERS):
        ident = await services.people.identify("bench", f"u{i}", f"User {i}")
        for product in products[:3]:
            await services.carts.add(ident.person_id, shop.id, product.id, 1)  # type: ignore[attr-defined]
    return shop.id, ident.person_id  # type: ignore[attr-defined]


Statement = Prepared | PreparedValues | PreparedUpdate


def cases(shop_id: int, person_id: int) -> dict[str, tuple[Statement, Callable[[int], tuple]]]:
    """name -> (the statement, its values for call i); the ordinary query is its own shape."""
    offset = PAGE_SIZE  # page 2
    return {
        "identity + person": (people.IDENTITY, lambda i: ("bench", f"u{i % USERS}")),
        "catalog page": (catalog.SHOP_PAGE, lambda i: (shop_id, offset)),
        "visible product": (catalog.VISIBLE_PRODUCT, lambda i: (shop_id, 1 + i % 12)),
        "product rating": (RATING, lambda i: (1 + i % 12,)),
        "cart with products": (cart.CART_LINES, lambda i: (person_id, shop_id)),
        "take stock (update)": (TAKE_STOCK, lambda i: (1 + i % 12, 0)),
    }


async def per_call_us(
    call: Callable[..., Awaitable], values: Callable[[int], tuple], calls: int
) -> float:
    began = time.process_time()
    for i in range(calls):
        await call(*values(i))
    return (time.process_time() - began) / calls * 1e6


async def run(backend: str, calls: int, rounds: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(backend, Path(tmp)) as url:
            shop_id, person_id = await setup(url)
            try:
                for name, (statement, values) in cases(shop_id, person_id).items():
                    # statement.shape(...) is the ordinary query, built on every await
                    prepared = (
                        statement.run if isinstance(statement, PreparedUpdate) else statement.all
                    )
                    await per_call_us(statement.shape, values, 50)  # warm: plan, statement cache
                    await per_call_us(prepared, values, 50)
                    before, after = [], []
                    for _ in range(rounds):
                        before.append(await per_call_us(statement.shape, values, calls))
                        after.append(await per_call_us(prepared, values, calls))
                    b, a = statistics.median(before), statistics.median(after)
                    rows.append(
                        {
                            "backend": backend,
                            "select": name,
                            "queryset_us": round(b),
                            "prepared_us": round(a),
                            "ratio": round(a / b, 2),
                        }
                    )
            finally:
                await close_db()
    return rows


def main() -> None:
    p = backend_parser(__doc__)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    rows = each_backend(args.backend, lambda backend: run(backend, args.calls, args.rounds))
    print(table(rows, ["backend", "select", "queryset_us", "prepared_us", "ratio"]))
    print(f"results: {save('queries', {'calls': args.calls, 'runs': rows})}")


if __name__ == "__main__":
    main()
