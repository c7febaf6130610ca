"""Chat commands, one module per area; `ROUTERS` lists them in lookup order."""

from __future__ import annotations

from handlers.commands import (
    browse,
    cart,
    checkout,
    general,
    merchant_orders,
    merchant_shop,
    orders,
)
from handlers.context import StartHook

ROUTERS = [
    general.router,
    browse.router,
    cart.router,
    checkout.router,
    orders.router,
    merchant_shop.router,
    merchant_orders.router,
]
FLOWS = {"checkout": checkout.checkout_step}
# Start payload prefix -> hook, e.g. "gb" for gb_<code>; `shop_` is handled by /start itself.
START_HOOKS: dict[str, StartHook] = {}
