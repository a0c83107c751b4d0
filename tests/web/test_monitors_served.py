"""Scheduled monitors in a real ``loyalscope serve`` process, seen in headless Chromium: a user adds
a monitor with the form of the alerts page, the server's scheduler runs it as a job, and its alerts
appear on the page (zh and en, no JavaScript error, no request leaving localhost) and in the API;
a monitor on a named connection (a PostgreSQL database of the server config) runs too; after a restart of
the server no fire time has a second run.

Uses the project's CDP driver (``tests/report/browser.py``) and Chromium at ``/usr/bin/chromium``.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from webtools import TOKEN, serve

from loyalscope.data.simulate import simulate
from loyalscope.i18n import t

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
from browser import CHROMIUM, Browser, ensure_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONFIG = """[monitor]
include = ["repeat_purchase_rate", "orders"]
segments = []
[monitor.metrics.repeat_purchase_rate]
min = 0.99
"""
LOCAL = ("data:", "blob:", "about:")


@pytest.fixture(scope="module")
def world(tmp_path_factory, postgres_url: str) -> dict[str, Path]:
    """A data root with a company whose loyalscope.toml sets a threshold no period meets, and the
    same company's orders and customers in a database of the suite's PostgreSQL server, named
    ``warehouse`` in the server's config."""
    import psycopg

    from loyalscope.engine import connect

    base = tmp_path_factory.mktemp("served-monitors")
    company = simulate(customers=600, days=400, seed=2, acquisition_share=1.0)
    company.write(base / "root" / "shop")
    (base / "root" / "shop" / "loyalscope.toml").write_text(CONFIG, encoding="utf-8")
    with psycopg.connect(postgres_url.replace("postgres://", "postgresql://"),
                         autocommit=True) as pg:
        pg.execute("DROP DATABASE IF EXISTS monitored")
        pg.execute("CREATE DATABASE monitored")
    url = postgres_url.rsplit("/", 1)[0] + "/monitored"
    con = connect(url)
    for name in ("transactions", "customers"):
        con.create_table(name, company.tables[name])
    con.disconnect()
    web = base / "web.toml"
    web.write_text(f"[web.connections]\nwarehouse = {json.dumps(url)}\n", encoding="utf-8")
    return {"base": base, "root": base / "root", "shop": base / "root" / "shop", "web": web}


def _serve(world: dict[str, Path]):
    return serve(world["base"] / "state", "--token", TOKEN, "--data-root", str(world["root"]),
                 "--config", str(world["web"]), "--lang", "zh")


