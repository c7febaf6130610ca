"""End to end through the real `microstore` command, piped, as a newcomer would run it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.config import load_settings
from tests.servers import clean_env, microstore

SCRIPT = """\
# a customer browses, searches, adds to cart and checks out
/catalog
/search 龙井
/product 1
/add 1 2
/cart
/checkout
Zhang San
13800138000
1 Wensan Road, Hangzhou
/checkout confirm
/orders
# the merchant confirms the payment and ships
@merchant /sales pending
@merchant /paid {no}
@alice /order {no}
@merchant /ship {no} SF SF1234567
@alice /order {no}
@alice /received {no}
"""


def run(
    args: list[str], cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*microstore(), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(**env),
    )


def test_piped_conversation_between_customer_and_merchant(tmp_path: Path) -> None:
    first = run(
        ["chat", "--demo"], tmp_path, SCRIPT.split("@merchant")[0], MICROSTORE_SHOP__LOCALE="en"
    )
    assert first.returncode == 0, first.stderr
    found = re.search(r"Order ([2-9A-Z]{8}) placed", first.stdout)
    assert found, first.stdout
    no = found.group(1)
    assert "Longjing" in first.stdout and "Your cart" in first.stdout
    assert f"[to merchant] New order {no}" in first.stdout

    rest = "@merchant" + SCRIPT.split("@merchant", 1)[1]
    second = run(["chat"], tmp_path, rest.format(no=no), MICROSTORE_SHOP__LOCALE="en")
    out = second.stdout
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in out + second.stderr
    assert out.index(f"Order {no} — paid") < out.index(f"Order {no} — shipped")
    assert f"[to alice] Payment for order {no} received" in out
    assert "SF1234567" in out
    assert f"Order {no} is completed" in out


def test_demo_seed_is_idempotent_and_chinese_by_default(tmp_path: Path) -> None:
    for _ in range(2):
        result = run(["chat", "--demo"], tmp_path, "/catalog 4\n/groupbuys\n/faq\n/fullreduce\n")
        assert result.returncode == 0, result.stderr
    out = result.stdout
    # seeded twice, still 9 products: page 4 does not exist and falls back to the last, 2
    assert "#9 " in out and "#18" not in out
    assert "Details: /product" not in out  # the default locale is Chinese
    # and one showcase: a group-buy offer, two frequent questions, one 满减 rule
    assert "/gbopen 1" in out and "/gbopen 2" not in out
    assert "/faq 2" in out and "/faq 3" not in out
    assert "满 ¥300.00 减 ¥30.00" in out and "#2" not in out.split("满减")[-1]


def test_init_writes_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert "[database]" in text and "MICROSTORE_" in text
    again = run(["init"], tmp_path)
    assert again.returncode == 1 and "--force" in again.stderr


def test_bad_config_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[server]\nport = "eighty"\n', encoding="utf-8")
    result = run(["migrate"], tmp_path)
    assert result.returncode == 2
    assert "server.port" in result.stderr and "Traceback" not in result.stderr
    env_bad = run(["migrate", "-c", "/nonexistent.toml"], tmp_path)
    assert env_bad.returncode == 2 and "not found" in env_bad.stderr


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, MICROSTORE_DATABASE__URL="mysql://nope")
    assert result.returncode == 2 and "database.url" in result.stderr


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, MICROSTORE_DATABASE__URL="sqlite://shop.db")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shop.db").stat().st_size > 0
    assert run(["migrate"], tmp_path, MICROSTORE_DATABASE__URL="sqlite://shop.db").returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--help"], "Chat-commerce for micro-merchants"),
        (["serve", "--help"], "the simulator at /sim while no"),
        (["chat", "--help"], "chat in the terminal"),
    ],
)
def test_help_says_what_each_command_does(args: list[str], says: str, tmp_path: Path) -> None:
    result = run(args, tmp_path)
    assert result.returncode == 0 and "usage: microstore" in result.stdout
    assert says in result.stdout


def test_sweep_runs_every_deadline_sweep_once(tmp_path: Path) -> None:
    result = run(["sweep"], tmp_path)
    assert result.returncode == 0, result.stderr
    for line in (
        "unpaid orders cancelled: 0",
        "group buys failed: 0",
        "refunds finished: 0",
        "orders' commission released: 0",
    ):
        assert line in result.stdout


PROMOTIONS_SCRIPT = """\
@merchant /coupon new SAVE10 10 min=100
@merchant /fullreduce 200 30
@merchant /pointsrule earn=1 value=100 cap=20
/add 1 2
/coupon SAVE10
/coupon NOPE
/checkout
Zhang San
13800138000
1 Wensan Road, Hangzhou
/checkout confirm
@merchant /coupons
"""


def test_piped_promotions_points_reviews_and_support(tmp_path: Path) -> None:
    """Issue 9 through the real CLI: a coupon and 满减 priced into the order, points earned on
    completion, a review, a question answered by the shop."""
    first = run(["chat", "--demo"], tmp_path, PROMOTIONS_SCRIPT, MICROSTORE_SHOP__LOCALE="en")
    out = first.stdout
    assert first.returncode == 0 and "Traceback" not in out + first.stderr, first.stderr
    found = re.search(r"Order ([2-9A-Z]{8}) placed", out)
    assert found, out
    no = found.group(1)
    assert "There is no coupon “NOPE” here" in out  # refused; SAVE10 stays chosen
    placed = out[out.index(f"Order {no} placed") :]
    assert "• Spend CN¥200.00, save CN¥30.00  −CN¥30.00" in placed
    assert "• Coupon SAVE10  −CN¥10.00" in placed
    assert "Total: CN¥216.00" in placed  # 256 − 30 − 10
    assert "used 1 of ∞" in placed  # the merchant's /coupons after the order

    rest = f"""\
@merchant /paid {no}
@merchant /ship {no} SF SF1234567
/received {no}
/points
/review {no} 5 Lovely tea
/reviews 1
/ask Do you ship to Beijing?
@merchant /reply T1 Yes, in 2 days.
"""
    second = run(["chat"], tmp_path, rest, MICROSTORE_SHOP__LOCALE="en")
    out = second.stdout
    assert second.returncode == 0 and "Traceback" not in out + second.stderr, second.stderr
    assert "Your points at 微店小铺 Demo Shop: 216" in out  # 1 per ¥1 of the 216 paid
    assert f"+216 · points earned · {no}" in out
    assert "★ 5.0 (1)" in out and "Lovely tea" in out
    asked = out[out.index("[to merchant] New question from alice (ticket T1)") :]
    assert asked.index("Do you ship to Beijing?") < asked.index("[to alice]")
    assert "Yes, in 2 days." in asked[asked.index("[to alice]") :]


def test_public_url_follows_host_and_port_unless_set() -> None:
    assert load_settings().server.public_url == "http://127.0.0.1:8080"
    assert load_settings(server={"port": 9000}).server.public_url == "http://127.0.0.1:9000"
    wildcard = load_settings(server={"host": "0.0.0.0", "port": 9001}).server
    assert wildcard.public_url == "http://127.0.0.1:9001"  # a link one can open
    derived = load_settings().server.overridden(port=9002)  # serve --port 9002
    assert load_settings(server=derived).server.public_url == "http://127.0.0.1:9002"
    chosen = load_settings(server={"public_url": "https://shop.example.com"}).server
    assert load_settings(server=chosen.overridden(port=9003)).server.public_url == (
        "https://shop.example.com"
    )
