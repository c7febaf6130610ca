"""The command engine: one Incoming in, Replies out; typed errors become friendly text."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from handlers.context import ContactHook, Context, GroupAdminCheck, StartHook
from handlers.errors import MESSAGES, error_text
from handlers.i18n import normalise_locale, translate
from handlers.labels import clip
from handlers.router import (
    MAX_TEXT,
    CommandSpec,
    Registry,
    Router,
    SplitText,
    parse,
    split_command,
)
from handlers.state import StateStore
from handlers.types import Incoming, ParsedCommand, Reply
from referral.services import ReferralServices
from store.db import is_connection_failure
from store.errors import InvalidInput, StoreError
from store.models import Identity
from store.services import StoreServices

log = logging.getLogger(__name__)

# A message that can be answered by replying to it ends with the line "⤷ /command arg"
# (a relayed support ticket: "⤷ /reply T12"); a plain-text reply runs that command with the
# reply as its text. Anchored at the end, so text quoted above it cannot choose the command.
REPLY_HINT = re.compile(r"\n⤷ (/[a-z]+ [A-Za-z0-9#]+)\s*\Z")

# Invisible control characters (a NUL, say) mean nothing typed, and PostgreSQL's text can't
# hold a NUL: dropped before anything reads the message. Newlines and tabs stay.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# A multi-step flow's next step: (text, ctx) -> replies.
FlowStep = Callable[[str, Context, dict[str, Any]], Awaitable[Reply | list[Reply]]]
# The answer to private words that name no command: (text, ctx) -> reply.
FreeText = Callable[[str, Context], Awaitable[Reply]]


class Engine:
    def __init__(
        self,
        services: StoreServices,
        state: StateStore,
        routers: list[Router],
        flows: dict[str, FlowStep],
        default_locale: str = "zh_CN",
        start_hooks: dict[str, StartHook] | None = None,
        contact_hooks: list[ContactHook] | None = None,
        referral: ReferralServices | None = None,
        free_text: FreeText | None = None,
    ) -> None:
        self.services = services
        self.state = state
        self.registry = Registry(*routers)
        self.flows = flows
        self.default_locale = default_locale
        self.start_hooks = start_hooks or {}
        self.contact_hooks = contact_hooks or []
        self.referral = referral
        self.free_text = free_text
        # Platforms whose adapter offers a payment for a reply's pay_order_no (an adapter
        # with payments configured adds its own).
        self.pays_in_chat: set[str] = set()
        # Platform -> who administers a group there (an adapter whose groups have admins adds
        # its own): binding a group to a shop takes one of them.
        self.group_admins: dict[str, GroupAdminCheck] = {}

    async def handle(self, msg: Incoming, identity: Identity | None = None) -> list[Reply]:
        """Answer one message. Never raises: a person never sees a traceback. `identity`:
        the sender's, when the adapter has already read it for this message."""
        ctx: Context | None = None
        if CONTROL_CHARS.search(msg.text) or CONTROL_CHARS.search(msg.display_name):
            msg = replace(
                msg,
                text=CONTROL_CHARS.sub("", msg.text),
                display_name=CONTROL_CHARS.sub("", msg.display_name),
            )
        try:
            ctx = await self._context(msg, identity)
            try:
                return await self._dispatch(msg, ctx)
            finally:  # after the command, so `/start shop_x` joins shop x's community
                await self._contact(ctx)
        except StoreError as err:
            locale = ctx.locale if ctx else self.default_locale
            text = error_text(locale, err, ctx.currency if ctx else "CNY")
            return [Reply(text=text, private=bool(ctx and msg.is_group))]
        except Exception as exc:
            locale = ctx.locale if ctx else self.default_locale
            if is_connection_failure(exc):
                log.warning("backing service unreachable for %s: %r", msg.platform, exc)
                return [Reply(text=translate(locale, MESSAGES["unavailable"]))]
            log.exception("handler failed for %s:%s", msg.platform, msg.message_id)
            return [Reply(text=translate(locale, MESSAGES["error"]))]

    async def _context(self, msg: Incoming, identity: Identity | None) -> Context:
        s = self.services
        if identity is None:
            identity = await s.people.identify(
                msg.platform, msg.user_id, msg.display_name, private=not msg.is_group
            )
        person = identity.person
        shop = None
        if msg.is_group:
            shop = await s.shops.shop_for_group(msg.platform, msg.chat_id)
        if shop is None and identity.current_shop_id is not None:  # type: ignore[attr-defined]
            shop = await s.shops.get(identity.current_shop_id)  # type: ignore[attr-defined]
        if shop is None:
            shop = await s.shops.default()
        role = await s.shops.role_of(shop.id, person.id) if shop else None
        locale = normalise_locale(person.locale or (shop.locale if shop else self.default_locale))
        return Context(
            msg=msg,
            identity=identity,
            person=person,
            shop=shop,
            role=role,
            locale=locale,
            services=s,
            state=self.state,
            registry=self.registry,
            start_hooks=self.start_hooks,
            referral=self.referral,
            pays_in_chat=msg.platform in self.pays_in_chat,
            group_admin=self.group_admins.get(msg.platform),
        )

    async def _contact(self, ctx: Context) -> None:
        """Tell the contact hooks (the community) that someone wrote to a shop privately."""
        if ctx.msg.is_group or ctx.shop is None:
            return
        for hook in self.contact_hooks:
            try:
                await hook(ctx)
            except Exception:  # bookkeeping never costs the person their answer
                log.exception("contact hook %s failed", hook)

    async def _dispatch(self, msg: Incoming, ctx: Context) -> list[Reply]:
        if len(msg.text) > MAX_TEXT:
            raise InvalidInput("too_long", high=MAX_TEXT)
        split = split_command(msg.text)
        if msg.start_payload is not None and not split.word:
            split = split_command(f"/start {msg.start_payload}")
        if msg.is_group:
            # In groups: only commands, and only those meant for us.
            if not split.slashed or (
                split.mention and msg.account and split.mention.casefold() != msg.account.casefold()
            ):
                return []
        elif not split.slashed:
            if hint := REPLY_HINT.search(msg.reply_to_text):  # explicit, so before any flow
                split = split_command(f"{hint.group(1)} {msg.text.strip()}")
            else:
                flow = await self.state.get(ctx.state_key)
                if flow and flow.get("flow") in self.flows and not self._leaves(split):
                    return _as_list(await self.flows[flow["flow"]](msg.text.strip(), ctx, flow))
        if not split.word:
            return []
        spec = self.registry.lookup(split.word)
        if not split.slashed and self.free_text is not None:
            # Private words (groups need the "/"): a customer's "发货?" asks about shipping,
            # it is not the shop's /ship.
            if spec is None or (spec.merchant and ctx.role is None):
                return [await self.free_text(msg.text.strip(), ctx)]
        if spec is None:
            return [unknown_command(split.word, ctx)]
        return await self._run(spec, msg, parse(split, spec), ctx)

    async def _run(
        self, spec: CommandSpec, msg: Incoming, cmd: ParsedCommand, ctx: Context
    ) -> list[Reply]:
        if spec.merchant:
            ctx.require_staff()
        replies = _as_list(await spec.handler(msg, cmd, ctx))
        if spec.private and msg.is_group:
            replies = [_private(r) for r in replies]
        return replies

    def _leaves(self, split: SplitText) -> bool:
        """`取消` or `cancel` alone, without its slash, in the middle of a flow's questions:
        the person wants out. It is nobody's name, phone or address, so /cancel runs."""
        spec = self.registry.lookup(split.word)
        return not split.rest and not split.mention and spec is not None and spec.name == "cancel"


