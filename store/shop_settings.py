"""The shop's settings edited as one form: every field checked, then one update."""

from __future__ import annotations

from dataclasses import dataclass

from store.errors import InvalidInput, StoreError
from store.models import Shop
from store.shops import (
    SETTING_LIMITS,
    ShopService,
    check_free_shipping,
    check_pay_note,
    check_shipping_fee,
)

SHOP_LOCALES = ("zh_CN", "en")


@dataclass(frozen=True, slots=True)
class SettingsForm:
    unpaid_timeout_minutes: str
    autocomplete_days: str
    locale: str
    shipping_fee: str = ""  # empty: 0, free shipping
    free_shipping_over: str = ""  # empty: no threshold
    pay_note: str | None = None  # how to pay by hand (/settings pay); None: left as it is


def check_settings(form: SettingsForm) -> tuple[dict[str, object], dict[str, StoreError]]:
    values: dict[str, object] = {}
    errors: dict[str, StoreError] = {}
    for key, (low, high) in SETTING_LIMITS.items():
        text = str(getattr(form, key)).strip()
        if text.isascii() and text.isdigit() and len(text) < 10 and low <= int(text) <= high:
            values[key] = int(text)
        else:
            errors[key] = InvalidInput("setting_out_of_range", key=key, low=low, high=high)
    try:
        values["shipping_fee"] = check_shipping_fee(form.shipping_fee.strip() or "0")
    except StoreError as err:
        errors["shipping_fee"] = err
    try:
        values["free_shipping_over"] = check_free_shipping(form.free_shipping_over)
    except StoreError as err:
        errors["free_shipping_over"] = err
    if form.pay_note is not None:
        try:
            values["pay_note"] = check_pay_note(form.pay_note.replace("\r\n", "\n"))
        except StoreError as err:
            errors["pay_note"] = err
    if form.locale in SHOP_LOCALES:
        values["locale"] = form.locale
    else:
        errors["locale"] = InvalidInput("invalid_input")
    return values, errors


class ShopSettings:
    def __init__(self, shops: ShopService) -> None:
        self.shops = shops

    async def update(
        self, shop_id: int, actor_id: int, form: SettingsForm
    ) -> tuple[Shop, dict[str, StoreError]]:
        """The saved shop, or the unchanged shop and the errors per field."""
        await self.shops.require_staff(shop_id, actor_id)
        values, errors = check_settings(form)
        if not errors:
            await self.shops.save_settings(shop_id, values)
        return await self.shops.get(shop_id), errors
