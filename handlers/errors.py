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
    "gb_leader_twice": N_("Give the leader either a price (leader=) or a reward (reward=)."),
    "gb_reward_too_big": N_("The leader's reward must be less than the group price."),
    "gb_not_complete": N_(
        "Order {no} is a seat in group {group}, which is not complete yet: it ships once "
        "the group completes (a group that fails is refunded)."
    ),
    "usage": N_("Usage: {usage}"),
    "unavailable": N_(
        "Sorry, the shop can't reach its database right now, so nothing was changed. "
        "Please try again in a minute."
    ),
    "too_long": N_("That message is too long. Please keep it under {high} characters."),
    "bad_duration": N_("“{value}” is not a duration. Write it like 90s, 30m, 24h or 2d."),
    "duration_out_of_range": N_("“{value}” is too short or too long."),
    "gb_bad_size": N_("A group has {low} to {high} people: “{value}” won't do."),
    "gb_price_not_lower": N_("The group price must be lower than the normal price ({price})."),
    "gb_leader_price": N_("The leader's price can't be above the group price."),
    "gb_min_members": N_("“min” must be from {low} to {high} (the group size)."),
    "gb_per_customer": N_("“limit” must be a whole number from {low} to {high}."),
    "gb_cap": N_("“cap” must be at least {low} seats (one group)."),
    "gb_bad_window": N_("The offer's end must be in the future."),
    "gb_bad_date": N_("“{value}” is not a date. Write it like 2026-12-31 or 2026-12-31T20:00."),
    "gb_bad_option": N_(
        "There is no option “{name}”. Options: leader, min, limit, cap, pay, start."
    ),
    "gb_campaign_not_found": N_("There is no group-buy offer #{id} here. See /groupbuys."),
    "gb_group_not_found": N_("There is no group {group}. Check the code, or see /groupbuys."),
    "gb_campaign_closed": N_("Group-buy offer #{id} is not open for new groups."),
    "gb_sold_out": N_("Group-buy offer #{id} is sold out."),
    "gb_group_full": N_("Group {group} is full."),
    "gb_group_expired": N_("Group {group} has reached its deadline."),
    "gb_group_closed": N_("Group {group} is closed."),
    "gb_already_in": N_("You are already in group {group}. See /mygroups."),
    "gb_own_group": N_("Group {group} is yours: you lead it already. Invite friends instead."),
    "gb_limit": N_("You already hold {limit} seat(s) of this offer, its limit per customer."),
    "login_link_invalid": N_("This login link has expired or was already used."),
    "csv_missing_column": N_("The file needs a “{column}” column in its header row."),
    "csv_empty": N_("The file has no product rows."),
    "csv_too_many_rows": N_("The file has too many rows ({high} at most)."),
    "csv_bad_visible": N_("“{value}” is not yes or no."),
    "bad_segment": N_(
        "“{segment}” is not a segment. Use all, tag:<tag>, product:<id>, category:<name>, "
        "idle:<days>, groups or agents."
    ),
    "bad_tag": N_("A tag is one word of at most {high} characters."),
    "bad_quiet_hours": N_("Quiet hours are whole hours from 0 to 23, e.g. /quiet 22 8."),
    "bad_broadcast_text": N_("A broadcast has 1 to {high} characters."),
    "bad_time": N_("“{value}” is not a time. Write HH:MM or YYYY-MM-DD HH:MM."),
    "time_passed": N_("{value} has already passed."),
    "broadcast_not_found": N_("There is no broadcast {id}. See /broadcasts."),
    "broadcast_state": N_("Broadcast {id} can't do that now (it is {status})."),
    # referral
    "referral_off": N_("Referral is not available here."),
    "not_an_agent": N_("You are not an agent of this shop yet. Become one with /ref."),
    "agent_not_found": N_("That person is not an agent or applicant of this shop."),
    "join_by_apply": N_("This shop chooses its agents: apply with /apply."),
    "join_by_spending": N_("Agents of this shop are its customers: spend {missing} more to join."),
    "insufficient_balance": N_("Your available balance is not enough for that. See /earnings."),
    "withdraw_below_minimum": N_("You can withdraw {min} or more at a time."),
    "withdraw_over_daily_max": N_("Over the daily limit: you can withdraw {left} more today."),
    "withdrawal_not_found": N_("There is no withdrawal #{id} in this shop. See /wd."),
    "already_decided": N_("Withdrawal #{id} was decided already."),
    "bad_percent": N_("“{value}” is not a percentage from 0 to 100 (2 decimals at most)."),
    "too_many_levels": N_("Commission has 1 to {high} levels."),
    "rates_over_cap": N_("All levels together may pay at most {cap}% of the price."),
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
