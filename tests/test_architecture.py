"""The dependency rule of ../shared/ARCHITECTURE.md, checked by walking the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_SDKS = {"aiogram", "wechatpy", "aiohttp"}
FORBIDDEN = {
    "store": {"handlers", "bot", "referral", *PLATFORM_SDKS, "redis", "jinja2"},
    "referral": {"handlers", "bot", *PLATFORM_SDKS},
    "handlers": {"bot", *PLATFORM_SDKS, "redis"},
}


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module in imported_modules(path)}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependency_rule(package: str) -> None:
    broken = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in broken.items() if v} == {}


def test_money_is_never_a_float() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("store", "handlers", "referral")
        for path in (ROOT / package).rglob("*.py")
        if "float(" in path.read_text(encoding="utf-8")
        or "FloatField" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_transactions_are_opened_through_store_db() -> None:
    """`store.db.transaction()` keeps what a transaction read only once it commits; a copy
    read in a transaction opened around it would never be kept (store/copies.py)."""
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("store", "handlers", "referral", "bot")
        for path in (ROOT / package).rglob("*.py")
        if path != ROOT / "store" / "db.py" and "tortoise.transactions" in imported_modules(path)
    ]
    assert offenders == []
