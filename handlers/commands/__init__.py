"""Chat commands, one module per area; `ROUTERS` lists them in lookup order."""

from __future__ import annotations

from handlers.commands import (
    accounts,
    browse,
    cart,
    checkout,
    community,
    dashboard,
    free_text,
    general,
    groupbuy,
    loyalty,
    merchant_orders,
    merchant_shop,
    orders,
    promotions,
    referral,
    reviews,
    support,
)
from handlers.context import ContactHook, StartHook

ROUTERS = [
    general.router,
    browse.router,
    cart.router,
    checkout.router,
    orders.router,
    merchant_shop.router,
    merchant_orders.router,
    dashboard.router,
    community.router,
    referral.router,
    groupbuy.router,
    promotions.router,
    loyalty.router,
    reviews.router,
    support.router,
    accounts.router,
]
# Private words that name no command: greetings, FAQ words, product names.
FREE_TEXT = free_text.answer
FLOWS = {"checkout": checkout.checkout_step, groupbuy.FLOW: groupbuy.groupbuy_step}
# Start payload prefix -> hook, e.g. "gb" for gb_<code>; `shop_` is handled by /start itself.
START_HOOKS: dict[str, StartHook] = {"ref": referral.start_hook, "gb": groupbuy.start_hook}
# Called on every private message to a shop: the community's subscribe-on-first-contact.
CONTACT_HOOKS: list[ContactHook] = [community.touch]
