"""Referral's part of merging two people (accounts /link), run inside the merge transaction.

Two agents of one shop become one: everything pointing at the merged agent (bindings,
commissions, ledger entries, withdrawals) moves to the survivor's agent and the balances add
up, so the ledger still sums to them. Two bindings in one shop: the earlier one stays. A
binding of the person to their own agent is dropped (nobody earns on their own purchases).
"""

from __future__ import annotations

from tortoise.expressions import F

from referral.models import Agent, AgentStatus, Binding
from store.accounts.merge import paired_rows
from store.accounts.refs import refs_to

BALANCES = ("pending_minor", "available_minor", "held_minor", "withdrawn_minor")


async def merge_referral(from_id: int, into_id: int) -> None:
    for theirs, mine in await paired_rows(Agent, "shop_id", from_id, into_id):
        for ref in refs_to(Agent):
            await ref.of(theirs.id).update(**{ref.column: mine.id})
        changes: dict[str, object] = {b: F(b) + getattr(theirs, b) for b in BALANCES}
        if theirs.status == AgentStatus.ACTIVE:
            changes["status"] = AgentStatus.ACTIVE
        await Agent.filter(id=mine.id).update(**changes)
        await Agent.filter(id=theirs.id).delete()
    pairs = await paired_rows(Binding, "shop_id", from_id, into_id, person="customer_id")
    for theirs, mine in pairs:
        later = mine if mine.bound_at > theirs.bound_at else theirs
        await Binding.filter(id=later.id).delete()
    own = await Agent.filter(person_id__in=(from_id, into_id)).values_list("id", flat=True)
    await Binding.filter(customer_id__in=(from_id, into_id), agent_id__in=own).delete()
