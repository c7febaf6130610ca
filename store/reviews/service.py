"""Reviews: a buyer rates each item of a completed order once; the shop replies once and hides.

The average is computed from the visible reviews' sum and count (one aggregate on an index),
so it is always exact: hiding, showing and new reviews need no counters kept in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from store.clock import Clock
from store.errors import InvalidInput, NotFound, OrderNotFound, ProductNotFound, StoreError
from store.events import EventBus
from store.listings import Listings, rating_part
from store.models import Order, OrderItem, OrderStatus, Product
from store.orders import ORDER_NO_MAX, normalise_order_no
from store.paging import clamp_page
from store.prepared import PreparedValues
from store.reviews.events import ReviewReplied
from store.reviews.models import MAX_REVIEW_TEXT, Review

PAGE_SIZE = 5
SHOP_PAGE_SIZE = 20  # the shop's list of every product's reviews
# Every product card shows its stars: an aggregate with its SQL built once.
RATING = PreparedValues(
    Review,
    lambda product_id: (
        Review.filter(product_id=product_id, hidden=False)
        .annotate(n=Count("id"), s=Sum("stars"))
        .limit(1)
        .values("n", "s")
    ),
)


async def _rating(product_id: int) -> Rating:
    row = await RATING.first(product_id)
    return Rating(count=int(row["n"] or 0), total=int(row["s"] or 0)) if row else Rating(0, 0)


@dataclass(frozen=True, slots=True)
class Rating:
    count: int
    total: int  # sum of the stars

    @property
    def average(self) -> Decimal:
        """One decimal, rounded half up: 4.65 -> 4.7."""
        if not self.count:
            return Decimal("0")
        return (Decimal(self.total) / self.count).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Line:
    """An order item as the buyer picks it: `#number` counts from 1 in the order's own order."""

    number: int
    item: OrderItem
    review: Review | None


@dataclass(frozen=True, slots=True)
class ReviewPage:
    product: Product
    reviews: list[Review]
    page: int
    pages: int
    rating: Rating


@dataclass(frozen=True, slots=True)
class ShopReviewPage:
    """The shop's reviews of all its products, newest first, hidden ones included."""

    reviews: list[Review]  # with product and person
    page: int
    pages: int
    unanswered: int  # visible reviews without a reply, in all


def _unanswered(shop_id: int) -> QuerySet[Review]:
    return Review.filter(shop_id=shop_id, reply="", hidden=False)


def check_stars(value: int) -> int:
    if not 1 <= value <= 5:
        raise InvalidInput("review_bad_stars", value=value)
    return value


def check_text(text: str, *, required: bool = False) -> str:
    text = text.strip()
    if len(text) > MAX_REVIEW_TEXT:
        raise InvalidInput("review_too_long", high=MAX_REVIEW_TEXT)
    if required and not text:
        raise InvalidInput("review_reply_empty")
    return text


