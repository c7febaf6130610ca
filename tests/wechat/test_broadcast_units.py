"""The small rules of WeChat broadcasts: template fields, report statuses, configuration."""

from __future__ import annotations

import pytest

from bot.broadcast.wechat import template_data
from bot.config import BroadcastTemplate, ConfigError, load_settings
from bot.wechat.webhook import template_outcome
from store.community.models import DeliveryStatus


def test_template_fields_take_title_rest_and_text() -> None:
    template = BroadcastTemplate(
        id="T", fields={"first": "{title}", "keyword1": "{rest}", "remark": "全文：{text}"}
    )
    data = template_data(template, "  新品上架\n绿茶 58 元\n红茶 68 元 ")
    assert data == {
        "first": "新品上架",
        "keyword1": "绿茶 58 元\n红茶 68 元",
        "remark": "全文：新品上架\n绿茶 58 元\n红茶 68 元",
    }
    one_line = template_data(template, "x" * 500)
    assert one_line["keyword1"] == "" and len(one_line["first"]) == 200


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("success", None),
        ("failed:user block", DeliveryStatus.BLOCKED),
        ("failed: user block", DeliveryStatus.BLOCKED),
        ("failed: system failed", DeliveryStatus.FAILED),
    ],
)
def test_template_report_statuses(status: str, outcome: DeliveryStatus | None) -> None:
    assert template_outcome(status) == outcome


@pytest.mark.parametrize("value", ["{name}", "{title.upper}", "{oops", "}"])
def test_a_template_field_with_an_unknown_placeholder_is_refused(value: str) -> None:
    account = {"name": "m", "app_id": "wx1", "secret": "s", "token": "t"}
    account["broadcast_template"] = {"id": "T", "fields": {"first": value}}  # type: ignore[assignment]
    with pytest.raises(ConfigError, match=r"broadcast_template\.fields"):
        load_settings(None, wechat={"accounts": [account]})
