"""The Official Account API over aiohttp (wechatpy's client is synchronous)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.wechat.token import AccessTokens, TokenCache

log = logging.getLogger(__name__)

TOKEN_REJECTED = frozenset({40001, 40014, 42001})  # invalid / malformed / expired token
TIMEOUT = aiohttp.ClientTimeout(total=10)
QR_IMAGE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={ticket}"


class WeChatApiError(Exception):
    def __init__(
        self, path: str, errcode: int, errmsg: str, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{path}: {errcode} {errmsg}")
        self.path = path
        self.errcode = errcode
        self.errmsg = errmsg
        self.data = data or {}  # the whole answer (45065 names the earlier mass send)


def _json_bytes(payload: dict[str, Any]) -> bytes:
    # WeChat shows \uXXXX escapes literally in some APIs: send real UTF-8.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WeChatApi:
    """One Official Account: app id + secret against `api_base`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_base: str,
        app_id: str,
        secret: str,
        token_cache: TokenCache,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._base = api_base.rstrip("/")
        self.app_id = app_id
        self._secret = secret
        self.tokens = AccessTokens(app_id, self._fetch_token, token_cache, clock=clock)

    async def _read_json(self, resp: aiohttp.ClientResponse, path: str) -> dict[str, Any]:
        if resp.status != 200:
            raise WeChatApiError(path, -resp.status, f"HTTP {resp.status}")
        data = json.loads(await resp.read())
        if not isinstance(data, dict):
            raise WeChatApiError(path, -1, "not a JSON object")
        return data

    async def _fetch_token(self, force_refresh: bool) -> tuple[str, int]:
        path = "/cgi-bin/stable_token"
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        async with self._session.post(
            self._base + path,
            data=_json_bytes(body),
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        ) as resp:
            data = await self._read_json(resp, path)
        if data.get("errcode") or "access_token" not in data:
            raise WeChatApiError(path, int(data.get("errcode", -1)), str(data.get("errmsg", "")))
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON with the access token; one renew-and-retry when the token is refused."""
        token = await self.tokens.get()
        for attempt in (1, 2):
            async with self._session.post(
                self._base + path,
                params={"access_token": token},
                data=_json_bytes(payload),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=TIMEOUT,
            ) as resp:
                data = await self._read_json(resp, path)
            errcode = int(data.get("errcode", 0) or 0)
            if errcode in TOKEN_REJECTED and attempt == 1:
                log.info("wechat %s: token refused (%s), renewing", self.app_id, errcode)
                token = await self.tokens.renew(token)
                continue
            if errcode:
                raise WeChatApiError(path, errcode, str(data.get("errmsg", "")), data)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    # -- customer-service messages -------------------------------------------------

    async def send_text(self, openid: str, text: str) -> None:
        await self.call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    async def send_news(
        self, openid: str, title: str, description: str, url: str, picurl: str
    ) -> None:
        article = {"title": title, "description": description, "url": url, "picurl": picurl}
        await self.call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "news", "news": {"articles": [article]}},
        )

    # -- template messages and mass sends (broadcasts) -----------------------------------

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str | None = None
    ) -> str:
        """A template message; returns WeChat's msgid (TEMPLATESENDJOBFINISH names it)."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }
        if url:
            body["url"] = url
        answer = await self.call("/cgi-bin/message/template/send", body)
        return str(answer.get("msgid", ""))

    async def mass_send_text(self, text: str, client_msg_id: str) -> str:
        """A text to every follower (sendall, is_to_all). WeChat refuses a second send
        with the same `client_msg_id` within 24 hours (45065). Returns the msg_id."""
        body = {
            "filter": {"is_to_all": True},
            "msgtype": "text",
            "text": {"content": text},
            "clientmsgid": client_msg_id,
        }
        answer = await self.call("/cgi-bin/message/mass/sendall", body)
        return str(answer.get("msg_id", ""))

    # -- menu, QR codes, OAuth ---------------------------------------------------------

    async def create_menu(self, buttons: list[dict[str, Any]]) -> None:
        await self.call("/cgi-bin/menu/create", {"button": buttons})

    async def create_qrcode(self, scene: str, expire_seconds: int | None = None) -> dict[str, Any]:
        """A parametric QR code for `scene` (ref_..., gb_..., shop_...).

        Permanent (QR_LIMIT_STR_SCENE) without `expire_seconds`, temporary otherwise.
        Returns WeChat's answer plus `image_url`.
        """
        body: dict[str, Any] = {"action_info": {"scene": {"scene_str": scene}}}
        if expire_seconds is None:
            body["action_name"] = "QR_LIMIT_STR_SCENE"
        else:
            body["action_name"] = "QR_STR_SCENE"
            body["expire_seconds"] = expire_seconds
        data = await self.call("/cgi-bin/qrcode/create", body)
        data["image_url"] = QR_IMAGE_URL.format(ticket=quote(str(data["ticket"]), safe=""))
        return data

    async def oauth_openid(self, code: str) -> str:
        """snsapi_base: exchange the code from the OAuth redirect for the user's openid."""
        path = "/sns/oauth2/access_token"
        params = {
            "appid": self.app_id,
            "secret": self._secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        async with self._session.get(self._base + path, params=params, timeout=TIMEOUT) as resp:
            data = await self._read_json(resp, path)
        if data.get("errcode") or not data.get("openid"):
            raise WeChatApiError(path, int(data.get("errcode", -1)), str(data.get("errmsg", "")))
        return str(data["openid"])
