"""Segments owned by other packages, added to the community's audience at composition."""

from __future__ import annotations

from referral.models import Agent, AgentStatus
from store.services import StoreServices


def wire_segments(services: StoreServices) -> None:
    """`agents` (代理): the shop's active referral agents who are in its community."""
    services.community.audience.person_sets["agents"] = lambda shop_id: Agent.filter(
        shop_id=shop_id, status=AgentStatus.ACTIVE
    )
