"""Small request helpers: bounded bodies and WeChat's query-string signature."""

from __future__ import annotations

import hmac
import time

from aiohttp import web
from wechatpy.utils import WeChatSigner

SIGNATURE_MAX_AGE_SECONDS = 300  # a signed URL older than this is a replay


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


def signature_ok(
    token: str,
    query: dict[str, str],
    max_age: float = SIGNATURE_MAX_AGE_SECONDS,
    now: float | None = None,
) -> bool:
    """`signature` over (token, timestamp, nonce) matches and the timestamp is recent."""
    signature = query.get("signature", "")
    timestamp = query.get("timestamp", "")
    nonce = query.get("nonce", "")
    # ASCII digits, as many as a Unix time has: int() refuses "²" and 5,000 digits alike.
    if not (signature and nonce and timestamp.isascii() and timestamp.isdigit()):
        return False
    if len(timestamp) > 12:
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > max_age:
        return False
    return signed(signature, token, timestamp, nonce)


def signed(signature: str, *parts: str) -> bool:
    """`signature` is WeChat's SHA1 over `parts` (sorted, joined), compared in constant time.
    wechatpy's own checks (check_signature, WeChatCrypto.decrypt_message) compare with `!=`,
    so ours run first; its signer makes the digest."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return hmac.compare_digest(signature.encode(), signer.signature.encode())
