"""The community's services, one bundle on StoreServices."""

from __future__ import annotations

from dataclasses import dataclass

from store.clock import Clock, utcnow
from store.community.audience import Audience
from store.community.broadcasts import BroadcastService
from store.community.subscriptions import SubscriptionService
from store.people import PeopleService


@dataclass
class Community:
    subscriptions: SubscriptionService
    broadcasts: BroadcastService
    audience: Audience

    @classmethod
    def build(cls, people: PeopleService, clock: Clock = utcnow) -> Community:
        audience = Audience()
        subscriptions = SubscriptionService(clock, people)
        return cls(subscriptions, BroadcastService(clock, audience), audience)
