"""What is made from objects that never change once made (the per-process copies of
store/copies.py, aiogram's frozen keyboards), kept by those objects' identity: a changed
shop or page is a new object, so it misses and is made afresh. Each entry holds its objects,
so their ids can't be reused while it is kept; least recently used entries go first."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByIdentity(Generic[V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[tuple[object, ...], V]] = OrderedDict()

    def get(self, objects: tuple[object, ...], make: Callable[[], V], also: Hashable = None) -> V:
        """The value made from `objects` (and `also`, compared by equality), made once."""
        key = (*map(id, objects), also)
        kept = self._kept.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], objects, strict=True)):
            self._kept.move_to_end(key)
            return kept[1]
        value = make()
        self._kept[key] = (objects, value)
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return value
