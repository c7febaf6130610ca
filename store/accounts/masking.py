"""Masking phone numbers and addresses wherever shipping is not the purpose.

The merchant sees an order's full phone and address only while it waits to be shipped
(status paid); everyone else, and everything else, gets the masked form.
"""

from __future__ import annotations

import re

from store.models import OrderStatus

MASK = "****"
# Chinese addresses go province → city → district: keep up to the city (or the province,
# a municipality's district) when it comes early, mask the rest.
_CN_REGION = re.compile(r"^.{1,12}?(?:自治区|省|市)(?:.{1,8}?(?:市|自治州|盟|地区))?")


def mask_phone(phone: str) -> str:
    """138****8000: the first 3 and last 4 digits of a long number, nothing of a short one."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) > 11 and digits.startswith("86"):  # +86: China's country code
        digits = digits[2:]
    if len(digits) < 8:
        return MASK if digits else ""
    return f"{digits[:3]}{MASK}{digits[-4:]}"


def mask_address(address: str) -> str:
    """浙江省杭州市**** / ****, Hangzhou: the region stays, the street and number go."""
    text = (address or "").strip()
    if not text:
        return ""
    region = _CN_REGION.match(text)
    if region:
        return region.group(0) + MASK
    if "," in text:  # western order: street first, city last
        return f"{MASK}, {text.rsplit(',', 1)[1].strip()}"
    return text[:2] + MASK


def contact_visible(status: str) -> bool:
    """Whether the merchant needs the full contact details of an order in this status."""
    return status == OrderStatus.PAID
