"""Paged lists: how many pages a count fills, and a page number asked for kept within them."""

from __future__ import annotations


def page_count(total: int, size: int) -> int:
    """How many pages `total` rows fill; at least one (an empty list is one empty page)."""
    return max(1, -(-total // size))


def clamp_page(page: int, total: int, size: int) -> tuple[int, int]:
    """`page` moved into 1..pages (past the end shows the last page), and pages."""
    pages = page_count(total, size)
    return min(max(page, 1), pages), pages
