"""Events of reviews, published after the change commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReviewReplied:
    """The merchant answered a review: its author hears of it."""

    review_id: int
    shop_id: int
    product_id: int
    person_id: int  # the review's author
    reply: str
