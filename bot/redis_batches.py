"""Redis commands from many updates at once, sent together on one connection of the client's
pool, kept for them: those asked within one turn of the event loop, and those asked while a
batch is out (they would wait for it anyway), all go in the next batch, one write and one
read. Every update asks Redis once or more (its de-dup, WeChat's conversation state and the
answer it leaves remembered), and redis-py's own way, a connection taken from the pool and
given back for each command or pipeline, cost more CPU than the commands (bench/dedup.py:
121-123 µs a check with one in flight, against 87-96 this way).

Redis runs the commands one by one, in the order they were asked."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ResponseError

Command = tuple[Any, ...]  # e.g. ("SET", key, value, "EX", 60)

_BATCHES: weakref.WeakKeyDictionary[Redis, RedisBatches] = weakref.WeakKeyDictionary()


def batches_of(redis: Redis) -> RedisBatches:
    """The one sender for this client: every port on it shares the batches."""
    found = _BATCHES.get(redis)
    if found is None:
        found = _BATCHES[redis] = RedisBatches(redis)
    return found


class RedisBatches:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._asked: list[tuple[list[Command], asyncio.Future[list[Any]]]] = []
        self._sender: asyncio.Task[None] | None = None  # sends batches while there are any
        self._connection: AbstractConnection | None = None  # closed with the client's pool

    async def run(self, *command: Any) -> Any:
        """One command's reply; an error reply raises ResponseError."""
        (reply,) = await self.run_many([command])
        return reply

    async def run_many(self, commands: list[Command]) -> list[Any]:
        """Several commands' replies, in order, in one batch; an error reply raises."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[Any]] = loop.create_future()
        self._asked.append((commands, answer))
        if self._sender is None:  # after this turn, so that its other commands go along
            self._sender = loop.create_task(self._send_asked())
        replies = await answer
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    async def _send_asked(self) -> None:
        try:
            await asyncio.sleep(0)  # and the next turn's: the batch leaves two turns on
            while self._asked:
                batch, self._asked = self._asked, []
                await self._send(batch)
        except asyncio.CancelledError:  # the loop is closing: nobody waits for an answer
            waiting, self._asked = self._asked, []
            for _, answer in waiting:
                answer.cancel()
            raise
        finally:
            self._sender = None

    async def _send(self, batch: list[tuple[list[Command], asyncio.Future[list[Any]]]]) -> None:
        try:
            replies = await self._exchange([c for commands, _ in batch for c in commands])
        except asyncio.CancelledError:
            for _, answer in batch:
                answer.cancel()
            raise
        except Exception as e:  # each asker gets it, as from its own command
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(e)
            return
        start = 0
        for commands, answer in batch:
            end = start + len(commands)
            if not answer.done():  # its asker may have been cancelled meanwhile
                answer.set_result(replies[start:end])
            start = end

    async def _exchange(self, commands: list[Command]) -> list[Any]:
        pool = self.redis.connection_pool
        if self._connection is None:
            self._connection = await pool.get_connection()
        else:  # as the pool checks what it hands out: one that Redis closed is opened again
            await pool.ensure_connection(self._connection)
        conn = self._connection
        try:
            await conn.send_packed_command(conn.pack_commands(commands))
            return [await _reply(conn) for _ in commands]
        except BaseException:
            await conn.disconnect()  # what was sent or half read is unknown: start afresh
            raise


async def _reply(conn: AbstractConnection) -> Any:
    """One reply; an error reply is returned (its command's asker raises it), and the
    replies after it are still read."""
    try:
        return await conn.read_response()
    except ResponseError as e:
        return e