class Reviews:
    def __init__(self, bus: EventBus, clock: Clock, listings: Listings | None = None) -> None:
        self.bus = bus
        self.clock = clock
        # Product cards show the stars: kept with the catalog's copies, dropped on every
        # change to what they count (a review written, hidden or shown again).
        self.listings = listings or Listings()

    def subscribe(self) -> None:
        """Nothing to listen to: the prompt to review on completion is a notification."""

    # -- the buyer ---------------------------------------------------------------------------
    async def lines(self, order_no: str, person_id: int) -> tuple[Order, list[Line]]:
        """The buyer's order and its items with their reviews; anyone else's is unknown."""
        no = normalise_order_no(order_no)
        order = (
            None
            if len(no) > ORDER_NO_MAX
            else await Order.get_or_none(order_no=no, person_id=person_id)
        )
        if order is None:
            raise OrderNotFound(no=order_no[:20])
        items = await OrderItem.filter(order_id=order.id).order_by("id")
        found = await Review.filter(order_item_id__in=[i.id for i in items])
        reviews = {r.order_item_id: r for r in found}  # type: ignore[attr-defined]
        return order, [Line(n, item, reviews.get(item.id)) for n, item in enumerate(items, 1)]

    async def write(
        self, order_no: str, person_id: int, line: int | None, stars: int, text: str
    ) -> tuple[Review, Line]:
        """Rate one item of a completed order; a second review of the same item is refused."""
        check_stars(stars)
        text = check_text(text)
        order, lines = await self.lines(order_no, person_id)
        if order.status != OrderStatus.COMPLETED:
            raise StoreError("review_not_completed", no=order.order_no, status=order.status)
        if line is None:
            if len(lines) != 1:
                raise InvalidInput("review_which_line", no=order.order_no, count=len(lines))
            line = 1
        if not 1 <= line <= len(lines):
            raise InvalidInput("review_bad_line", no=order.order_no, count=len(lines))
        chosen = lines[line - 1]
        if chosen.item.product_id is None:  # type: ignore[attr-defined]
            raise StoreError("review_product_gone", title=chosen.item.title)
        try:
            review = await Review.create(
                shop_id=order.shop_id,  # type: ignore[attr-defined]
                product_id=chosen.item.product_id,  # type: ignore[attr-defined]
                order_item_id=chosen.item.id,
                person_id=person_id,
                stars=stars,
                text=text,
                created_at=self.clock(),
            )
        except IntegrityError:  # the unique item: reviewed before, or by a concurrent message
            raise StoreError("review_twice", no=order.order_no, line=line) from None
        await self.listings.changed(review.shop_id)  # type: ignore[attr-defined]
        return review, Line(line, chosen.item, review)

    # -- everyone ----------------------------------------------------------------------------
    async def rating(self, shop_id: int, product_id: int) -> Rating:
        return await self.listings.get(
            shop_id, rating_part(product_id), lambda: _rating(product_id)
        )

    async def page(
        self, shop_id: int, product_id: int, page: int = 1, *, with_hidden: bool = False
    ) -> ReviewPage:
        """Newest first. Staff also see hidden reviews (to show them again); buyers never."""
        product = await Product.get_or_none(id=product_id, shop_id=shop_id)
        if product is None:
            raise ProductNotFound(id=product_id)
        qs = Review.filter(product_id=product_id)
        if not with_hidden:
            qs = qs.filter(hidden=False)
        page, pages = clamp_page(page, await qs.count(), PAGE_SIZE)
        reviews = (
            await qs.order_by("-created_at", "-id")
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
            .prefetch_related("person")
        )
        return ReviewPage(product, reviews, page, pages, await self.rating(shop_id, product_id))

    # -- the shop ----------------------------------------------------------------------------
    async def for_shop(
        self, shop_id: int, page: int = 1, *, unanswered_only: bool = False
    ) -> ShopReviewPage:
        qs = _unanswered(shop_id) if unanswered_only else Review.filter(shop_id=shop_id)
        total = await qs.count()
        page, pages = clamp_page(page, total, SHOP_PAGE_SIZE)
        reviews = (
            await qs.order_by("-created_at", "-id")
            .offset((page - 1) * SHOP_PAGE_SIZE)
            .limit(SHOP_PAGE_SIZE)
            .prefetch_related("product", "person")
        )
        unanswered = total if unanswered_only else await self.unanswered_count(shop_id)
        return ShopReviewPage(list(reviews), page, pages, unanswered)

    async def unanswered_count(self, shop_id: int) -> int:
        """Visible reviews of the shop without a reply."""
        return await _unanswered(shop_id).count()

    async def reply(self, shop_id: int, review_id: int, text: str) -> Review:
        """Once: the guarded update only writes an empty reply, so a second one is refused."""
        text = check_text(text, required=True)
        done = await Review.filter(id=review_id, shop_id=shop_id, reply="").update(
            reply=text, replied_at=self.clock()
        )
        review = await self._get(shop_id, review_id)
        if not done:
            raise StoreError("review_replied_already", id=review_id)
        await self.bus.publish(
            [
                ReviewReplied(
                    review_id=review.id,
                    shop_id=shop_id,
                    product_id=review.product_id,  # type: ignore[attr-defined]
                    person_id=review.person_id,  # type: ignore[attr-defined]
                    reply=text,
                )
            ]
        )
        return review

    async def set_hidden(self, shop_id: int, review_id: int, hidden: bool) -> Review:
        if not await Review.filter(id=review_id, shop_id=shop_id).update(hidden=hidden):
            raise NotFound("review_not_found", id=review_id)
        await self.listings.changed(shop_id)
        return await self._get(shop_id, review_id)

    async def _get(self, shop_id: int, review_id: int) -> Review:
        review = await Review.get_or_none(id=review_id, shop_id=shop_id)
        if review is None:
            raise NotFound("review_not_found", id=review_id)
        return review
