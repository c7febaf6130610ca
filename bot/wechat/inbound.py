"""wechatpy messages -> what the engine should see (or why it should see nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from wechatpy import events, messages

from handlers.types import Incoming

PLATFORM = "wechat"
SCENE_PREFIXES = ("ref_", "gb_", "shop_")

Kind = Literal["message", "unsupported", "unsubscribe", "ignore", "mass_report", "template_report"]


@dataclass(frozen=True, slots=True)
class JobReport:
    """WeChat's report of a mass send (MASSSENDJOBFINISH) or template message
    (TEMPLATESENDJOBFINISH): its MsgID, Status and, for a mass send, the counts."""

    msg_id: str
    status: str
    total: int = 0
    sent: int = 0
    errors: int = 0
    filtered: int = 0


@dataclass(frozen=True, slots=True)
class Inbound:
    kind: Kind
    openid: str
    dedup_key: str  # MsgId for messages, FromUserName + CreateTime (+ which event) for events
    incoming: Incoming | None = None
    report: JobReport | None = None


def dedup_key(msg: Any) -> str:
    # Job reports carry a MsgID too, but it names the job, not this event.
    msg_id = getattr(msg, "id", 0) if getattr(msg, "type", "") != "event" else 0
    if msg_id:
        return f"id:{msg_id}"
    # CreateTime is in whole seconds: two menu buttons pressed within one second differ only
    # in their EventKey, which a retry repeats.
    raw = getattr(msg, "_data", {}) or {}
    event = f"{raw.get('Event', '')}:{raw.get('EventKey', '') or ''}"
    return f"ev:{msg.source}:{raw.get('CreateTime', '')}:{event}"


def key_to_command(key: str) -> str:
    """A menu button's key is a command line; "catalog" and "/catalog" both work."""
    key = (key or "").strip()
    return key if key.startswith("/") else "/" + key


def classify(msg: Any, account: str, home_shop: str) -> Inbound:
    openid = str(msg.source or "")
    key = dedup_key(msg)

    def incoming(text: str, start: str | None = None, via_button: bool = False) -> Inbound:
        return Inbound(
            "message",
            openid,
            key,
            Incoming(
                platform=PLATFORM,
                user_id=openid,
                chat_id=openid,
                text=text,
                message_id=key,
                start_payload=start,
                via_button=via_button,
                account=account,
            ),
        )

    if isinstance(msg, messages.TextMessage):
        return incoming(msg.content or "")
    if isinstance(msg, events.ClickEvent):
        return incoming(key_to_command(msg.key), via_button=True)
    if isinstance(msg, events.SubscribeScanEvent | events.ScanEvent):
        scene = str(msg.scene_id or "")
        return incoming(
            "/start", start=scene if scene.startswith(SCENE_PREFIXES) else f"shop_{home_shop}"
        )
    if isinstance(msg, events.SubscribeEvent):
        return incoming("/start", start=f"shop_{home_shop}")
    if isinstance(msg, events.UnsubscribeEvent):
        return Inbound("unsubscribe", openid, key)
    if isinstance(msg, events.MassSendJobFinishEvent):
        report = JobReport(
            str(msg.id or ""),
            str(msg.status or ""),
            msg.total_count,
            msg.sent_count,
            msg.error_count,
            msg.filter_count,
        )
        return Inbound("mass_report", openid, key, report=report)
    if isinstance(msg, events.TemplateSendJobFinishEvent):
        report = JobReport(str(msg.id or ""), str(msg.status or ""))
        return Inbound("template_report", openid, key, report=report)
    raw = getattr(msg, "_data", {}) or {}
    if str(raw.get("MsgType", "")).lower() == "event":
        return Inbound("ignore", openid, key)  # menu links, location reports...
    return Inbound("unsupported", openid, key)
