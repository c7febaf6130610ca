"""`GET/POST /wechat/<account>`: verification, signatures, the three message modes, de-duplication
by MsgId, and the passive-reply deadline (late answers go out as customer-service messages)."""

from __future__ import annotations

import asyncio
import binascii
import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from wechatpy import parse_message
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from bot.wechat.account import AccountEndpoint
from bot.wechat.conversation import Conversation
from bot.wechat.delivery import paged, plan, send_parts
from bot.wechat.httpio import read_limited, signature_ok, signed
from bot.wechat.inbound import PLATFORM, Inbound, JobReport, classify
from bot.wechat.memory import Entry
from bot.wechat.outgoing import OutgoingSender
from bot.wechat.render import Rendered, TextPart, flatten_news
from bot.wechat.replies import SUCCESS, passive_xml, seal
from bot.wechat.tasks import TaskGroup
from bot.wechat.texts import Texts
from bot.wechat.xmlsafe import XmlRejected, check_xml, parse_xml
from store.community.broadcasts import MassReport
from store.community.models import DeliveryStatus

log = logging.getLogger(__name__)

SEEN_TTL_SECONDS = 3600  # WeChat retries within ~15 s; MsgIds do not come back
ANSWER_TTL_SECONDS = 600
POLL_SECONDS = 0.05


def template_outcome(status: str) -> DeliveryStatus | None:
    """TEMPLATESENDJOBFINISH's Status: "success", "failed:user block" (the person refuses
    the account's template messages), "failed: system failed"."""
    words = status.replace(" ", "").casefold()
    if words == "failed:userblock":
        return DeliveryStatus.BLOCKED
    if words.startswith("failed"):
        return DeliveryStatus.FAILED
    return None


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(slots=True)
class _Slot:
    """The first delivery's answer, shared with its retries in this process."""

    decided: asyncio.Event = field(default_factory=asyncio.Event)
    xml: str = SUCCESS
    late: bool = False  # the request already answered "success"


