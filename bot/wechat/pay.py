"""WeChat Pay API v2 over aiohttp; wechatpy signs and checks signatures (MD5)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import ssl
from typing import Any

import aiohttp
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from bot.config import WeChatPayConfig
from bot.wechat.xmlsafe import XmlRejected, cdata, parse_xml

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=10)
BODY_MAX_BYTES = 128  # WeChat's limit for the order description
SIGNER_LOGGER = "wechatpy.pay.utils"


class PayError(Exception):
    """The pay API said no (or said something we cannot trust)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


def pay_configured(cfg: WeChatPayConfig) -> bool:
    return bool(cfg.mch_id and cfg.api_key and cfg.app_id)


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")[:limit]
    return data.decode("utf-8", errors="ignore")


def success_xml() -> str:
    return (
        "<xml><return_code><![CDATA[SUCCESS]]></return_code>"
        "<return_msg><![CDATA[OK]]></return_msg></xml>"
    )


def fail_xml(message: str) -> str:
    return (
        "<xml><return_code><![CDATA[FAIL]]></return_code>"
        f"<return_msg><![CDATA[{cdata(message)}]]></return_msg></xml>"
    )


async def load_client_cert(cfg: WeChatPayConfig) -> ssl.SSLContext | None:
    """The merchant certificate for refunds, loaded off the event loop."""
    if not cfg.cert_path:
        return None

    def load() -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        ctx.load_cert_chain(cfg.cert_path or "", cfg.key_path or None)
        return ctx

    return await asyncio.to_thread(load)


class WeChatPayClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        cfg: WeChatPayConfig,
        client_cert: ssl.SSLContext | None = None,
    ) -> None:
        if not pay_configured(cfg):
            raise ValueError("wechat.pay needs mch_id, api_key and app_id")
        self._session = session
        self.cfg = cfg
        self.app_id = cfg.app_id or ""
        self.mch_id = cfg.mch_id or ""
        self._key = cfg.api_key.get_secret_value() if cfg.api_key else ""
        self._base = cfg.api_base.rstrip("/")
        self._client_cert = client_cert
        # Only for its signing helpers: wechatpy's own HTTP client is never used.
        self._signer = WeChatPay(appid=self.app_id, api_key=self._key, mch_id=self.mch_id)
        # Its signer logs the string it signs, the API key in it, at DEBUG: never that low.
        logging.getLogger(SIGNER_LOGGER).setLevel(logging.INFO)

    # -- outbound ---------------------------------------------------------------------------

    async def _post(
        self, path: str, fields: dict[str, Any], *, cert: bool = False
    ) -> dict[str, str]:
        data = {k: str(v) for k, v in fields.items() if v not in (None, "")}
        data.update(
            appid=self.app_id, mch_id=self.mch_id, nonce_str=secrets.token_hex(16), sign_type="MD5"
        )
        body = dict_to_xml(data, calculate_signature(data, self._key)).encode("utf-8")
        ssl_arg: ssl.SSLContext | bool = True
        if cert:
            if self._client_cert is None:
                raise PayError("NO_CERT", "wechat.pay.cert_path is needed for refunds")
            ssl_arg = self._client_cert
        async with self._session.post(
            self._base + path,
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=TIMEOUT,
            ssl=ssl_arg,
        ) as resp:
            raw = await resp.read()
            if resp.status != 200:
                raise PayError("HTTP", f"{path}: HTTP {resp.status}")
        try:
            result = parse_xml(raw)
        except XmlRejected as e:
            raise PayError("BAD_XML", str(e)) from None
        if result.get("return_code") != "SUCCESS":
            raise PayError("FAIL", str(result.get("return_msg", "")))
        if not self.signed_by_wechat(result):
            raise PayError("BAD_SIGN", f"{path}: answer not signed with our key")
        if result.get("result_code") != "SUCCESS":
            raise PayError(str(result.get("err_code", "FAIL")), str(result.get("err_code_des", "")))
        return {k: str(v) for k, v in result.items() if isinstance(v, str)}

    def signed_by_wechat(self, data: dict[str, Any]) -> bool:
        """The MD5 `sign` is ours over the other fields, compared in constant time."""
        sign = data.get("sign")
        if not isinstance(sign, str):
            return False
        fields = {k: v for k, v in data.items() if k != "sign"}
        expected = calculate_signature(fields, self._key)
        return hmac.compare_digest(sign.encode(), expected.encode())

    async def unified_order(
        self,
        *,
        trade_type: str,
        out_trade_no: str,
        total_fee: int,
        body: str,
        client_ip: str,
        notify_url: str,
        openid: str | None = None,
        product_id: str | None = None,
    ) -> dict[str, str]:
        if total_fee <= 0:
            raise PayError("BAD_AMOUNT", str(total_fee))
        return await self._post(
            "/pay/unifiedorder",
            {
                "trade_type": trade_type,
                "out_trade_no": out_trade_no,
                "total_fee": total_fee,
                "body": _clip_bytes(body, BODY_MAX_BYTES),
                "spbill_create_ip": client_ip,
                "notify_url": notify_url,
                "openid": openid,
                "product_id": product_id,
                "fee_type": "CNY",
            },
        )

    async def refund(
        self, *, out_trade_no: str, out_refund_no: str, total_fee: int, refund_fee: int
    ) -> dict[str, str]:
        """Idempotent on WeChat's side by out_refund_no."""
        return await self._post(
            "/secapi/pay/refund",
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": out_refund_no,
                "total_fee": total_fee,
                "refund_fee": refund_fee,
            },
            cert=True,
        )

    async def query(self, out_trade_no: str) -> dict[str, str]:
        return await self._post("/pay/orderquery", {"out_trade_no": out_trade_no})

    # -- inbound -----------------------------------------------------------------------------

    def parse_notify(self, xml: bytes) -> dict[str, Any]:
        """Verify a payment notification's signature (MD5); raises InvalidSignatureException.
        Checked here in constant time first: wechatpy's parse_payment_result, which turns the
        fee fields into numbers, compares with `!=` (a signature that reaches it is good)."""
        # no DTDs, no entities, well-formed: before wechatpy looks at it
        if not self.signed_by_wechat(parse_xml(xml)):
            raise InvalidSignatureException()
        return self._signer.parse_payment_result(xml)

    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        """What WeixinJSBridge's getBrandWCPayRequest needs, signed (MD5)."""
        return dict(self._signer.jsapi.get_jsapi_params(prepay_id))


__all__ = [
    "InvalidSignatureException",
    "PayError",
    "WeChatPayClient",
    "fail_xml",
    "load_client_cert",
    "pay_configured",
    "success_xml",
]
