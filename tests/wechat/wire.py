"""WeChat's side of the wire, for tests: fixtures, signed query strings, safe-mode envelopes,
and reading our answers back (decrypting them like WeChat would)."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.pay.utils import calculate_signature

FIXTURES = Path(__file__).parent / "fixtures"
_msg_ids = itertools.count(24_000_000_000_000_000)


def next_msg_id() -> str:
    return str(next(_msg_ids))


def fixture(name: str, **values: Any) -> str:
    """A real message in WeChat's format with `$placeholders` filled."""
    defaults: dict[str, Any] = {
        "to": "gh_shop0000001",
        "openid": "oUser0000000000000000000001",
        "time": int(time.time()),
        "msg_id": next_msg_id(),
    }
    return Template((FIXTURES / f"{name}.xml").read_text(encoding="utf-8")).substitute(
        defaults | values
    )


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_query(
    token: str, *, timestamp: int | None = None, nonce: str | None = None, **extra: str
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(5)
    return {"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}


def safe_envelope(
    crypto: WeChatCrypto, xml: str, query: dict[str, str], *, compatible: bool = False
) -> tuple[str, dict[str, str]]:
    """Encrypt `xml` as WeChat does in safe mode (or compatible mode: clear fields too)."""
    sealed = xmltodict.parse(crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))
    encrypt = sealed["xml"]["Encrypt"]
    found = re.search(r"<ToUserName><!\[CDATA\[(.*?)\]\]>", xml)
    to = found.group(1) if found else "gh_shop0000001"
    if compatible:
        body = xml.replace("</xml>", f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n</xml>")
    else:
        body = (
            f"<xml>\n<ToUserName><![CDATA[{to}]]></ToUserName>\n"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n</xml>"
        )
    query = query | {"encrypt_type": "aes", "msg_signature": sealed["xml"]["MsgSignature"]}
    return body, query


@dataclass
class WireReply:
    """Our answer as WeChat reads it."""

    raw: str
    encrypted: bool = False
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.raw == "success" or self.raw == ""

    @property
    def type(self) -> str:
        return str(self.fields.get("MsgType", ""))

    @property
    def content(self) -> str:
        return str(self.fields.get("Content", ""))


def read_reply(raw: str, crypto: WeChatCrypto | None = None) -> WireReply:
    if raw in ("success", ""):
        return WireReply(raw)
    data = xmltodict.parse(raw)["xml"]
    if "Encrypt" in data:
        assert crypto is not None, "an encrypted answer needs the account's crypto"
        clear = crypto.decrypt_message(raw, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
        return WireReply(raw, True, xmltodict.parse(clear)["xml"])
    return WireReply(raw, False, data)


def pay_notify(api_key: str, **values: Any) -> str:
    """A payment notification signed with `api_key` (MD5), like WeChat Pay sends."""
    unsigned = fixture("pay_notify", sign="", **values)
    data = xmltodict.parse(unsigned)["xml"]
    data.pop("sign")
    return fixture("pay_notify", sign=calculate_signature(data, api_key), **values)