def unknown_command(word: str, ctx: Context, *, plain: bool = False) -> Reply:
    """`word` names no command: say so, and suggest the commands whose names are close.
    `plain`: words that were never meant as a command; the ways on are offered with them,
    and Ask the shop asks it these words (/ask alone would only say how to ask)."""
    # Words never meant as a command are offered only a close command: one character in
    # common is a typo's distance in "/退货" but not in "付款" (it is no /refund, 退款).
    suggestions = ctx.registry.suggest(
        word, staff=ctx.role is not None, cutoff=0.6 if plain else 0.5
    )
    buttons = [[ctx.button("Help", "/help")]]
    if plain:
        buttons.insert(
            0,
            [
                ctx.button("Browse products", "/catalog"),
                ctx.button("Ask the shop", f"/ask {word}".strip()),
            ],
        )
    return ctx.reply(
        "chat/unknown.j2",
        word=clip(word, 40),
        plain=plain,
        suggestions=[
            (s.name, s.aliases[0] if s.aliases else "", ctx.t(s.help)) for s in suggestions
        ],
        buttons=buttons,
    )


def _as_list(result: Reply | list[Reply]) -> list[Reply]:
    return result if isinstance(result, list) else [result]


def _private(reply: Reply) -> Reply:
    return replace(reply, private=True)
