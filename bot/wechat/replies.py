"""Passive replies (the XML answered to WeChat's POST), built with wechatpy."""

from __future__ import annotations

import time

from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import ArticlesReply, TextReply

from bot.wechat.render import NewsPart, Part, TextPart
from bot.wechat.xmlsafe import cdata

SUCCESS = "success"  # "received, nothing to say now" in every mode


def passive_xml(part: Part, *, openid: str, account_id: str) -> str:
    """Plain XML for one part; `account_id` is the ToUserName WeChat sent (gh_...)."""
    now = int(time.time())
    if isinstance(part, TextPart):
        return TextReply(
            source=account_id, target=openid, time=now, content=cdata(part.text)
        ).render()
    assert isinstance(part, NewsPart)
    article = {
        "title": cdata(part.title),
        "description": cdata(part.description),
        "image": cdata(part.picurl),
        "url": cdata(part.url),
    }
    return ArticlesReply(source=account_id, target=openid, time=now, articles=[article]).render()


def seal(xml: str, crypto: WeChatCrypto | None, nonce: str, timestamp: str) -> str:
    """Encrypt for safe/compatible mode; `success` is accepted unencrypted."""
    if crypto is None or xml == SUCCESS:
        return xml
    return crypto.encrypt_message(xml, nonce, timestamp)
