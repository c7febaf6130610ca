"""The job queue that wakes a sender when a broadcast is ready: taskiq's in-memory broker in
the embedded default, taskiq-redis's list queue with Redis (the task reaches one worker
process). The database stays the truth: a lost wake-up only waits for the next poll."""

from __future__ import annotations

import asyncio

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.kicker import AsyncKicker
from taskiq.receiver import Receiver
from taskiq_redis import ListQueueBroker

from bot.broadcast.worker import BroadcastWorker

WAKE_TASK = "microstore.broadcast.ready"
QUEUE_NAME = "microstore:broadcast:queue"


class BroadcastQueue:
    def __init__(self, redis_url: str | None) -> None:
        self.broker: AsyncBroker = (
            ListQueueBroker(redis_url, queue_name=QUEUE_NAME) if redis_url else InMemoryBroker()
        )
        self.distributed = redis_url is not None

    def serve(self, worker: BroadcastWorker) -> None:
        """This process sends: a ready broadcast wakes its worker."""

        async def ready(broadcast_id: int) -> None:
            worker.wake()

        self.broker.register_task(ready, task_name=WAKE_TASK)

    async def kick(self, broadcast_id: int) -> None:
        await AsyncKicker(WAKE_TASK, self.broker, {}).kiq(broadcast_id)

    async def listen(self, stop: asyncio.Event) -> None:
        """Worker processes: take wake-ups off the Redis queue until `stop`."""
        self.broker.is_worker_process = True
        await Receiver(self.broker, run_startup=False).listen(stop)

    async def startup(self) -> None:
        await self.broker.startup()

    async def close(self) -> None:
        await self.broker.shutdown()
