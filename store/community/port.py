"""What the delivery engine needs from a platform: send one message to one chat; where the
platform allows it, send to every follower at once (WeChat's mass send)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable


class SendOutcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot / unfollowed: never try again
    RETRY_AFTER = "retry_after"  # the platform asks us to slow down for `retry_after` seconds
    SKIPPED = "skipped"  # the platform allows no message to this person now (`error` says why)
    FAILED = "failed"  # anything else; not retried, so an ambiguous failure never duplicates


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    retry_after: float = 0.0
    error: str = ""
    via: str = ""  # how it went, where a platform has several ways (custom, template)
    external_id: str = ""  # the platform's id of what was sent, for its later reports


SENT = SendResult(SendOutcome.SENT)
BLOCKED = SendResult(SendOutcome.BLOCKED)


def retry_after(seconds: float) -> SendResult:
    return SendResult(SendOutcome.RETRY_AFTER, retry_after=seconds)


def failed(error: str) -> SendResult:
    return SendResult(SendOutcome.FAILED, error=error[:200])


def skipped(reason: str) -> SendResult:
    return SendResult(SendOutcome.SKIPPED, error=reason)


@dataclass(frozen=True, slots=True)
class BroadcastMessage:
    text: str
    image_url: str | None = None
    # Rows of (label, payload) buttons; a payload is a command line, as in chat replies.
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


class BroadcastSender(Protocol):
    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult: ...


@runtime_checkable
class WindowedSender(Protocol):
    """A platform that allows free messages only within a window after the person's last
    message (EngineSettings.reply_windows). Outside it this sends what the platform still
    allows (WeChat: a template message) or answers `skipped("outside_window")`."""

    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult: ...
    async def send_outside_window(self, chat_id: str, message: BroadcastMessage) -> SendResult: ...


class MassSender(Protocol):
    """Follower-wide sends: one request reaches every follower of a channel (a WeChat
    account), and the platform reports the counts later."""

    async def channels(self, shop_id: int) -> list[str]:
        """The channels that together reach all of the shop's people on this platform;
        empty when the platform's part of a broadcast goes person by person."""
        ...

    async def send_all(
        self, channel: str, client_msg_id: str, message: BroadcastMessage
    ) -> SendResult:
        """SENT with the platform's message id as `external_id` (also when the platform says
        `client_msg_id` was sent already); never sends twice for one `client_msg_id`."""
        ...
