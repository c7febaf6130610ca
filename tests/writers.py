"""Which source files write rows of given models: the tests that hold every write of a
copied table to the services that announce it (tests/test_identity_cache.py,
tests/test_listings.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITES = {"create", "update", "delete", "save", "bulk_create", "bulk_update", "get_or_create"}


def _writes(tree: ast.AST, models: set[str], generic: set[str]) -> bool:
    """A call like Model.create(...) or Model.filter(...).update(...); `generic`: attributes
    whose calls stand for any model (ref.of(...).update())."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in WRITES:
            continue
        names = {n.id for n in ast.walk(node.func.value) if isinstance(n, ast.Name)}
        attrs = {n.attr for n in ast.walk(node.func.value) if isinstance(n, ast.Attribute)}
        if names & models or attrs & generic:
            return True
    return False


def files_writing(models: set[str], generic: frozenset[str] = frozenset()) -> set[str]:
    """The project's own modules (not migrations) that write the models, relative to ROOT."""
    return {
        str(path.relative_to(ROOT))
        for folder in ("store", "handlers", "bot", "referral")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
        and _writes(ast.parse(path.read_text()), models, set(generic))
    }
