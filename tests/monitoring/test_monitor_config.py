"""``[monitor]`` in loyalscope.toml: values are validated with a clear error, and delivery
settings (webhook URLs carry tokens) never reach analysis.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.errors import ConfigError

GOOD = """
locale = "zh"
[monitor]
period = "week"
min_n = 50
segments = ["region"]
[monitor.metrics.repeat_purchase_rate]
min = 0.15
target = 0.3
direction = "down"
[monitor.metrics.return_rate]
lag = 2
[monitor.notify]
lang = "en"
min_severity = "medium"
[[monitor.notify.webhooks]]
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=SECRET-TOKEN"
secret_env = "DINGTALK_SECRET"
[monitor.notify.email]
host = "smtp.example.com"
from = "loyalscope@example.com"
to = ["crm@example.com"]
"""


def _load(tmp_path: Path, text: str) -> AnalysisConfig:
    path = tmp_path / "loyalscope.toml"
    path.write_text(text, encoding="utf-8")
    return AnalysisConfig.load(path)


def test_a_full_monitor_section_reads(tmp_path: Path) -> None:
    cfg = _load(tmp_path, GOOD).monitor
    assert (cfg.period, cfg.min_n, cfg.segments) == ("week", 50, ["region"])
    m = cfg.metric("repeat_purchase_rate")
    assert (m.min, m.target, m.direction) == (0.15, 0.3, "down")
    assert cfg.metric("orders").min is None  # defaults for the others
    assert cfg.notify.webhooks[0].kind == "dingtalk"
    assert cfg.notify.email is not None and cfg.notify.email.port == 587
    assert cfg.notify.email.security == "starttls"


def test_delivery_settings_are_not_written_out(tmp_path: Path) -> None:
    dumped = str(_load(tmp_path, GOOD).model_dump(mode="json"))
    assert "SECRET-TOKEN" not in dumped and "smtp.example.com" not in dumped
    assert "'min': 0.15" in dumped  # the rest of [monitor] is


@pytest.mark.parametrize(("text", "where"), [
    ("[monitor]\nhigh_p = 0.01\nmedium_p = 0.001\n", "monitor"),
    ("[monitor]\nlevel = 1.5\n", "monitor.level"),
    ("[monitor]\nmin_history = 1\n", "monitor.min_history"),
    ("[monitor.metrics.orders]\nmin = 10\nmax = 5\n", "monitor.metrics.orders"),
    ("[monitor.metrics.orders]\ndirection = 'sideways'\n", "monitor.metrics.orders.direction"),
    ("[[monitor.notify.webhooks]]\nkind = 'teams'\nurl = 'https://x.example'\n",
     "monitor.notify.webhooks.0.kind"),
    ("[[monitor.notify.webhooks]]\nkind = 'json'\nurl = 'ftp://x.example/hook'\n",
     "monitor.notify.webhooks.0.url"),
    ("[[monitor.notify.webhooks]]\nkind = 'json'\nurl = 'https://user:pw@x.example/hook'\n",
     "monitor.notify.webhooks.0.url"),
    ("[monitor.notify]\ntimeout = 0\n", "monitor.notify.timeout"),
    ("[monitor.notify.email]\nhost = 'h'\nfrom = 'a@b.c'\nto = ['x@y.z\\r\\nBcc: evil@z']\n",
     "monitor.notify.email.to"),
    ("[monitor.notify.email]\nhost = 'h'\nfrom = 'a@b.c'\nto = []\n", "monitor.notify.email.to"),
    ("[monitor]\nunknown = 1\n", "monitor.unknown"),
])
def test_bad_values_name_the_setting(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert err.value.column == where
    assert where in err.value.fix


def test_score_ranges_end_at_100() -> None:
    # satisfaction score and the seed indices are mean / scale top x 100: their expected range
    # was 7 - 117 on a month of 51 answers
    from loyalscope.monitoring import catalogue

    for metric in ("satisfaction_score", "recommend_index_seed", "loyalty_index_seed"):
        assert catalogue.bounds(metric) == (0.0, 100.0)
    assert catalogue.bounds("purchase_amount") == (0.0, None)