def _wait(fn, timeout: float = 240.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError


def _problems(browser: Browser, session: str, base: str) -> tuple[list[str], list[str]]:
    urls = [ev["request"]["url"] for ev in browser.events_for(session, "Network.requestWillBeSent")]
    remote = [u for u in urls if not (u.startswith(base + "/") or u.startswith(LOCAL))]
    errors = [ev["exceptionDetails"].get("exception", {}).get("description")
              or ev["exceptionDetails"]["text"]
              for ev in browser.events_for(session, "Runtime.exceptionThrown")]
    errors += [f"{ev['entry']['text']} {ev['entry'].get('url', '')}"
               for ev in browser.events_for(session, "Log.entryAdded")
               if ev["entry"]["level"] == "error"]
    return remote, errors


def _done(c, monitor_id: str) -> list[dict]:
    runs = c.get(f"/api/monitors/{monitor_id}/runs").json()
    return [r for r in runs if not r["manual"] and r["status"] == "done"]


def test_a_monitor_added_in_the_browser_runs_and_its_alerts_show(world) -> None:
    ensure_chromium()
    with _serve(world) as srv, srv.client() as c, Browser(CHROMIUM, timeout=30) as b:
        shop = c.post("/api/datasets/path", json={"path": str(world["shop"]), "name": "shop"})
        assert shop.status_code == 201, shop.text
        wh = c.post("/api/datasets/connection", json={"connection": "warehouse"})
        assert wh.status_code == 201, wh.text

        session = b.open_page()
        b.navigate(session, f"{srv.base}/?token={TOKEN}")  # sets the session cookie
        b.navigate(session, f"{srv.base}/alerts?lang=zh")
        # wait_for: the load event waited for may be the previous page's
        assert b.wait_for(session, "document.documentElement && "
                                   "document.getElementById('no-alerts') !== null")
        # the user's way: the form of the page (with its CSRF token), a schedule every 3 s
        form = (f"(() => {{ const f = document.querySelector('form[action^=\"/monitors?\"]');"
                f"const e = f.elements; e.namedItem('dataset_id').value = "
                f"{json.dumps(shop.json()['id'])}; e.namedItem('name').value = '每三秒';"
                f"e.namedItem('cron').value = '*/3 * * * * *'; e.namedItem('timezone').value = "
                f"'UTC'; f.querySelector('button').click(); return true; }})()")
        assert b.evaluate(session, form)
        b.wait_for(session, "document.querySelector('#monitors') !== null")
        (mine,) = c.get("/api/monitors").json()
        assert (mine["name"], mine["cron"], mine["lang"]) == ("每三秒", "*/3 * * * * *", "zh")
        other = c.post("/api/monitors", json={"dataset_id": wh.json()["id"], "name": "warehouse",
                                              "cron": "*/3 * * * * *", "lang": "en"})
        assert other.status_code == 201, other.text

        run = _wait(lambda: _done(c, mine["id"]))[0]
        assert run["alerts"] >= 1 and run["high"] >= 1, run
        remote_run = _wait(lambda: _done(c, other.json()["id"]))[0]
        assert remote_run["period"] and remote_run["checked"] > 0, remote_run

        # the page lists the alert as the API gives it, in Chinese
        b.navigate(session, f"{srv.base}/alerts?lang=zh")
        b.wait_for(session, "document.querySelector('tr.alert.high') !== null")
        row = b.evaluate(session, "Array.from(document.querySelectorAll("
                                  "'tr.alert[data-metric=\"repeat_purchase_rate\"]'))"
                                  ".map(r => r.innerText)[0]")
        assert t("metrics.repeat_purchase_rate.name", "zh") in row
        assert t("monitoring.severity.high", "zh") in row and run["period"] in row
        assert t("monitoring.test.threshold_min", "zh") in row
        text = b.evaluate(session, "document.body.innerText")
        assert "每三秒" in text and "warehouse" in text
        assert "monitoring." not in text and "web.monitors." not in text  # no missing keys
        assert b.evaluate(session, "document.documentElement.lang") == "zh-CN"
        api = c.get("/api/alerts", params={"monitor_id": mine["id"]}).json()
        assert any(a["metric"] == "repeat_purchase_rate" and a["severity"] == "high"
                   and a["period"] == run["period"] for a in api)

        b.navigate(session, f"{srv.base}/alerts?lang=en")
        assert b.wait_for(session, "document.documentElement?.lang === 'en' && "
                                   "document.querySelector('tr.alert.high') !== null")
        text = b.evaluate(session, "document.body.innerText")
        assert t("metrics.repeat_purchase_rate.name", "en") in text
        assert t("monitoring.severity.high", "en") in text and "web.monitors." not in text
        remote, errors = _problems(b, session, srv.base)
        assert not remote, f"requests left localhost: {remote}"
        assert not errors, f"JavaScript errors: {errors}"

    # the server stops while the monitors' fire times pass, then starts again on the same state
    with _serve(world) as srv, srv.client() as c:
        before = {m["id"]: len(_done(c, m["id"])) for m in c.get("/api/monitors").json()}
        _wait(lambda: all(len(_done(c, m)) > n for m, n in before.items()))
        for m in before:
            runs = c.get(f"/api/monitors/{m}/runs").json()
            fired = Counter(r["scheduled_for"] for r in runs if not r["manual"])
            assert max(fired.values()) == 1, fired  # one run per fire time, across the restart
            # a schedule faster than its runs: at most one run waits for a worker
            assert sum(r["status"] == "queued" for r in runs) <= 1
            assert c.delete(f"/api/monitors/{m}").status_code == 204
