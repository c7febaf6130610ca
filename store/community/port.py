"""What the delivery engine needs from a platform: send one message to one chat."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class SendOutcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot / unfollowed: never try again
    RETRY_AFTER = "retry_after"  # the platform asks us to slow down for `retry_after` seconds
    FAILED = "failed"  # anything else; not retried, so an ambiguous failure never duplicates


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    retry_after: float = 0.0
    error: str = ""


SENT = SendResult(SendOutcome.SENT)
BLOCKED = SendResult(SendOutcome.BLOCKED)


def retry_after(seconds: float) -> SendResult:
    return SendResult(SendOutcome.RETRY_AFTER, retry_after=seconds)


def failed(error: str) -> SendResult:
    return SendResult(SendOutcome.FAILED, error=error[:200])


@dataclass(frozen=True, slots=True)
class BroadcastMessage:
    text: str
    image_url: str | None = None
    # Rows of (label, payload) buttons; a payload is a command line, as in chat replies.
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


class BroadcastSender(Protocol):
    async def send(self, chat_id: str, message: BroadcastMessage) -> SendResult: ...
