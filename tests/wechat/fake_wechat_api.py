"""A local stand-in for api.weixin.qq.com and api.mch.weixin.qq.com (pay API v2).

It behaves like the real thing where our code can tell the difference (stable
token semantics, token checks, pay signatures) and records every call, so
tests assert on what actually went over the wire instead of patching our code.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from bot.wechat.xmlsafe import parse_xml

TOKEN_PATHS = (
    "/cgi-bin/message/custom/send",
    "/cgi-bin/message/template/send",
    "/cgi-bin/menu/create",
    "/cgi-bin/qrcode/create",
)
MASS_PATH = "/cgi-bin/message/mass/sendall"
PAY_PATHS = ("/pay/unifiedorder", "/secapi/pay/refund", "/pay/orderquery")


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: Any  # decoded JSON, or the XML's fields as a dict
    raw: bytes


@dataclass
class _Failure:
    errcode: int | str  # WeChat's numbers; the pay API's err_code strings (NOTENOUGH, ...)
    errmsg: str
    times: int
    expire_token: bool


@dataclass
class FakeWeChatApi:
    apps: dict[str, str]  # app id -> secret
    mch_id: str = "1900000109"
    pay_app_id: str = ""
    pay_key: str = "192006250b4c09247ec02edce69f6a2d"
    token_ttl: int = 7200
    calls: list[Call] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)  # path -> seconds
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code -> openid
    trade_states: dict[str, str] = field(default_factory=dict)  # out_trade_no -> SUCCESS...
    orders: dict[str, dict[str, str]] = field(default_factory=dict)  # unified orders
    # (path, openid) -> errcode, every time: 45015 out of the window, 43004 unfollowed...
    refuse: dict[tuple[str, str], int] = field(default_factory=dict)
    # Mass sends WeChat accepted, by clientmsgid: a second one within 24 h answers 45065.
    mass_sent: dict[str, str] = field(default_factory=dict)
    _next_id: int = 1000
    _failures: dict[str, list[_Failure]] = field(default_factory=lambda: defaultdict(list))
    _current: dict[str, str] = field(default_factory=dict)  # app id -> token
    _valid: set[str] = field(default_factory=set)
    _server: TestServer | None = None

    # -- test controls ------------------------------------------------------

    def fail_next(
        self,
        path: str,
        errcode: int | str = 40001,
        times: int = 1,
        errmsg: str = "",
        expire_token: bool = True,
    ) -> None:
        """The next `times` calls to `path` answer `errcode`; with 40001/42001 the token used
        expires too, unless `expire_token` is False (WeChat refusing a token it still hands
        out in normal mode: only a forced refresh helps)."""
        self._failures[path].append(
            _Failure(errcode, errmsg or f"error {errcode}", times, expire_token)
        )

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self._stable_token)
        for path in TOKEN_PATHS:
            app.router.add_post(path, self._token_api)
        app.router.add_post(MASS_PATH, self._mass_send)
        app.router.add_get("/sns/oauth2/access_token", self._oauth)
        for path in PAY_PATHS:
            app.router.add_post(path, self._pay_api)
        self._server = TestServer(app)
        await self._server.start_server()
        return self.base_url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    # -- helpers --------------------------------------------------------------

    async def _record(self, request: web.Request, body: Any, raw: bytes) -> None:
        self.calls.append(Call(request.path, dict(request.query), body, raw))
        delay = self.delays.get(request.path)
        if delay:
            await asyncio.sleep(delay)

    def _take_failure(self, path: str) -> _Failure | None:
        queue = self._failures.get(path)
        if not queue:
            return None
        f = queue[0]
        f.times -= 1
        if f.times <= 0:
            queue.pop(0)
        return f

    def _issue(self, app_id: str) -> str:
        old = self._current.get(app_id)
        if old:
            self._valid.discard(old)
        token = "TOKEN_" + secrets.token_hex(8)
        self._current[app_id] = token
        self._valid.add(token)
        return token

    # -- handlers ---------------------------------------------------------------

    async def _stable_token(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw)
        await self._record(request, body, raw)
        app_id, secret = body.get("appid"), body.get("secret")
        if body.get("grant_type") != "client_credential" or self.apps.get(app_id) != secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        failure = self._take_failure(request.path)
        if failure:
            return web.json_response({"errcode": failure.errcode, "errmsg": failure.errmsg})
        token = self._current.get(app_id)
        if body.get("force_refresh") or token not in self._valid:
            token = self._issue(app_id)
        return web.json_response({"access_token": token, "expires_in": self.token_ttl})

    async def _token_api(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw)
        await self._record(request, body, raw)
        failure = self._take_failure(request.path)
        if failure:
            if failure.errcode in (40001, 42001) and failure.expire_token:
                self._valid.discard(request.query.get("access_token", ""))
            return web.json_response({"errcode": failure.errcode, "errmsg": failure.errmsg})
        if request.query.get("access_token") not in self._valid:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        refused = self.refuse.get((request.path, str(body.get("touser", ""))))
        if refused:
            return web.json_response({"errcode": refused, "errmsg": f"error {refused}"})
        if request.path == "/cgi-bin/message/template/send":
            self._next_id += 1
            return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": self._next_id})
        if request.path == "/cgi-bin/qrcode/create":
            ticket = "gQ" + secrets.token_hex(12)
            return web.json_response(
                {
                    "ticket": ticket,
                    "expire_seconds": body.get("expire_seconds", 0),
                    "url": f"http://weixin.qq.com/q/{ticket}",
                }
            )
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _mass_send(self, request: web.Request) -> web.Response:
        """sendall: accepted (and remembered by clientmsgid) before any delay, like a send
        that went out although our side never saw the answer."""
        raw = await request.read()
        body = json.loads(raw)
        self.calls.append(Call(request.path, dict(request.query), body, raw))
        failure = self._take_failure(request.path)
        if failure:
            answer: dict[str, Any] = {"errcode": failure.errcode, "errmsg": failure.errmsg}
        elif request.query.get("access_token") not in self._valid:
            answer = {"errcode": 40001, "errmsg": "invalid credential"}
        elif body.get("clientmsgid") in self.mass_sent:
            known = self.mass_sent[body["clientmsgid"]]
            answer = {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": int(known)}
        else:
            self._next_id += 1
            self.mass_sent[body["clientmsgid"]] = str(self._next_id)
            answer = {"errcode": 0, "errmsg": "send job submission success"}
            answer |= {"msg_id": self._next_id, "msg_data_id": self._next_id * 10}
        delay = self.delays.get(request.path)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(answer)

    async def _oauth(self, request: web.Request) -> web.Response:
        await self._record(request, dict(request.query), b"")
        q = request.query
        if self.apps.get(q.get("appid", "")) != q.get("secret"):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        openid = self.oauth_codes.pop(q.get("code", ""), None)
        if openid is None:
            return web.json_response({"errcode": 40029, "errmsg": "invalid code"})
        return web.json_response(
            {
                "access_token": "WEB_TOKEN",
                "expires_in": 7200,
                "openid": openid,
                "scope": "snsapi_base",
            }
        )

    def _pay_reply(self, fields: dict[str, str]) -> web.Response:
        fields = {"return_code": "SUCCESS", "return_msg": "OK", **fields}
        fields["nonce_str"] = secrets.token_hex(8)
        sign = calculate_signature(fields, self.pay_key)
        return web.Response(text=dict_to_xml(fields, sign), content_type="text/xml")

    async def _pay_api(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = parse_xml(raw)
        await self._record(request, body, raw)
        sign = body.pop("sign", None)
        if sign != calculate_signature(body, self.pay_key):
            return self._pay_reply({"return_code": "FAIL", "return_msg": "签名错误"})
        if body.get("mch_id") != self.mch_id or body.get("appid") != self.pay_app_id:
            return self._pay_reply({"return_code": "FAIL", "return_msg": "appid/mch_id mismatch"})
        base = {"appid": self.pay_app_id, "mch_id": self.mch_id}
        failure = self._take_failure(request.path)
        if failure:
            return self._pay_reply(
                {
                    **base,
                    "result_code": "FAIL",
                    "err_code": str(failure.errcode),
                    "err_code_des": failure.errmsg,
                }
            )
        no = body.get("out_trade_no", "")
        if request.path == "/pay/unifiedorder":
            prepay_id = "wx" + secrets.token_hex(14)
            self.orders[no] = dict(body)
            out = {
                **base,
                "result_code": "SUCCESS",
                "trade_type": body["trade_type"],
                "prepay_id": prepay_id,
            }
            if body["trade_type"] == "NATIVE":
                out["code_url"] = f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(4)}"
            return self._pay_reply(out)
        if request.path == "/secapi/pay/refund":
            return self._pay_reply(
                {
                    **base,
                    "result_code": "SUCCESS",
                    "out_trade_no": no,
                    "out_refund_no": body.get("out_refund_no", ""),
                    "refund_id": "50000" + secrets.token_hex(6),
                    "refund_fee": body.get("refund_fee", "0"),
                    "total_fee": body.get("total_fee", "0"),
                }
            )
        # orderquery
        if no not in self.orders and no not in self.trade_states:
            return self._pay_reply(
                {
                    **base,
                    "result_code": "FAIL",
                    "err_code": "ORDERNOTEXIST",
                    "err_code_des": "order does not exist",
                }
            )
        state = self.trade_states.get(no, "NOTPAY")
        out = {**base, "result_code": "SUCCESS", "out_trade_no": no, "trade_state": state}
        if state == "SUCCESS":
            out["transaction_id"] = "4200" + no.encode().hex()[:20]
            out["total_fee"] = self.orders.get(no, {}).get("total_fee", "0")
        return self._pay_reply(out)
