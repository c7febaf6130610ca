"""`microstore chat`: a terminal conversation. Piped, `@name text` speaks as another user."""

from __future__ import annotations

import asyncio
import itertools
import sys
from typing import TextIO

from bot.runtime import Runtime
from bot.simulator.inbox import PLATFORM, Inbox
from handlers.types import Incoming, Reply

_ids = itertools.count(1)


def format_reply(reply: Reply) -> str:
    lines = [reply.text]
    if reply.image:
        lines.append(f"[image: {reply.image}]")
    for row in reply.buttons:
        lines.append("  " + "  ".join(f"[{b.label} → {b.payload}]" for b in row))
    return "\n".join(lines)


def parse_line(line: str, current: str) -> tuple[str, str]:
    """`@bob /cart` -> ("bob", "/cart"); anything else is said by the current user."""
    if line.startswith("@") and " " in line:
        name, _, text = line[1:].partition(" ")
        return name, text
    return current, line


async def send(runtime: Runtime, user: str, text: str) -> list[Reply]:
    msg = Incoming(
        platform=PLATFORM,
        user_id=user,
        chat_id=user,
        text=text,
        message_id=f"term-{next(_ids)}",
        display_name=user,
    )
    return await runtime.engine.handle(msg)


async def run_terminal(
    runtime: Runtime,
    inbox: Inbox,
    user: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    interactive = stdin.isatty()
    if interactive:
        stdout.write(
            f"microstore chat — you are {user}. Ctrl-D quits; @name text speaks as name.\n"
        )
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            stdout.write(f"{user}> ")
            stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        speaker, text = parse_line(line, user)
        if not interactive:
            stdout.write(f"\n[{speaker}] > {text}\n")
        for reply in await send(runtime, speaker, text):
            stdout.write(format_reply(reply) + "\n")
        await runtime.outbox.drain()
        for to, reply in inbox.take_all():
            stdout.write(f"  ✉ [to {to}] " + format_reply(reply).replace("\n", "\n    ") + "\n")
        stdout.flush()
