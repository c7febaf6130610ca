"""The demo shop a newcomer chats with at once. Seeding twice changes nothing.

`serve --demo` and `chat --demo` also seed a showcase (a group-buy offer, a coupon, a 满减
rule, an FAQ) so every part of the shop has something to show; the tests seed the catalog
alone and set up what each one needs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from store.catalog import NewProduct
from store.db import transaction
from store.groupbuy.service import NewCampaign
from store.models import Product, Shop
from store.promotions.models import CouponKind
from store.promotions.service import NewCoupon
from store.services import StoreServices

DEMO_SLUG = "demo"
DEMO_MERCHANT = "merchant"  # the simulator user who owns the demo shop


@dataclass(frozen=True, slots=True)
class _Item:
    title: str
    price: str
    stock: int
    category: str
    description: str


DEMO_PRODUCTS = [
    _Item(
        "西湖龙井 West Lake Longjing tea 250g",
        "128.00",
        50,
        "茶叶 Tea",
        "明前龙井，清香回甘。Spring-picked green tea from Hangzhou.",
    ),
    _Item(
        "安溪铁观音 Tieguanyin oolong 200g",
        "96.00",
        40,
        "茶叶 Tea",
        "兰花香，耐冲泡。Orchid-scented oolong, many infusions.",
    ),
    _Item(
        "云南普洱 Pu'er tea cake 357g",
        "168.00",
        20,
        "茶叶 Tea",
        "七年陈普洱饼。A seven-year aged pu'er cake.",
    ),
    _Item(
        "手工牛轧糖 Handmade nougat 300g",
        "39.90",
        100,
        "零食 Snacks",
        "花生牛轧糖，不粘牙。Peanut nougat, soft and not sticky.",
    ),
    _Item(
        "麻辣牛肉干 Spicy beef jerky 200g",
        "59.00",
        80,
        "零食 Snacks",
        "四川风味。Sichuan-style, numbing and hot.",
    ),
    _Item(
        "桂花糕 Osmanthus cake (12 pcs)",
        "35.00",
        60,
        "零食 Snacks",
        "每日现做。Made fresh every day.",
    ),
    _Item(
        "竹编果篮 Woven bamboo basket",
        "88.00",
        15,
        "手工 Handmade",
        "手工竹编，可装水果。Hand-woven bamboo, for fruit or bread.",
    ),
    _Item(
        "蜡染围巾 Batik scarf",
        "129.00",
        12,
        "手工 Handmade",
        "贵州蜡染。Indigo batik from Guizhou.",
    ),
    _Item(
        "青花瓷茶杯 Blue-and-white porcelain cup",
        "45.00",
        3,
        "手工 Handmade",
        "景德镇手绘。Hand-painted in Jingdezhen.",
    ),
]


DEMO_COUPON = "WELCOME10"
DEMO_FAQ = [
    ("多久发货？When do you ship?", "付款后 48 小时内发货。Within 48 hours of payment."),
    (
        "可以退货吗？Can I return?",
        "确认收货前可申请退款：/refund <订单号>。Until you confirm delivery: /refund <no>.",
    ),
]


async def seed_demo(services: StoreServices, *, showcase: bool = False) -> Shop:
    existing = await Shop.get_or_none(slug=DEMO_SLUG)
    if existing is not None:
        return existing
    async with transaction():
        owner = await services.people.identify("sim", DEMO_MERCHANT, "店主 Merchant", private=True)
        person = await services.people.person(owner.person_id)  # type: ignore[attr-defined]
        shop = await services.shops.create("微店小铺 Demo Shop", person, slug=DEMO_SLUG)
        for item in DEMO_PRODUCTS:
            await services.catalog.add_product(
                shop.id,
                NewProduct(
                    title=item.title,
                    price=Decimal(item.price),
                    stock=item.stock,
                    description=item.description,
                    category=item.category,
                ),
            )
        if showcase:
            await _showcase(services, shop)
    return shop


async def _showcase(services: StoreServices, shop: Shop) -> None:
    nougat = await Product.get(shop_id=shop.id, title=DEMO_PRODUCTS[3].title)
    await services.groupbuys.create_campaign(
        shop.id,
        NewCampaign(
            product_id=nougat.id, group_price=Decimal("29.90"), size=2, group_seconds=24 * 3600
        ),
    )
    await services.promotions.create_coupon(
        shop.id,
        NewCoupon(DEMO_COUPON, CouponKind.AMOUNT, Decimal("10"), min_spend=Decimal("100")),
    )
    await services.promotions.add_rule(shop.id, Decimal("300"), Decimal("30"))
    for question, answer in DEMO_FAQ:
        await services.support.faq_add(shop.id, question, answer)
