"""Commands: a router per module, English names with Chinese aliases, parsed one way."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.types import Incoming, ParsedCommand, Reply

if TYPE_CHECKING:
    from handlers.context import Context

HandlerResult = Reply | list[Reply]
HandlerFunc = Callable[[Incoming, ParsedCommand, "Context"], Awaitable[HandlerResult]]

MAX_TEXT = 2000  # longer messages are refused before parsing


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    aliases: tuple[str, ...]
    help: str  # msgid
    usage: str  # e.g. "<id> [qty]"
    handler: HandlerFunc
    merchant: bool = False  # owner or staff of the current shop only
    private: bool = False  # the answer holds personal data: goes to the private chat
    hidden: bool = False  # not listed in /help (button-only steps)
    topic: str = ""  # the router's heading in /help
    staff_usage: str = ""  # the forms only the shop's team may use, shown to them in /help


class Router:
    def __init__(self, topic: str = "") -> None:
        self.topic = topic  # msgid of the heading /help lists this router's commands under
        self.commands: list[CommandSpec] = []

    def command(
        self,
        name: str,
        *aliases: str,
        help: str,
        usage: str = "",
        merchant: bool = False,
        private: bool = False,
        hidden: bool = False,
        staff_usage: str = "",
    ) -> Callable[[HandlerFunc], HandlerFunc]:
        def register(func: HandlerFunc) -> HandlerFunc:
            self.commands.append(
                CommandSpec(
                    name,
                    aliases,
                    help,
                    usage,
                    func,
                    merchant,
                    private,
                    hidden,
                    self.topic,
                    staff_usage,
                )
            )
            return func

        return register


class Registry:
    """All commands of all routers; first registration of a word wins."""

    def __init__(self, *routers: Router) -> None:
        self.by_word: dict[str, CommandSpec] = {}
        self.specs: list[CommandSpec] = []
        for router in routers:
            for spec in router.commands:
                self.specs.append(spec)
                for word in (spec.name, *spec.aliases):
                    self.by_word.setdefault(word.casefold(), spec)

    def lookup(self, word: str) -> CommandSpec | None:
        return self.by_word.get(word.casefold())

    def suggest(
        self, word: str, limit: int = 3, *, staff: bool = False, cutoff: float = 0.5
    ) -> list[CommandSpec]:
        """Commands whose names are close to `word`; the shop's own only to its staff."""
        matches = difflib.get_close_matches(word.casefold(), list(self.by_word), n=8, cutoff=cutoff)
        seen: list[CommandSpec] = []
        for m in matches:
            spec = self.by_word[m]
            if spec not in seen and not spec.hidden and (staff or not spec.merchant):
                seen.append(spec)
        return seen[:limit]


@dataclass(frozen=True, slots=True)
class SplitText:
    word: str  # command word without "/" and "@bot"
    mention: str  # the "@bot" part, if any
    rest: str
    slashed: bool


def split_command(text: str) -> SplitText:
    text = text.strip()
    slashed = text.startswith("/")
    body = text[1:] if slashed else text
    head, rest = "", body  # "/ x" names no command
    if body and not body[0].isspace():
        # The word ends at any space, as the arguments are split: a newline, or the
        # full-width space (U+3000) a Chinese keyboard types.
        parts = body.split(maxsplit=1)
        head, rest = parts[0], parts[1] if len(parts) > 1 else ""
    word, _, mention = head.partition("@")
    return SplitText(word=word, mention=mention, rest=rest.strip(), slashed=slashed)


def parse(split: SplitText, spec: CommandSpec) -> ParsedCommand:
    return ParsedCommand(
        name=spec.name, args=split.rest.split(), raw_args=split.rest, alias=split.word
    )