class WeChatWebhook:
    def __init__(
        self,
        runtime: Any,
        endpoints: dict[str, AccountEndpoint],
        conversation: Conversation,
        tasks: TaskGroup,
        sender: OutgoingSender,
        *,
        deadline: float,
        max_body: int,
        max_age: float,
    ) -> None:
        self.runtime = runtime
        self.endpoints = endpoints
        self.conversation = conversation
        self.tasks = tasks
        self.sender = sender
        self.deadline = deadline
        self.max_body = max_body
        self.max_age = max_age
        self._inflight: dict[str, _Slot] = {}

    def _endpoint(self, request: web.Request) -> AccountEndpoint:
        ep = self.endpoints.get(request.match_info["account"])
        if ep is None:
            raise web.HTTPNotFound()
        return ep

    async def verify(self, request: web.Request) -> web.Response:
        """WeChat's server check: echo `echostr` when the signature is ours."""
        ep = self._endpoint(request)
        if not signature_ok(ep.token, dict(request.query), self.max_age):
            raise web.HTTPForbidden(text="bad signature")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        ep = self._endpoint(request)
        query = dict(request.query)
        if not signature_ok(ep.token, query, self.max_age):
            raise web.HTTPForbidden(text="bad signature")
        body = await read_limited(request, self.max_body)
        aes = query.get("encrypt_type", "raw").lower() == "aes"
        try:
            xml = self._open(ep, body, query, aes)
            msg = parse_message(xml)
        except _Refused as e:
            log.warning("wechat %s: refused a message: %s", ep.name, e)
            if e.status == 403:
                raise web.HTTPForbidden(text=str(e)) from None
            raise web.HTTPBadRequest(text=str(e)) from None
        except (XmlRejected, KeyError, TypeError, ValueError) as e:
            log.warning("wechat %s: bad message body: %s", ep.name, e)
            raise web.HTTPBadRequest(text="bad xml") from None
        if msg is None or not msg.source:
            raise web.HTTPBadRequest(text="bad xml")
        inbound = classify(msg, ep.name, ep.config.shop)
        answer = await self._answer(ep, inbound, account_id=str(msg.target or ""))
        if answer == SUCCESS:
            return web.Response(text=SUCCESS)
        sealed = seal(answer, ep.crypto if aes else None, query["nonce"], query["timestamp"])
        return web.Response(text=sealed, content_type="application/xml")

    def _open(self, ep: AccountEndpoint, body: bytes, query: dict[str, str], aes: bool) -> str:
        """The message's XML in clear, checked for DTDs and entities at every layer."""
        if not aes:
            check_xml(body)
            return body.decode("utf-8")
        if ep.crypto is None:
            raise _Refused(400, "encrypted message but no EncodingAESKey configured")
        outer = parse_xml(body)
        if not isinstance(outer.get("Encrypt"), str):
            raise _Refused(400, "no <Encrypt> element")
        msg_signature = query.get("msg_signature", "")
        if not msg_signature or not signed(
            msg_signature, ep.token, query["timestamp"], query["nonce"], outer["Encrypt"]
        ):
            raise _Refused(403, "missing or bad msg_signature")
        try:
            inner = ep.crypto.decrypt_message(
                {"Encrypt": outer["Encrypt"]}, msg_signature, query["timestamp"], query["nonce"]
            )
        except (InvalidSignatureException, InvalidAppIdException):
            raise _Refused(403, "bad msg_signature or app id") from None
        except (binascii.Error, struct.error, ValueError, IndexError):
            raise _Refused(400, "cannot decrypt") from None
        check_xml(inner)
        return inner

    # -- de-duplication and the deadline --------------------------------------------------

    async def _answer(self, ep: AccountEndpoint, inbound: Inbound, account_id: str) -> str:
        key = f"wechat:{ep.name}:{inbound.dedup_key}"
        if not await self.runtime.dedup.first_time(key, SEEN_TTL_SECONDS):
            return await self._repeat(key)
        slot = _Slot()
        self._inflight[key] = slot
        self.tasks.spawn(self._work(ep, inbound, account_id, key, slot), name=key)
        try:
            await asyncio.wait_for(slot.decided.wait(), self.deadline)
        except TimeoutError:
            if not slot.decided.is_set():
                slot.late = True
                log.info(
                    "wechat %s: %s not answered in %.1fs, replying later",
                    ep.name,
                    inbound.dedup_key,
                    self.deadline,
                )
                return SUCCESS
        return slot.xml

    async def _repeat(self, key: str) -> str:
        """A retry: the first delivery's answer, whichever process is working on it."""
        slot = self._inflight.get(key)
        if slot is not None:
            try:
                await asyncio.wait_for(slot.decided.wait(), self.deadline)
            except TimeoutError:
                return SUCCESS
            return slot.xml
        loop = asyncio.get_running_loop()
        until = loop.time() + self.deadline
        while loop.time() < until:
            stored = await self.runtime.kv.get(key + ":answer")
            if stored is not None:
                return str(stored)
            await asyncio.sleep(POLL_SECONDS)
        return SUCCESS

    async def _decide(
        self, key: str, slot: _Slot, xml: str, remembered: Sequence[Entry] = ()
    ) -> None:
        """Answer the waiting request with `xml`, once. What the answer leaves remembered
        is written first (a number typed at once finds its option), with the answer itself
        for a retry that reaches another process: one round trip for all."""
        if slot.decided.is_set():
            return
        try:
            await self.runtime.kv.set_many(
                [*remembered, (key + ":answer", xml, ANSWER_TTL_SECONDS)]
            )
        except Exception as e:  # the person still gets the answer; only the memory is lost
            log.warning("wechat: could not remember the answer to %s: %r", key, e)
        slot.xml = xml
        slot.decided.set()

    async def _work(
        self, ep: AccountEndpoint, inbound: Inbound, account_id: str, key: str, slot: _Slot
    ) -> None:
        try:
            if inbound.kind == "unsubscribe":
                await self.runtime.services.people.mark_unreachable(PLATFORM, inbound.openid)
                return
            if inbound.kind == "ignore":
                return
            if inbound.report is not None:
                await self._record_report(ep, inbound, inbound.report)
                return
            await self.sender.remember_account(inbound.openid, ep.name)
            rendered, texts = await self.conversation.answer(ep, inbound)
            if slot.late:  # the request said "success" already; retries say it too
                await self._decide(key, slot, SUCCESS)
                await self._deliver_late(ep, inbound.openid, rendered, texts)
                return
            p = plan(rendered, texts, ep.config.customer_service)
            xml = (
                passive_xml(p.passive, openid=inbound.openid, account_id=account_id)
                if p.passive
                else SUCCESS
            )
            pages = None if rendered.continuation else p.pages
            remembered = ep.memory.entries(inbound.openid, options=rendered.options, pages=pages)
            await self._decide(key, slot, xml, remembered)
            if p.later:
                await send_parts(ep, inbound.openid, p.later, self.runtime)
        except Exception:
            log.exception("wechat %s: failed to answer %s", ep.name, inbound.dedup_key)
        finally:
            await self._decide(key, slot, SUCCESS)
            self._inflight.pop(key, None)

    async def _record_report(
        self, ep: AccountEndpoint, inbound: Inbound, report: JobReport
    ) -> None:
        """A broadcast's mass send or template message, reported: counted once however
        often WeChat delivers the event."""
        broadcasts = self.runtime.services.community.broadcasts
        if inbound.kind == "mass_report":
            counts = MassReport(
                report.status, report.total, report.sent, report.errors, report.filtered
            )
            if not await broadcasts.record_mass_report(PLATFORM, ep.name, report.msg_id, counts):
                log.info(
                    "wechat %s: mass send %s reported again or unknown", ep.name, report.msg_id
                )
            return
        outcome = template_outcome(report.status)
        if outcome is not None:
            # The event comes from the recipient: their openid and the msgid name the row.
            await broadcasts.record_template_report(
                PLATFORM, inbound.openid, report.msg_id, outcome
            )

    async def _deliver_late(
        self, ep: AccountEndpoint, openid: str, rendered: Rendered, texts: Texts
    ) -> None:
        if ep.config.customer_service:
            await ep.memory.remember(openid, options=rendered.options)
            await send_parts(ep, openid, rendered.parts, self.runtime)
            return
        # No customer-service messages on this account: keep it for "more".
        log.warning("wechat %s: late answer kept for 'more' (no customer service)", ep.name)
        pages = [
            p.text for p in paged(flatten_news(rendered.parts, texts)) if isinstance(p, TextPart)
        ]
        await ep.memory.remember(openid, options=rendered.options, pages=pages)
