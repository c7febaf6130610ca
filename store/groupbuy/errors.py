"""Typed errors of group buying; the chat edge maps each code to friendly text."""

from __future__ import annotations

from store.errors import NotFound, StoreError


class CampaignNotFound(NotFound):
    code = "gb_campaign_not_found"


class GroupNotFound(NotFound):
    code = "gb_group_not_found"


class CampaignClosed(StoreError):
    """Not started, ended or stopped: no new groups."""

    code = "gb_campaign_closed"


class CampaignSoldOut(StoreError):
    code = "gb_sold_out"


class GroupUnavailable(StoreError):
    """Full, expired or closed. Carries the campaign so the edge can offer its other groups."""

    code = "gb_group_unavailable"

    def __init__(self, reason: str, *, group: str, campaign_id: int) -> None:
        super().__init__(f"gb_group_{reason}", group=group)
        self.reason = reason
        self.campaign_id = campaign_id


class AlreadyInGroup(StoreError):
    code = "gb_already_in"


class OwnGroup(StoreError):
    code = "gb_own_group"


class LimitReached(StoreError):
    code = "gb_limit"
