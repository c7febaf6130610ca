"""Error codes of the core, mapped to friendly text at the edge."""

from __future__ import annotations

from handlers.i18n import N_, translate
from handlers.status import STATUS_LABELS, status_label
from store.errors import StoreError

MESSAGES: dict[str, str] = {
    "error": N_("Something went wrong. Please try again."),
    "invalid_input": N_("That input doesn't look right."),
    "bad_amount": N_("“{value}” is not a price. Write it like 12.50."),
    "too_many_decimals": N_("Prices have at most 2 decimals: “{value}”."),
    "amount_not_positive": N_("The amount must be more than zero."),
    "amount_too_large": N_("That amount is too large."),
    "bad_quantity": N_("The quantity must be a whole number from {low} to {high}."),
    "bad_number": N_("“{value}” is not a valid number."),
    "bad_stock": N_("Stock must be a whole number from {low} to {high}."),
    "bad_title": N_("A product title has 1 to 120 characters."),
    "description_too_long": N_("The description is too long (2,000 characters at most)."),
    "bad_image_url": N_("The image must be an http(s) link."),
    "bad_shop_name": N_("A shop name has 1 to 80 characters."),
    "bad_name": N_("Please give a name of 1 to 64 characters."),
    "bad_phone": N_("That doesn't look like a phone number. Digits only, e.g. 13800138000."),
    "bad_address": N_("Please give the full delivery address (5 to 300 characters)."),
    "bad_tracking": N_("Please give both the carrier and the tracking number."),
    "reason_required": N_("Please give a reason."),
    "unknown_category": N_("There is no category “{name}”. See /catalog."),
    "empty_search": N_("What are you looking for? Try: /search tea"),
    "cart_full": N_("Your cart is full ({high} different products at most)."),
    "not_in_cart": N_("Product {id} is not in your cart."),
    "unknown_setting": N_("There is no setting called “{key}”."),
    "setting_out_of_range": N_("That value must be between {low} and {high}."),
    "not_found": N_("Not found."),
    "order_not_found": N_("There is no order {no} of yours. Check the number with /orders."),
    "product_not_found": N_("There is no product {id} here. Browse with /catalog."),
    "shop_not_found": N_("There is no such shop."),
    "no_shop": N_("No shop is open here yet. A merchant can open one with /newshop <name>."),
    "user_not_found": N_("I don't know the user “{user}”."),
    "not_allowed": N_("Sorry, only the shop's owner and staff can do that."),
    "owner_only": N_("Sorry, only the shop's owner can do that."),
    "out_of_stock": N_("Sorry, not enough stock of {title} (left: {left})."),
    "illegal_transition": N_("Order {no} can't do that now (status: {status})."),
    "amount_mismatch": N_("The amount paid does not match order {no}."),
    "empty_cart": N_("Your cart is empty. Add something with /add <id>."),
    "already_paid": N_("Order {no} is already paid."),
    "usage": N_("Usage: {usage}"),
    "too_long": N_("That message is too long. Please keep it under {high} characters."),
}


def error_text(locale: str, err: StoreError) -> str:
    msgid = MESSAGES.get(err.code, MESSAGES["error"])
    params = {k: _localised(locale, v) for k, v in err.params.items()}
    try:
        return translate(locale, msgid, **params)
    except (KeyError, IndexError):
        return translate(locale, MESSAGES["error"])


def _localised(locale: str, value: object) -> object:
    if isinstance(value, str) and value in STATUS_LABELS:
        return status_label(locale, value)
    return value
