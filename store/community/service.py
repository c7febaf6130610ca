"""The community's services, one bundle on StoreServices."""

from __future__ import annotations

from dataclasses import dataclass

from store.clock import Clock, utcnow
from store.community.audience import Audience
from store.community.broadcasts import BroadcastService
from store.community.subscriptions import SubscriptionService


@dataclass
class Community:
    subscriptions: SubscriptionService
    broadcasts: BroadcastService
    audience: Audience

    @classmethod
    def build(cls, clock: Clock = utcnow) -> Community:
        audience = Audience()
        return cls(SubscriptionService(clock), BroadcastService(clock, audience), audience)
