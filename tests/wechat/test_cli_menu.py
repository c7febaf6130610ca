"""`microstore wechat menu <account>` pushes the configured menu through the real CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.servers import clean_env, microstore

from .conftest import APP_ID, MENU, SECRET, TOKEN
from .fake_wechat_api import FakeWeChatApi


def config(api_base: str) -> str:
    buttons = ", ".join(
        f'{{ type = "{b["type"]}", name = "{b["name"]}", key = "{b["key"]}" }}'
        for b in MENU
        if "key" in b
    )
    return f"""
[wechat]
api_base = "{api_base}"

[[wechat.accounts]]
name = "main"
app_id = "{APP_ID}"
secret = "{SECRET}"
token = "{TOKEN}"
menu = [{buttons}]
"""


async def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *microstore(),
        *args,
        cwd=tmp_path,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_menu_is_pushed(tmp_path: Path, fake_api: FakeWeChatApi) -> None:
    (tmp_path / "config.toml").write_text(config(fake_api.base_url), encoding="utf-8")
    code, out = await run(tmp_path, "wechat", "menu", "main")
    assert code == 0, out
    [call] = fake_api.calls_to("/cgi-bin/menu/create")
    assert [b["name"] for b in call.body["button"]] == ["商品"]
    assert call.body["button"][0]["key"] == "/catalog"


async def test_unknown_account_is_one_clear_line(tmp_path: Path, fake_api: FakeWeChatApi) -> None:
    (tmp_path / "config.toml").write_text(config(fake_api.base_url), encoding="utf-8")
    code, out = await run(tmp_path, "wechat", "menu", "nope")
    assert code == 2
    assert "no wechat account 'nope'" in out and "Traceback" not in out
    assert fake_api.calls_to("/cgi-bin/menu/create") == []
