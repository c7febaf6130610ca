"""A shop's referral rules: who may join, how customers bind, rates, freeze and payout limits."""

from __future__ import annotations

from decimal import Decimal

from tortoise.exceptions import IntegrityError

from referral.models import (
    BP,
    MAX_LEVELS,
    BindPolicy,
    JoinMode,
    ProductRate,
    RateKind,
    ReferralProgram,
)
from store.copies import Copies
from store.db import transaction
from store.errors import InvalidInput, ProductNotFound
from store.models import Product
from store.money import Money, from_minor, plain, to_minor

MAX_POLICY_DAYS = 3650
MAX_FREEZE_DAYS = 90


def percent_to_bp(value: Decimal) -> int:
    """12.5 (%) -> 1250 basis points; at most 2 decimals."""
    bp = value * 100
    if bp != bp.to_integral_value() or not 0 <= bp <= 10000:
        raise InvalidInput("bad_percent", value=str(value))
    return int(bp)


async def _program(shop_id: int) -> ReferralProgram:
    program = await ReferralProgram.get_or_none(shop_id=shop_id)
    if program is None:
        try:
            program = await ReferralProgram.create(shop_id=shop_id)
        except IntegrityError:  # created concurrently
            program = await ReferralProgram.get(shop_id=shop_id)
    return program


class ProgramService:
    def __init__(self) -> None:
        # Every order reads its shop's program: kept per process, keyed by shop, and
        # dropped (here and, through the composition root, in the other processes) by
        # `_update`, the only writer (tests/referral/test_program_copies.py holds it to that).
        self.copies = Copies()

    async def get(self, shop_id: int) -> ReferralProgram:
        """The shop's program; callers only read it (one copy serves every order)."""
        return await self.copies.get(shop_id, "program", lambda: _program(shop_id))

    async def _update(self, shop_id: int, **changes: object) -> ReferralProgram:
        await self.get(shop_id)
        await ReferralProgram.filter(shop_id=shop_id).update(**changes)
        await self.copies.changed(shop_id)
        return await self.get(shop_id)

    async def set_rates(self, shop_id: int, rates_bp: list[int]) -> ReferralProgram:
        """1 to 3 levels; their sum within the shop's cap."""
        program = await self.get(shop_id)
        if not 1 <= len(rates_bp) <= MAX_LEVELS:
            raise InvalidInput("too_many_levels", high=MAX_LEVELS)
        if sum(rates_bp) > program.cap_bp:
            raise InvalidInput("rates_over_cap", cap=percent_text(program.cap_bp))
        padded = [*rates_bp, 0, 0][:MAX_LEVELS]
        return await self._update(
            shop_id,
            levels=len(rates_bp),
            rate1_bp=padded[0],
            rate2_bp=padded[1],
            rate3_bp=padded[2],
        )

    async def set_product_rate(
        self, shop_id: int, product_id: int, kind: RateKind, value: int
    ) -> ProductRate:
        """A product's level-1 rate; a percentage must leave the other levels within the cap,
        a fixed amount within the cap of the product's price now (and it is held to the cap
        of what each order pays when one is placed)."""
        program = await self.get(shop_id)
        product = await Product.get_or_none(id=product_id, shop_id=shop_id).select_related("shop")
        if product is None:
            raise ProductNotFound(id=product_id)
        if kind == RateKind.PERCENT and value + sum(program.rates()[1:]) > program.cap_bp:
            raise InvalidInput("rates_over_cap", cap=percent_text(program.cap_bp))
        currency = product.shop.currency
        most = to_minor(product.price, currency) * program.cap_bp // BP
        if kind == RateKind.FIXED and value > most:
            raise InvalidInput(
                "fixed_rate_over_cap",
                most=Money(from_minor(most, currency)),
                cap=percent_text(program.cap_bp),
                price=Money(product.price),
            )
        async with transaction():  # replaced as a whole: never two rates for a product
            await ProductRate.filter(product_id=product_id).delete()
            return await ProductRate.create(
                shop_id=shop_id, product_id=product_id, kind=kind, value=value
            )

    async def clear_product_rate(self, shop_id: int, product_id: int) -> None:
        """The product earns the levels' rates again (nothing to clear is not an error)."""
        if not await Product.exists(id=product_id, shop_id=shop_id):
            raise ProductNotFound(id=product_id)
        await ProductRate.filter(shop_id=shop_id, product_id=product_id).delete()

    async def product_rates(self, shop_id: int) -> dict[int, ProductRate]:
        return {r.product_id: r for r in await ProductRate.filter(shop_id=shop_id)}  # type: ignore[attr-defined]

    async def product_rate_list(self, shop_id: int) -> list[ProductRate]:
        return (
            await ProductRate.filter(shop_id=shop_id)
            .order_by("product_id")
            .prefetch_related("product")
        )

    async def set_policy(self, shop_id: int, policy: BindPolicy, days: int = 0) -> ReferralProgram:
        if policy == BindPolicy.DAYS and not 1 <= days <= MAX_POLICY_DAYS:
            raise InvalidInput("setting_out_of_range", key="days", low=1, high=MAX_POLICY_DAYS)
        changes: dict[str, object] = {"policy": policy}
        if policy == BindPolicy.DAYS:
            changes["policy_days"] = days
        return await self._update(shop_id, **changes)

    async def set_join(self, shop_id: int, mode: JoinMode, spend_minor: int = 0) -> ReferralProgram:
        return await self._update(shop_id, join_mode=mode, join_spend_minor=max(spend_minor, 0))

    async def set_freeze(self, shop_id: int, days: int) -> ReferralProgram:
        if not 0 <= days <= MAX_FREEZE_DAYS:
            raise InvalidInput("setting_out_of_range", key="freeze", low=0, high=MAX_FREEZE_DAYS)
        return await self._update(shop_id, freeze_days=days)

    async def set_withdraw_limits(
        self,
        shop_id: int,
        *,
        minimum: int | None = None,
        daily_max: int | None = None,
        fee_bp: int | None = None,
    ) -> ReferralProgram:
        changes = {
            k: v
            for k, v in {
                "withdraw_min_minor": minimum,
                "withdraw_daily_max_minor": daily_max,
                "withdraw_fee_bp": fee_bp,
            }.items()
            if v is not None
        }
        if fee_bp is not None and not 0 <= fee_bp <= 5000:
            raise InvalidInput("setting_out_of_range", key="fee", low=0, high=50)
        return await self._update(shop_id, **changes)


def percent_text(bp: int) -> str:
    """1250 -> "12.5", 1000 -> "10"."""
    return plain(Decimal(bp) / 100)
