"""``loyalscope monitor``: the JSON of the issue, exit codes 0 / 3 / 4 / 2, delivery from the
command line; ``loyalscope simulate --change`` records the injected change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from receivers import webhook_server

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("company")
    res = runner.invoke(app, ["simulate", "--customers", "2000", "--days", "730", "--seed", "4",
                              "--acquisition-share", "1", "--change",
                              "order_drop:2025-06:0.5:region=east", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "loyalscope.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_simulate_records_the_change(data: Path) -> None:
    truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
    (change,) = truth["changes"]
    assert change["kind"] == "order_drop" and change["where"] == {"region": "east"}
    assert change["start"] == "2025-06-01" and change["end"] == "2025-07-01"
    assert 0 < change["orders_removed"] < change["orders_in_scope"]


def test_json_and_exit_code(data: Path) -> None:
    res = runner.invoke(app, ["monitor", str(data), "--json"])
    assert res.exit_code in (0, 3), res.output
    doc = json.loads(res.stdout)
    assert doc["period"] == "2025-11"
    assert isinstance(doc["checked"], int) and doc["checked"] > 20
    for a in doc["alerts"]:
        assert {"metric", "period", "value", "expected", "low", "high", "severity",
                "drivers"} <= set(a)
        assert a["severity"] in ("high", "medium", "low")
    high = any(a["severity"] == "high" for a in doc["alerts"])
    assert res.exit_code == (3 if high else 0)


def test_at_an_earlier_period(data: Path) -> None:
    res = runner.invoke(app, ["monitor", str(data), "--at", "2025-06", "--json"])
    assert res.exit_code in (0, 3), res.output
    doc = json.loads(res.stdout)
    assert doc["period"] == "2025-06"
    assert {a["period"] for a in doc["alerts"]} <= {"2025-05", "2025-06"}  # lag 1 at most


def test_a_high_alert_exits_3_and_no_check_exits_0(data: Path, tmp_path: Path) -> None:
    cfg = _config(tmp_path, "[monitor]\ninclude = ['repeat_purchase_rate']\n"
                            "[monitor.metrics.repeat_purchase_rate]\nmin = 0.99\n")
    res = runner.invoke(app, ["monitor", str(data), "--config", str(cfg)])
    assert res.exit_code == 3, res.output
    assert "threshold" in res.stdout or "最低" in res.stdout or "下限" in res.stdout
    cfg = _config(tmp_path, "[monitor]\ninclude = ['repeat_purchase_rate']\nmin_n = 1000000\n"
                            "[monitor.metrics.repeat_purchase_rate]\nmin = 0.99\n")
    res = runner.invoke(app, ["monitor", str(data), "--config", str(cfg), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["alerts"] == []


def test_failed_delivery_exits_4_and_says_so(data: Path, tmp_path: Path) -> None:
    hooks = webhook_server()
    try:
        cfg = _config(tmp_path, f"""
[monitor]
include = ['repeat_purchase_rate']
[monitor.metrics.repeat_purchase_rate]
min = 0.99
[monitor.notify]
retries = 1
backoff = 0.01
[[monitor.notify.webhooks]]
kind = "json"
url = "{hooks.base}/json"
[[monitor.notify.webhooks]]
kind = "slack"
url = "{hooks.base}/fail"
name = "ops-slack"
""")
        res = runner.invoke(app, ["monitor", str(data), "--config", str(cfg), "--notify",
                                  "--json"])
        assert res.exit_code == 4, res.output
        doc = json.loads(res.stdout)
        assert [(d["channel"], d["ok"]) for d in doc["delivery"]] == [("json", True),
                                                                     ("slack", False)]
        assert "ops-slack" in res.stderr and "HTTP 500" in res.stderr
        assert len(hooks.on("/json")) == 1 and len(hooks.on("/fail")) == 2
        assert hooks.on("/json")[0].json()["result"]["alerts"] == doc["alerts"]
    finally:
        hooks.server.shutdown()


def test_notify_without_channels_is_a_config_error(data: Path) -> None:
    res = runner.invoke(app, ["monitor", str(data), "--notify", "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"] == "ConfigError"


@pytest.mark.parametrize("args", [["--at", "2030-01"], ["--period", "fortnight"]])
def test_bad_arguments_exit_2_with_a_fix(data: Path, args: list[str]) -> None:
    res = runner.invoke(app, ["monitor", str(data), *args, "--json"])
    assert res.exit_code == 2, res.output
    assert json.loads(res.stdout)["fix"]


def test_webhook_url_must_be_http(data: Path, tmp_path: Path) -> None:
    cfg = _config(tmp_path, "[[monitor.notify.webhooks]]\nkind = 'json'\n"
                            "url = 'file:///etc/passwd'\n")
    res = runner.invoke(app, ["monitor", str(data), "--config", str(cfg), "--notify", "--json"])
    assert res.exit_code == 2
    assert "monitor.notify.webhooks" in json.loads(res.stdout)["column"]
