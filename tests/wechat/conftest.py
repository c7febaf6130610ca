"""Fixtures: the stand-in for WeChat's servers and the real app with the WeChat adapter.

Messages go in through the real endpoint (aiohttp's test client) signed like WeChat signs
them; what goes out is read from our answers and from the stand-in's record of API calls.
Nothing of ours is patched.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from wechatpy.crypto import WeChatCrypto

from bot.app import build_app
from bot.config import Settings, load_settings
from bot.runtime import Runtime, build_runtime
from bot.wechat import WECHAT, WeChatAdapter
from store.clock import Clock, utcnow
from store.demo import seed_demo

from .fake_wechat_api import FakeWeChatApi
from .wire import WireReply, fixture, read_reply, safe_envelope, signed_query

APP_ID = "wx5f2b1c0d9e8a7f60"
SECRET = "7c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f"
TOKEN = "microstoreToken2026"
AES_KEY = base64.b64encode(b"microstore-wechat-aes-key-32byte").decode().rstrip("=")
LITE_APP_ID = "wx0000000000000a11"
LITE_SECRET = "a11a11a11a11a11a11a11a11a11a11a1"
LITE_TOKEN = "liteToken"
MCH_ID = "1900000109"
PAY_KEY = "8934e7d15453e97507ef794cf7b0519d"
PUBLIC_URL = "https://shop.example.com"
USER = "oUser0000000000000000000001"
MENU = [
    {"type": "click", "name": "商品", "key": "/catalog"},
    {
        "name": "我的",
        "sub_button": [
            {"type": "click", "name": "购物车", "key": "cart"},
            {"type": "click", "name": "订单", "key": "/orders"},
        ],
    },
]


def write_merchant_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway client certificate, like apiclient_cert.pem / apiclient_key.pem."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, MCH_ID)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "apiclient_cert.pem", directory / "apiclient_key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def make_settings(
    fake: FakeWeChatApi,
    tmp_path: Path,
    *,
    pay: bool = True,
    redis_url: str | None = None,
    database_url: str | None = None,
    **wechat: Any,
) -> Settings:
    cert_path, key_path = write_merchant_cert(tmp_path)
    section: dict[str, Any] = {
        "api_base": fake.base_url,
        "accounts": [
            {
                "name": "shop",
                "app_id": APP_ID,
                "secret": SECRET,
                "token": TOKEN,
                "encoding_aes_key": AES_KEY,
                "shop": "demo",
                "menu": MENU,
            },
            {
                "name": "lite",
                "app_id": LITE_APP_ID,
                "secret": LITE_SECRET,
                "token": LITE_TOKEN,
                "shop": "demo",
                "customer_service": False,
            },
        ],
    }
    if pay:
        section["pay"] = {
            "mch_id": MCH_ID,
            "api_key": PAY_KEY,
            "app_id": APP_ID,
            "api_base": fake.base_url,
            "cert_path": str(cert_path),
            "key_path": str(key_path),
            "server_ip": "203.0.113.7",
        }
    section.update(wechat)
    return load_settings(
        None,
        database={"url": database_url or f"sqlite://{tmp_path / 'wechat.db'}"},
        server={"public_url": PUBLIC_URL},
        redis={"url": redis_url},
        wechat=section,
    )


@dataclass
class Harness:
    fake: FakeWeChatApi
    client: TestClient
    runtime: Runtime
    adapter: WeChatAdapter
    crypto: WeChatCrypto  # the "shop" account's, as WeChat holds it

    async def post(
        self,
        xml: str | bytes,
        *,
        account: str = "shop",
        mode: str = "plain",
        token: str | None = None,
        query: dict[str, str] | None = None,
    ) -> ClientResponse:
        """POST like WeChat: signed query string; `mode` plain, safe or compatible."""
        token = token or (LITE_TOKEN if account == "lite" else TOKEN)
        q = query if query is not None else signed_query(token)
        body: str | bytes = xml
        if mode in ("safe", "compatible"):
            assert isinstance(xml, str)
            body, q = safe_envelope(self.crypto, xml, q, compatible=mode == "compatible")
        return await self.client.post(
            f"/wechat/{account}", params=q, data=body, headers={"Content-Type": "text/xml"}
        )

    async def deliver(self, xml: str, **kw: Any) -> WireReply:
        resp = await self.post(xml, **kw)
        assert resp.status == 200, await resp.text()
        return read_reply(await resp.text(), self.crypto)

    async def say(self, text: str, *, openid: str = USER, **kw: Any) -> WireReply:
        """The user types `text`; our passive answer."""
        return await self.deliver(fixture("text", content=text, openid=openid), **kw)

    async def settle(self) -> None:
        """Wait for work still running after an answer (late replies, notifications)."""
        await self.adapter.idle()
        await self.runtime.outbox.drain()
        await self.adapter.idle()

    def sent_texts(self, openid: str = USER) -> list[str]:
        return [
            c.body["text"]["content"]
            for c in self.fake.calls_to("/cgi-bin/message/custom/send")
            if c.body["touser"] == openid and c.body["msgtype"] == "text"
        ]


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeWeChatApi]:
    fake = FakeWeChatApi(
        apps={APP_ID: SECRET, LITE_APP_ID: LITE_SECRET},
        mch_id=MCH_ID,
        pay_app_id=APP_ID,
        pay_key=PAY_KEY,
    )
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(fake_api: FakeWeChatApi, tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    runtimes: list[Runtime] = []
    clients: list[TestClient] = []

    async def start(*, clock: Clock = utcnow, **wechat: Any) -> Harness:
        settings = make_settings(fake_api, tmp_path, **wechat)
        runtime = await build_runtime(settings, clock=clock, create_schema=True)
        runtimes.append(runtime)  # closed whatever happens next: the ORM is process-global
        await seed_demo(runtime.services)
        app = await build_app(runtime, simulator=False)
        client = TestClient(TestServer(app))
        clients.append(client)
        await client.start_server()
        return Harness(fake_api, client, runtime, app[WECHAT], WeChatCrypto(TOKEN, AES_KEY, APP_ID))

    try:
        yield start
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()
        for runtime in runtimes:
            await runtime.close()


@pytest.fixture
async def wx(make_harness: HarnessFactory) -> Harness:
    """Both accounts, WeChat Pay configured, the usual 4-second reply deadline."""
    return await make_harness()
