"""Error codes of the core, mapped to friendly text at the edge."""

from __future__ import annotations

from handlers.i18n import N_, translate
from handlers.status import state_label
from handlers.usage_text import localise_usage
from store.errors import StoreError
from store.money import Money, format_money

MESSAGES: dict[str, str] = {
    "error": N_("Something went wrong. Please try again."),
    "invalid_input": N_("That input doesn't look right."),
    "category_too_long": N_("A category's name has at most {high} characters."),
    "stock_moved": N_(
        "Orders changed the stock to {now} since this page was shown: check it and save again."
    ),
    "pay_note_too_long": N_("How to pay has at most {high} characters."),
    "bad_amount": N_("“{value}” is not an amount of money. Write it like 12.50."),
    "amount_missing": N_("The amount of money is missing. Write it like 12.50."),
    "too_many_decimals": N_("Amounts of money have at most 2 decimals: “{value}”."),
    "amount_not_positive": N_("The amount must be more than zero."),
    "amount_negative": N_("The amount can't be below zero."),
    "amount_too_large": N_("That amount is too large."),
    "bad_quantity": N_("The quantity must be a whole number from {low} to {high}."),
    "bad_number": N_("“{value}” is not a valid number."),
    "field_required": N_("Please fill this in."),
    "bad_option": N_("“{name}” is not an option here. Options: {options}."),
    "option_twice": N_("“{name}” is given twice: which one did you mean?"),
    "bad_date": N_("“{value}” is not a date. Write it like 2026-12-31 or 2026-12-31T20:00."),
    "bad_stock": N_("Stock must be a whole number from {low} to {high}."),
    "bad_title": N_("A product title has 1 to 120 characters."),
    "description_too_long": N_("The description is too long (2,000 characters at most)."),
    "bad_image_url": N_("The image must be an http(s) link."),
    "bad_shop_name": N_("A shop name has 1 to 80 characters."),
    "bad_name": N_("Please give a name of 1 to 64 characters."),
    "bad_phone": N_("That doesn't look like a phone number. Digits only, e.g. 13800138000."),
    "bad_address": N_("Please give the full delivery address (5 to 300 characters)."),
    "note_too_long": N_("A note for the shop has at most {high} characters."),
    "bad_tracking": N_("Please give both the carrier and the tracking number."),
    "tracking_too_long": N_(
        "A carrier has at most {carrier} characters and a tracking number {tracking}: "
        "please check what you pasted."
    ),
    "reason_required": N_("Please give a reason."),
    "unknown_category": N_("There is no category “{name}”. See /catalog."),
    "empty_search": N_("What are you looking for? Try: /search tea"),
    "cart_full": N_("Your cart is full ({high} different products at most)."),
    "not_in_cart": N_("Product {id} is not in your cart."),
    "unknown_setting": N_("There is no setting called “{key}”."),
    "setting_out_of_range": N_("That value must be between {low} and {high}."),
    "not_found": N_("Not found."),
    "order_not_found": N_("There is no order {no} of yours. Check the number with /orders."),
    "shop_order_not_found": N_(
        "There is no order {no} in this shop. Check the number with /sales."
    ),
    "product_not_found": N_("There is no product {id} here. Browse with /catalog."),
    "product_gone": N_("It is no longer sold."),
    "shop_not_found": N_("There is no such shop."),
    "no_shop": N_("No shop is open here yet. A merchant can open one with /newshop <name>."),
    "user_not_found": N_("I don't know the user “{user}”."),
    "not_allowed": N_("Sorry, only the shop's owner and staff can do that."),
    "owner_only": N_("Sorry, only the shop's owner can do that."),
    "group_admin_only": N_(
        "Sorry, only an administrator of this group can bind it to a shop. Ask one of them "
        "to make you an administrator first."
    ),
    "group_admin_unknown": N_(
        "Sorry, I can't check right now that you administer this group, so nothing was "
        "changed. Please try again in a minute."
    ),
    "out_of_stock": N_("Sorry, not enough stock of {title} (left: {left})."),
    "illegal_transition": N_("Order {no} can't do that now (status: {status})."),
    "refund_after_completion": N_(
        "Order {no} is completed: a refund now is the shop's decision. "
        "Ask the shop: /ask <question>"
    ),
    "cancel_paid": N_(
        "Order {no} is paid already, so it can't be cancelled. To get your money back, "
        "ask for a refund with /refund {no}"
    ),
    "order_unpaid": N_(
        "Order {no} is not paid yet, so it can't be refunded or received. Pay it first, "
        "or if you no longer want it, cancel it with /cancel {no}."
    ),
    "amount_mismatch": N_("The amount paid does not match order {no}."),
    "empty_cart": N_("Your cart is empty. Add something with /add <id>."),
    "already_paid": N_("Order {no} is already paid."),
    "refund_not_waiting": N_("Order {no} has no refund waiting to be returned. See /refunds."),
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
    "gb_bad_window": N_(
        "The offer must end in the future, after it starts (without an end date, {days} days "
        "after its start)."
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
    "staff_invite_invalid": N_(
        "That invitation code is unknown, used or expired. Ask the shop's owner for a new one."
    ),
    "staff_already": N_("You are already on the team of {shop}."),
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
    "broadcast_nobody": N_(
        "Segment {segment} reaches nobody now, so broadcast {id} was not sent. If the segment "
        "will grow, schedule it (/broadcast at {id} <HH:MM>); /audience shows whom a segment "
        "reaches."
    ),
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
    "fixed_rate_over_cap": N_(
        "A fixed commission on this product can be {most} at most: the cap, {cap}% of its "
        "price {price}."
    ),
    # promotions
    "coupon_not_found": N_("There is no coupon “{name}” here. Check the code."),
    "coupon_unusable": N_("Coupon {name} can't be used on this order."),
    "coupon_ended": N_("Coupon {name} has ended."),
    "coupon_expired": N_("Coupon {name} has expired."),
    "coupon_used_up": N_("Coupon {name} is used up."),
    "coupon_per_customer": N_("You have used coupon {name} already ({limit} per customer)."),
    "coupon_min_spend": N_("Coupon {name} needs a spend of at least {min}."),
    "coupon_bad_code": N_("“{name}” won't do: a code has 3 to 24 letters, digits, - or _."),
    "coupon_bad_percent": N_("A percentage off is more than 0 and less than 100 (not {value})."),
    "coupon_exists": N_("There is a coupon {name} already. End it first: /coupon end {name}"),
    "promo_in_past": N_("The end must be in the future and after the start."),
    "promo_bad_count": N_("“{name}” must be a whole number from 1 to {high}."),
    "fullreduce_too_much": N_("The amount off must be less than the spend it needs."),
    "fullreduce_too_many": N_("A shop has at most {high} spend-and-save rules."),
    "fullreduce_exists": N_("There is a rule for a spend of {threshold} already."),
    "fullreduce_not_found": N_("There is no spend-and-save rule #{id}. See /fullreduce."),
    "flash_price_not_lower": N_("The flash price must be lower than the normal price ({price})."),
    "flash_overlaps": N_("Product {id} has a flash sale at that time already. See /flash."),
    "flash_not_found": N_("There is no running or coming flash sale #{id}. See /flash."),
    "flash_sold_out": N_(
        "The flash sale ran out (or your limit was reached) a moment ago, so nothing was "
        "ordered. Please check the new total."
    ),
    "price_changed": N_(
        "The total changed to {total} since you looked (your cart changed, or a promotion "
        "ended or ran out), so nothing was ordered. Please check it and confirm again."
    ),
    "points_over_usable": N_("Points this order can take: {usable} at most, not {wanted}."),
    "refund_whole_only": N_("Order {no} was paid in a way that can only be refunded as a whole."),
    "refund_bad_line": N_("The order has lines 1 to {high}, not {line}."),
    "refund_line_done": N_("Line {line} is refunded already."),
    "refund_bad_units": N_("Units of this line left to refund: {high}. Give {low} to {high}."),
    "refund_conflict": N_("Another refund of order {no} was just made. Check it and try again."),
    # loyalty
    "points_insufficient": N_("Your points: {balance}, not enough for {wanted}. See /points."),
    "points_adjust_too_low": N_(
        "The customer has {balance} points: taking away {wanted} would go below zero."
    ),
    "points_off": N_("This shop does not give points at the moment."),
    "points_none": N_("You have no points to use yet. See /points."),
    "points_bad_number": N_("“{value}” is not a whole number of points."),
    "points_bad_adjust": N_("Adjust by a whole number of points from -{high} to +{high}, not 0."),
    "points_bad_earn": N_(
        "“earn” is the points per 1 paid: a number from 0 to {high}, 2 decimals at most "
        "(not “{value}”)."
    ),
    "points_bad_value": N_(
        "“value” is how many points pay 1: a whole number from 1 to {high} (not “{value}”)."
    ),
    "points_bad_cap": N_("“cap” is a whole percentage from 0 to 100 (not “{value}”)."),
    "level_bad_name": N_("A level name is one word of 1 to {high} characters."),
    "level_bad_discount": N_("A level's discount is a percentage below 100 (not “{value}”)."),
    "level_spend_taken": N_("Another level already starts at a total spend of {spend}."),
    "level_not_found": N_("There is no level “{name}”. See /levels."),
    "level_name_taken": N_(
        "There is a level “{name}” already (level names ignore upper and lower case). "
        "To change it, write its name as it is: {name}."
    ),
    "level_too_many": N_("A shop has at most {high} member levels."),
    # reviews
    "review_bad_stars": N_("“{value}” is not a rating: stars are a whole number from 1 to 5."),
    "review_too_long": N_("A review or a reply has at most {high} characters."),
    "review_reply_empty": N_("Please write the reply: /reviewreply <review id> <text>"),
    "review_not_completed": N_(
        "Order {no} can be reviewed once it is completed (it is {status} now)."
    ),
    "review_which_line": N_(
        "Order {no} has {count} items: say which one, e.g. /review {no} #1 5. See /review {no}."
    ),
    "review_bad_line": N_("Order {no} has items #1 to #{count}. See /review {no}."),
    "review_product_gone": N_("“{title}” is no longer sold here, so it can't be reviewed."),
    "review_twice": N_("You have already reviewed item #{line} of order {no}."),
    "review_replied_already": N_("Review #{id} has its reply already: a review gets one reply."),
    "review_not_found": N_("There is no review #{id} here."),
    # support
    "ticket_not_found": N_("There is no ticket {ticket} of yours. See /tickets."),
    "ticket_empty": N_("Please write a message after the ticket, e.g. /reply T12 Thanks!"),
    "ticket_too_long": N_("A message has at most {high} characters."),
    "ticket_closed": N_("Ticket {ticket} is closed. Ask again with /ask <question>."),
    "ticket_closed_staff": N_("Ticket {ticket} is closed already. Open tickets: /tickets"),
    "ticket_rate_limited": N_(
        "You have sent many messages in a short time. Please wait {minutes} minutes."
    ),
    "faq_not_found": N_("There is no question {n} in the FAQ. See /faq."),
    "faq_usage": N_("Write a question and its answer: /faq add <question> | <answer>"),
    "faq_too_long": N_("A question has at most {question} characters, an answer {answer}."),
    "faq_full": N_("The FAQ is full ({high} questions at most). Remove one: /faq remove <n>"),
    # accounts
    "link_code_invalid": N_(
        "That link code is not right. Send /link on your other account to get a code."
    ),
    "link_code_expired": N_(
        "That link code has expired. Send /link on your other account for a new one."
    ),
    "link_code_used": N_(
        "That link code was used already. Send /link on your other account for a new one."
    ),
    "link_self": N_(
        "That code comes from this account (or one already linked to it). "
        "Send it from your other account."
    ),
    "link_platform_taken": N_(
        "These accounts can't be linked: you would have two accounts on the same platform. "
        "One Telegram and one WeChat account can be linked."
    ),
    "link_busy": N_("Your accounts changed just now. Please try again."),
    "link_conflict": N_(
        "These accounts hold data that can't be joined automatically. Please ask the shop."
    ),
    "export_too_soon": N_(
        "You asked for your data just now. You can ask again in {minutes} minutes."
    ),
    "erase_open_orders": N_(
        "You still have open orders ({orders}). Once they are completed, cancelled or "
        "refunded, you can erase your data."
    ),
    "erase_merchant": N_(
        "You are on a shop's team. Leave the team (the owner changes it) before erasing your data."
    ),
    "erase_code_invalid": N_("That confirmation code is not right. Send /deleteme to get one."),
    "erase_code_expired": N_("That confirmation code has expired. Send /deleteme for a new one."),
    "erase_code_used": N_("That confirmation code was used already."),
}


def error_text(locale: str, err: StoreError, currency: str = "CNY") -> str:
    """The error's text in `locale`; an amount of money in it (a `Money` parameter) is shown
    in `currency`, the shop's, as every other amount the reader sees."""
    msgid = MESSAGES.get(err.code, MESSAGES["error"])
    params = {k: _localised(locale, k, v, currency) for k, v in err.params.items()}
    if err.code == "usage":  # "/add <id> [qty]": its placeholders in the reader's words
        params["usage"] = localise_usage(locale, str(params.get("usage", "")))
    try:
        return translate(locale, msgid, **params)
    except (KeyError, IndexError):
        return translate(locale, MESSAGES["error"])


def _localised(locale: str, key: str, value: object, currency: str) -> object:
    if isinstance(value, Money):
        return format_money(value.amount, currency, locale)
    if key == "status":  # only a state is put into words: "paid" typed as a price stays "paid"
        return state_label(locale, str(value))
    return value
