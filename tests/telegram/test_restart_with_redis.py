"""With Redis configured, a restart mid-checkout loses nothing and repeats stay dropped;
Redis gone mid-run is a clear refusal, not silence (and a payment's update goes on).

Runs a throwaway redis-server on a free port; skipped where redis-server is not installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import ConfigError
from bot.runtime import build_runtime
from store.models import CartItem, Order, OrderStatus, Payment
from store.money import to_minor
from tests.servers import throwaway_redis

from . import updates as u
from .conftest import Harness, make_settings, start_harness
from .fake_bot_api import FakeBotAPI
from .flows import checkout_to_invoice

ALICE, BOB = 111, 222


@pytest.fixture
async def redis_url(tmp_path: Path) -> AsyncIterator[str]:
    async with throwaway_redis(tmp_path) as url:
        yield url


async def _stop(tg: Harness) -> None:
    await tg.client.close()
    await tg.runtime.close()


async def test_restart_mid_checkout_loses_nothing(
    fake_bot_api: FakeBotAPI, tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(fake_bot_api, tmp_path, redis={"url": redis_url})
    first, _ = await start_harness(fake_bot_api, settings)
    try:
        await first.send(u.message(ALICE, "/catalog"))
        catalog = first.last_to(ALICE)
        product = next(
            b for b in first.buttons(catalog) if b["callback_data"].startswith("/product ")
        )
        await first.send(u.message(ALICE, product["callback_data"]))
        await first.press(ALICE, first.last_to(ALICE), "Add to cart")
        await first.press(ALICE, first.last_to(ALICE), "Check out")
        await first.send(u.message(ALICE, "Alice Zhang"))
        phone = u.message(ALICE, "13800138000")
        await first.send(phone)
    finally:
        await _stop(first)

    second, _ = await start_harness(fake_bot_api, settings)  # same database, same Redis
    try:
        sent_before = len(second.to_chat(ALICE))
        await second.send(phone)  # Telegram re-delivers an update from before the restart
        assert len(second.to_chat(ALICE)) == sent_before  # still processed once
        await second.send(u.message(ALICE, "1 Tea Street, Hangzhou"))
        await second.press(ALICE, second.last_to(ALICE), "Confirm")
        [invoice] = fake_bot_api.sent("sendInvoice")
        order = await second.runtime.services.orders.get(invoice["payload"])
        assert order.contact_name == "Alice Zhang" and order.phone == "13800138000"
    finally:
        await _stop(second)


async def test_several_processes_set_the_webhook_once(
    fake_bot_api: FakeBotAPI, tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(fake_bot_api, tmp_path, redis={"url": redis_url})
    first, _ = await start_harness(fake_bot_api, settings)
    second, _ = await start_harness(fake_bot_api, settings)  # e.g. serve --workers 2
    try:
        assert len(fake_bot_api.sent("setWebhook")) == 1
        assert len(fake_bot_api.sent("setMyCommands")) == 2  # English and Chinese, once
        # both serve the webhook; the one Redis drops a repeat whichever process gets it
        update = u.message(ALICE, "/catalog")
        await first.send(update)
        await second.send(update)
        assert len(first.to_chat(ALICE)) == 1
    finally:
        await _stop(first)
        await _stop(second)


async def test_polling_is_refused_with_several_workers(
    fake_bot_api: FakeBotAPI, tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(
        fake_bot_api, tmp_path, redis={"url": redis_url}, mode="polling", webhook_secret=None
    )
    settings = settings.model_copy(
        update={"server": settings.server.model_copy(update={"workers": 2})}
    )
    runtime = await build_runtime(settings, create_schema=True)
    try:
        with pytest.raises(ConfigError, match=r"telegram\.mode"):
            await build_app(runtime, simulator=False)
    finally:
        await runtime.close()


async def test_redis_gone_mid_run_is_a_clear_refusal_not_silence(
    fake_bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    async with throwaway_redis(tmp_path) as url:
        settings = make_settings(fake_bot_api, tmp_path, redis={"url": url})
        tg, _ = await start_harness(fake_bot_api, settings)
        invoice = await checkout_to_invoice(tg, BOB)
        await tg.send(u.message(ALICE, "/catalog"))
        catalog = tg.last_to(ALICE)
    try:  # Redis has stopped: nobody can say whether an update is a repeat
        await tg.send(u.message(ALICE, "/cart"))
        refused = tg.last_to(ALICE).params["text"]
        assert "can't reach" in refused and "nothing was changed" in refused
        await tg.send(u.message(ALICE, "/cart", language_code="zh-hans"))
        assert tg.last_to(ALICE).params["text"] != refused  # in the person's language
        await tg.send(u.message(-100, "chatter", chat_id=-100777))  # a group: no reply to it
        assert not tg.to_chat(-100777)
        await tg.press(ALICE, catalog, "Next ›")
        (alert,) = fake_bot_api.sent("answerCallbackQuery")[-1:]
        assert alert["show_alert"] and "can't reach" in alert["text"]
        assert await CartItem.all().count() == 0  # nothing was done
        # A payment can't be sent again by anyone, and needs no de-dup: it goes on.
        no = invoice["payload"]
        order = await Order.get(order_no=no)
        amount = to_minor(order.total, order.currency)
        await tg.send(u.pre_checkout(BOB, no, amount))
        (answer,) = fake_bot_api.sent("answerPreCheckoutQuery")
        assert answer["ok"] is True
        paid = u.successful_payment(BOB, no, amount, charge_id="c-no-redis")
        await tg.send(paid)
        await tg.send(paid)  # delivered again: still paid once
        await order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert await Payment.filter(order_id=order.id).count() == 1
    finally:
        await _stop(tg)
