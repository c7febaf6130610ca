"""Polling mode: aiogram's long-polling loop, each update handed to our `UpdateRouter`,
the webhook's one path, and tried again in process when it must not be lost."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.telegram.redelivery import RetryInProcess
from bot.telegram.router import ALLOWED_UPDATES, UpdateRouter, read_update

log = logging.getLogger(__name__)

RESTART_SECONDS = 5.0


class Polling(Dispatcher):
    def __init__(self, router: UpdateRouter, retry: RetryInProcess) -> None:
        super().__init__(disable_fsm=True)
        self.router = router
        self.retry = retry

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        """What the loop calls for each update; the answer that comes back, it sends."""
        read = read_update(update.model_dump(by_alias=True, exclude_none=True), bot)
        return await self.retry.run(read.update_id, lambda: self.router.feed(read))

    async def poll_forever(self, bot: Bot) -> None:
        """Long polling for the app's lifetime; a crash is logged and polling starts again."""
        while True:
            try:
                await bot.delete_webhook(drop_pending_updates=False)
                await self.start_polling(
                    bot,
                    handle_signals=False,
                    close_bot_session=False,
                    allowed_updates=ALLOWED_UPDATES,
                )
                return  # stopped on purpose
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("telegram polling stopped; restarting in %.0fs", RESTART_SECONDS)
                await asyncio.sleep(RESTART_SECONDS)
