"""WeChat Pay in the shop: Native links in chat, the JSAPI page `/pay/<order no>` (OAuth
snsapi_base), the notify endpoint, status queries and refunds after a merchant approves."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.staff_alerts import tell_staff_once
from bot.wechat.account import AccountEndpoint
from bot.wechat.api import WeChatApiError
from bot.wechat.httpio import read_limited
from bot.wechat.pay import (
    InvalidSignatureException,
    PayError,
    WeChatPayClient,
    fail_xml,
    success_xml,
)
from bot.wechat.render import link
from bot.wechat.texts import (
    ORDER_BODY,
    PAY_FAILED,
    PAY_LINK,
    PAY_OFFER,
    PAY_QR,
    PAYMENT_NOT_APPLIED,
    Texts,
)
from bot.wechat.xmlsafe import XmlRejected
from handlers.errors import error_text
from handlers.i18n import normalise_locale, render
from handlers.types import Reply
from store.db import is_connection_failure
from store.errors import AlreadyPaid, AmountMismatch, IllegalTransition, NotFound, StoreError
from store.models import Order, OrderStatus, RefundJob
from store.money import format_money, from_minor, to_minor
from store.refunds import RefundError, RefundOutcome

log = logging.getLogger(__name__)

METHOD = "wechat"
CURRENCY = "CNY"  # what WeChat Pay v2 charges in
OAUTH_URL = (
    "https://open.weixin.qq.com/connect/oauth2/authorize?appid={appid}&redirect_uri={uri}"
    "&response_type=code&scope=snsapi_base&state=pay#wechat_redirect"
)
PAGE_TEMPLATE = "wechat/pay.html.j2"
# The public status page asks WeChat's order query (rate-limited per merchant) about one
# order at most once per this long; meanwhile it answers from what was last heard.
QUERY_INTERVAL = timedelta(seconds=5)
MAX_QUERIED_ORDERS = 10_000  # orders remembered for that, oldest forgotten first


@dataclass(slots=True)
class _Asked:
    at: datetime
    trade_state: str = ""  # what WeChat said ("" until it answered)


class QueryThrottle:
    """When each order was last asked of WeChat, and what it said: in this process's memory,
    bounded. A clock that went back lets the next ask through (never a long silence)."""

    def __init__(self, interval: timedelta = QUERY_INTERVAL, limit: int = MAX_QUERIED_ORDERS):
        self.interval = interval
        self.limit = limit
        self._asked: OrderedDict[str, _Asked] = OrderedDict()

    def claim(self, order_no: str, now: datetime) -> _Asked | None:
        """None when the order may be asked now (the ask is recorded at once, so a request
        arriving meanwhile is answered from memory too); else the last ask, to answer from."""
        last = self._asked.get(order_no)
        if last is not None and timedelta(0) <= now - last.at < self.interval:
            return last
        self._asked[order_no] = _Asked(now, last.trade_state if last else "")
        self._asked.move_to_end(order_no)
        while len(self._asked) > self.limit:
            self._asked.popitem(last=False)
        return None

    def heard(self, order_no: str, trade_state: str) -> None:
        asked = self._asked.get(order_no)
        if asked is not None:
            asked.trade_state = trade_state


class WeChatCheckout:
    def __init__(self, runtime: Any, client: WeChatPayClient, oauth: AccountEndpoint) -> None:
        self.runtime = runtime
        self.client = client
        self.oauth = oauth
        settings = runtime.settings
        self.public_url = settings.server.public_url.rstrip("/")
        self.notify_url = client.cfg.notify_url or f"{self.public_url}/wechat/pay/notify"
        self.default_locale = settings.shop.locale
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.queries = QueryThrottle()

    def page_url(self, order_no: str) -> str:
        return f"{self.public_url}/pay/{quote(order_no)}"

    # -- chat: offer to pay --------------------------------------------------------------------

    async def offers(self, replies: Sequence[Reply], texts: Texts) -> Mapping[str, str]:
        out: dict[str, str] = {}
        for reply in replies:
            no = reply.pay_order_no
            if no and no not in out:
                offer = await self._offer(no, texts)
                if offer:
                    out[no] = offer
        return out

    async def _offer(self, order_no: str, texts: Texts) -> str | None:
        orders = self.runtime.services.orders
        try:
            order = await orders.get(order_no)
        except StoreError:
            return None
        if order.currency != CURRENCY:
            return None
        lines = [
            texts.t(
                PAY_OFFER,
                no=order.order_no,
                link=link(self.page_url(order.order_no), texts.t(PAY_LINK)),
            )
        ]
        try:
            native = await self.client.unified_order(
                trade_type="NATIVE",
                out_trade_no=order.order_no,
                total_fee=to_minor(order.total, order.currency),
                body=texts.t(ORDER_BODY, no=order.order_no),
                client_ip=self.client.cfg.server_ip,
                notify_url=self.notify_url,
                product_id=order.order_no,
            )
            if native.get("code_url"):
                lines.append(texts.t(PAY_QR, link=link(native["code_url"], native["code_url"])))
        except (PayError, OSError, TimeoutError) as e:
            log.warning("wechat pay: native order %s failed: %s", order.order_no, e)
        return "\n".join(lines)

    # -- settling: notify and query ---------------------------------------------------------------

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def settle(self, order_no: str, transaction_id: str, total_fee: int) -> str | None:
        """Mark paid (exactly once). None when done or nothing to do; else why it was refused."""
        services = self.runtime.services
        try:
            order = await services.orders.get(order_no)
        except NotFound:
            log.error("wechat pay: payment %s for unknown order %s", transaction_id, order_no)
            return "unknown order"
        if order.currency != CURRENCY or to_minor(order.total, order.currency) != total_fee:
            log.error(
                "wechat pay: %s paid %s fen for order %s of %s %s",
                transaction_id,
                total_fee,
                order_no,
                order.total,
                order.currency,
            )
            await self._tell_staff_not_applied(
                order, transaction_id, total_fee, AmountMismatch(no=order.order_no)
            )
            return "amount mismatch"
        async with self._lock(transaction_id):  # one process: no pile-up on the database
            try:
                result = await services.payments.confirm(
                    order.order_no, METHOD, transaction_id, from_minor(total_fee, CURRENCY)
                )
            except AmountMismatch as e:
                await self._tell_staff_not_applied(order, transaction_id, total_fee, e)
                return "amount mismatch"
            except (AlreadyPaid, IllegalTransition) as e:
                # Money arrived for an order that cannot take it (paid otherwise, cancelled):
                # acknowledged so WeChat stops; logged, and the shop's staff are told so a
                # person refunds it.
                log.error(
                    "wechat pay: %s for order %s needs a manual refund: %s",
                    transaction_id,
                    order_no,
                    e,
                )
                await self._tell_staff_not_applied(order, transaction_id, total_fee, e)
                return None
        if not result.duplicate:
            log.info("wechat pay: order %s paid (%s)", order_no, transaction_id)
        return None

    async def _tell_staff_not_applied(
        self, order: Order, transaction_id: str, total_fee: int, err: StoreError
    ) -> None:
        """Money WeChat took for an order that can't take it: a person must give it back.
        Once per transaction, however often WeChat notifies or the pay page asks."""
        services = self.runtime.services
        shop = await services.shops.get(order.shop_id)  # type: ignore[attr-defined]
        text = Texts(shop.locale).t(
            PAYMENT_NOT_APPLIED,
            no=order.order_no,
            transaction=transaction_id,
            amount=format_money(from_minor(total_fee, CURRENCY), CURRENCY, shop.locale),
            reason=error_text(shop.locale, err, shop.currency),
        )
        await tell_staff_once(
            services,
            self.runtime.dedup,
            self.runtime.outbox,
            shop.id,
            f"wechat-pay-not-applied:{transaction_id}",
            text,
        )

    async def notify(self, request: web.Request) -> web.Response:
        """`POST /wechat/pay/notify`: WeChat's payment result."""
        body = await read_limited(request, self.runtime.settings.server.max_body_bytes)
        try:
            data = self.client.parse_notify(body)
        except (XmlRejected, ValueError):  # not XML, or fee fields that are not numbers
            return _xml(fail_xml("bad xml"), 400)
        except InvalidSignatureException:
            log.warning("wechat pay: notify with a bad signature from %s", request.remote)
            return _xml(fail_xml("invalid sign"), 403)
        if data.get("return_code") != "SUCCESS":
            return _xml(success_xml())
        if data.get("appid") != self.client.app_id or data.get("mch_id") != self.client.mch_id:
            log.error(
                "wechat pay: notify for appid %s mch %s", data.get("appid"), data.get("mch_id")
            )
            return _xml(fail_xml("appid or mch_id mismatch"))
        if data.get("result_code") != "SUCCESS":
            return _xml(success_xml())  # a failed payment: nothing to record
        try:
            order_no = str(data["out_trade_no"])
            transaction_id = str(data["transaction_id"])
            total_fee = int(data["total_fee"])
        except (KeyError, TypeError, ValueError):
            return _xml(fail_xml("missing fields"), 400)
        try:
            refused = await self.settle(order_no, transaction_id, total_fee)
        except Exception as e:
            if not is_connection_failure(e):
                raise
            # Not SUCCESS: WeChat notifies again (for about a day), and a later one records it.
            log.warning("wechat pay: %s for %s not recorded yet: %r", transaction_id, order_no, e)
            return _xml(fail_xml("try again later"), 503)
        return _xml(fail_xml(refused) if refused else success_xml())

    async def query_and_settle(self, order_no: str) -> dict[str, str]:
        """Ask WeChat about an order now; settles it when WeChat says it is paid."""
        result = await self.client.query(order_no)
        if result.get("trade_state") == "SUCCESS" and result.get("transaction_id"):
            await self.settle(order_no, result["transaction_id"], int(result.get("total_fee", 0)))
        return result

    async def status(self, request: web.Request) -> web.Response:
        """`GET /pay/<order no>/status` (the pay page asks after WeChat's "ok"). The page is
        public: only an order of ours still waiting for its money is asked of WeChat (whose
        order query is rate-limited per merchant), and at most once per QUERY_INTERVAL
        each, however often the page (or anyone) asks; meanwhile the answer is what the
        shop knows and WeChat last said. An unknown number is 404, any other order answered
        from what the shop knows."""
        services = self.runtime.services
        try:
            order = await services.orders.get(request.match_info["order_no"])
        except NotFound:
            raise web.HTTPNotFound(text="no such order") from None
        if order.status != OrderStatus.PENDING_PAYMENT:
            return web.json_response({"paid": order.paid_at is not None, "trade_state": ""})
        last = self.queries.claim(order.order_no, services.clock())
        if last is not None:  # asked a moment ago: answer what WeChat said then
            trade_state = last.trade_state
        else:
            try:
                result = await self.query_and_settle(order.order_no)
            except PayError as e:
                return web.json_response({"paid": False, "error": e.code})
            except (OSError, TimeoutError):
                return web.json_response({"paid": False, "error": "unreachable"}, status=503)
            trade_state = result.get("trade_state", "")
            self.queries.heard(order.order_no, trade_state)
        return web.json_response({"paid": trade_state == "SUCCESS", "trade_state": trade_state})

    # -- the JSAPI page -------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        """`GET /pay/<order no>`: OAuth (snsapi_base) for the openid, then a JSAPI order."""
        no = request.match_info["order_no"]
        code = request.query.get("code")
        if not code:
            uri = quote(self.page_url(no), safe="")
            raise web.HTTPFound(OAUTH_URL.format(appid=self.oauth.config.app_id, uri=uri))
        services = self.runtime.services
        try:
            order = await services.orders.get(no)
        except NotFound:
            raise web.HTTPNotFound(text="no such order") from None
        person = await services.people.person(order.person_id)  # type: ignore[attr-defined]
        locale = normalise_locale(person.locale or self.default_locale)
        values: dict[str, Any] = {
            "lang": locale.replace("_", "-"),
            "order_no": order.order_no,
            "amount": format_money(order.total, order.currency, locale),
            "status_url": f"{self.page_url(order.order_no)}/status",
            "params": {},
            "error": "",
        }
        try:
            await services.payments.check_payable(order.order_no, order.total)
            openid = await self.oauth.api.oauth_openid(code)
            prepay = await self.client.unified_order(
                trade_type="JSAPI",
                out_trade_no=order.order_no,
                total_fee=to_minor(order.total, order.currency),
                body=Texts(locale).t(ORDER_BODY, no=order.order_no),
                client_ip=request.remote or self.client.cfg.server_ip,
                notify_url=self.notify_url,
                openid=openid,
            )
            values["params"] = self.client.jsapi_params(prepay["prepay_id"])
        except StoreError as e:
            values["error"] = error_text(locale, e, order.currency)
        except (WeChatApiError, PayError) as e:
            log.warning("wechat pay page %s: %s", no, e)
            values["error"] = Texts(locale).t(PAY_FAILED)
        html = render(locale, PAGE_TEMPLATE, **values)
        return web.Response(
            text=html, content_type="text/html", headers={"Cache-Control": "no-store"}
        )

    # -- refunds -----------------------------------------------------------------------------------

    async def refund(self, job: RefundJob) -> RefundOutcome:
        """The core's refund outbox calls this (and retries it) after a merchant approves."""
        await job.fetch_related("order")
        order = job.order
        try:
            result = await self.client.refund(
                out_trade_no=order.order_no,
                # order:<no> -> <no>R, order:<no>:<n> -> <no>R<n>: one per refund, stable
                out_refund_no=f"{order.order_no}R" + job.key.rpartition(order.order_no)[2][1:],
                total_fee=to_minor(order.total, order.currency),
                refund_fee=to_minor(job.amount, job.currency),  # type: ignore[attr-defined]
            )
        except PayError as e:
            raise RefundError(f"wechat pay: {e}") from None
        log.info("wechat pay: order %s refunded (%s)", order.order_no, result.get("refund_id"))
        return RefundOutcome(provider_refund_id=result.get("refund_id", ""))


def _xml(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/xml")
