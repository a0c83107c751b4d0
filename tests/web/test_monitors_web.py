"""Scheduled monitors in the dashboard: a monitor on a dataset with a cron schedule runs as a
job, its alerts are kept in the app database and shown on the alerts page and in the API, and a
fire time runs once however often the server restarts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webtools import AUTH, settings

from loyalscope.data.simulate import simulate
from loyalscope.i18n import t
from loyalscope.web import create_app
from loyalscope.web.monitor_jobs import last_fire, trigger
from loyalscope.web.monitor_store import MonitorRow, MonitorRunRow

CONFIG = """[monitor]
include = ["repeat_purchase_rate", "orders"]
segments = []
[monitor.metrics.repeat_purchase_rate]
min = 0.99
"""


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    """A small company whose loyalscope.toml sets a threshold no period meets (one alert)."""
    out = tmp_path_factory.mktemp("monitored")
    simulate(customers=600, days=400, seed=2, acquisition_share=1.0).write(out)
    (out / "loyalscope.toml").write_text(CONFIG, encoding="utf-8")
    return out


def _wait(fn, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.25)
    raise TimeoutError


def test_a_scheduled_monitor_runs_and_its_alerts_appear(tmp_path: Path, company: Path) -> None:
    app = create_app(tmp_path / "state", lang="en", settings=settings(company))
    with TestClient(app, headers=AUTH) as c:
        ds = c.post("/api/datasets/path", json={"path": str(company), "name": "shop"})
        assert ds.status_code == 201, ds.text
        res = c.post("/api/monitors", json={"dataset_id": ds.json()["id"],
                                            "cron": "*/2 * * * * *", "name": "every 2 s"})
        assert res.status_code == 201, res.text
        monitor = res.json()
        assert monitor["next_run"] is not None

        def scheduled_done():
            runs = c.get(f"/api/monitors/{monitor['id']}/runs").json()
            return [r for r in runs if not r["manual"] and r["status"] == "done"]

        run = _wait(scheduled_done)[0]
        assert run["period"] and run["alerts"] >= 1 and run["high"] >= 1, run
        assert datetime.fromisoformat(run["scheduled_for"]).second % 2 == 0  # a fire time
        alerts = c.get("/api/alerts", params={"monitor_id": monitor["id"]}).json()
        mine = [a for a in alerts if a["run_id"] == run["id"]]
        (a,) = [a for a in mine if a["metric"] == "repeat_purchase_rate"]
        assert (a["severity"], a["test"], a["period"]) == ("high", "threshold_min", run["period"])
        assert {"value", "expected", "low", "high", "drivers", "change_prev"} <= set(a)
        high = c.get("/api/alerts", params={"severity": "high"}).json()
        assert a["id"] in {x["id"] for x in high}

        page = c.get("/alerts?lang=en")
        assert page.status_code == 200
        assert t("metrics.repeat_purchase_rate.name", "en") in page.text
        assert "every 2 s" in page.text and 'class="alert high"' in page.text
        zh = c.get("/alerts?lang=zh").text
        assert t("metrics.repeat_purchase_rate.name", "zh") in zh and "monitoring." not in zh

        assert c.delete(f"/api/monitors/{monitor['id']}").status_code == 204
        assert c.get(f"/api/monitors/{monitor['id']}").status_code == 404
        assert not c.get("/api/alerts", params={"monitor_id": monitor["id"]}).json()


def test_a_fire_time_runs_once_across_restarts(tmp_path: Path, company: Path) -> None:
    state = tmp_path / "state"
    first = create_app(state, lang="en", settings=settings(company))
    web = first.state.web
    web.monitors.shutdown()  # the server is down while the monitor's fire time passes
    web.runner.shutdown()
    dataset = web.add_path(str(company), "shop")
    monitor = web.monitors.runs.add_monitor(dataset.id, "daily", "0 0 * * *", "UTC", None, "en")
    stuck = web.monitors.runs.add_run(monitor.id, datetime(2020, 1, 1, tzinfo=UTC))
    with web.monitors.runs.session() as s:  # made two days ago; a run was cut by a crash
        s.get(MonitorRow, monitor.id).created = datetime.now(UTC) - timedelta(days=2)
        s.get(MonitorRunRow, stuck.id).status = "running"
    due = last_fire(trigger("0 0 * * *"), datetime.now(UTC))

    def runs_for_due(app):
        return [r for r in app.state.web.monitors.runs.runs(monitor.id)
                if r.scheduled_for == due]

    for _restart in range(2):
        app = create_app(state, lang="en", settings=settings(company))
        found = _wait(lambda app=app: [r for r in runs_for_due(app)
                                       if r.status not in ("queued", "running")])
        assert [r.status for r in found] == ["done"]
        time.sleep(1.5)  # the scheduler has synced: still one run for that fire time
        assert len(runs_for_due(app)) == 1
        old = app.state.web.monitors.runs.run(stuck.id)
        assert old.status == "interrupted" and old.error  # never run a second time
        app.state.web.monitors.shutdown()
        app.state.web.runner.shutdown()


@pytest.mark.parametrize(("body", "field"), [
    ({"cron": "61 * * * *"}, "cron"), ({"cron": "every day"}, "cron"),
    ({"cron": "0 8 * * *", "timezone": "Mars/Olympus"}, "timezone"),
    ({"cron": "0 8 * * *", "period": "fortnight"}, "period"),
    ({"cron": "0 8 * * *", "dataset_id": "nope"}, "dataset"),
])
def test_bad_monitors_are_refused_with_a_fix(tmp_path: Path, company: Path, body: dict,
                                             field: str) -> None:
    app = create_app(tmp_path / "state", lang="en", settings=settings(company))
    with TestClient(app, headers=AUTH) as c:
        ds = c.post("/api/datasets/path", json={"path": str(company)}).json()
        res = c.post("/api/monitors", json={"dataset_id": ds["id"], **body})
        assert res.status_code in (400, 404), res.text
        err = res.json()["error"]
        assert err["message"] and err["fix"]


def test_monitors_need_credentials_and_a_role(tmp_path: Path, company: Path) -> None:
    app = create_app(tmp_path / "state", lang="en", settings=settings(company))
    with TestClient(app) as c:
        assert c.get("/api/alerts").status_code == 401
        assert c.post("/api/monitors", json={"dataset_id": "x", "cron": "* * * * *"}
                      ).status_code == 401
        assert c.get("/alerts", follow_redirects=False).status_code == 303  # to the login page
