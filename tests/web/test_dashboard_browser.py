"""The dashboard in a real browser, served by a real uvicorn server on a free local port: the
charts draw, the language switch works, no JavaScript error, and no request leaves localhost.

Uses the project's CDP driver (``tests/report/browser.py``); Chromium is found as the report's
browser tests find it (``/usr/bin/chromium``; those tests install it with apt-get).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from loyalscope.i18n import t
from loyalscope.web import create_app

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
from browser import CHROMIUM, Browser, ensure_chromium
from webtools import TOKEN, settings

pytestmark = pytest.mark.browser

LOCAL = ("data:", "blob:", "about:")


@pytest.fixture(scope="module")
def server(finished):
    """Base URL of uvicorn serving a new app over the finished state folder."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    app = create_app(finished["state"], lang="zh", settings=settings())
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser(server):
    """Chromium, logged in the way a user does: the address with ?token= sets the session cookie."""
    ensure_chromium()
    with Browser(CHROMIUM, timeout=30) as b:
        session = b.open_page()
        b.navigate(session, f"{server}/?token={TOKEN}")
        assert b.evaluate(session, "location.search") == ""  # the token left the address bar
        assert b.evaluate(session, "document.getElementById('who') !== null")
        yield b


def _problems(browser: Browser, session: str, base: str) -> tuple[list[str], list[str]]:
    urls = [ev["request"]["url"] for ev in browser.events_for(session, "Network.requestWillBeSent")]
    remote = [u for u in urls if not (u.startswith(base + "/") or u.startswith(LOCAL))]
    errors = [ev["exceptionDetails"].get("exception", {}).get("description")
              or ev["exceptionDetails"]["text"]
              for ev in browser.events_for(session, "Runtime.exceptionThrown")]
    errors += [f"{ev['entry']['text']} {ev['entry'].get('url', '')}"
               for ev in browser.events_for(session, "Log.entryAdded") if ev["entry"]["level"] == "error"]
    return remote, errors


def _drawn(browser: Browser, session: str) -> list[int]:
    """SVG roots drawn by Plotly in each chart container of the page."""
    per_chart = ("Array.from(document.querySelectorAll('div.chart'))"
                 ".map(d => d.querySelectorAll('.main-svg').length)")
    browser.wait_for(session, f"(n => n.length && n.every(k => k > 0))({per_chart})")
    return browser.evaluate(session, per_chart)


def test_dashboard_draws_every_chart_offline(browser: Browser, server: str, finished, saved) -> None:
    charts = sum(1 for s in saved["sections"].values() if not s["skipped"]
                 for b in s["blocks"] if b["type"] == "chart")
    session = browser.open_page()
    browser.navigate(session, f"{server}/analyses/{finished['analysis']}")
    drawn = _drawn(browser, session)
    assert len(drawn) == charts > 0 and all(k > 0 for k in drawn), drawn
    # the figures carry data: at least one chart has bars, markers or heatmap cells
    marks = browser.evaluate(session, "document.querySelectorAll('div.chart .point, div.chart .hm, "
                                      "div.chart .scatterlayer .trace').length")
    assert marks > 0
    assert browser.evaluate(session, "document.documentElement.lang") == "zh-CN"
    assert browser.evaluate(session, "document.querySelector('#section-data h2').innerText") == \
        t("report.section.data", "zh")
    remote, errors = _problems(browser, session, server)
    assert not remote, f"requests left localhost: {remote}"
    assert not errors, f"JavaScript errors: {errors}"


def test_language_switch_and_customer_lookup(browser: Browser, server: str, finished) -> None:
    session = browser.open_page()
    browser.navigate(session, f"{server}/analyses/{finished['analysis']}")
    browser.evaluate(session, "document.getElementById('lang-switch').click()")
    # a navigation: the document may be gone for a moment while the next one loads
    browser.wait_for(session, "document.documentElement?.lang === 'en' && "
                              "document.querySelectorAll('div.chart .main-svg').length > 0")
    assert browser.evaluate(session, "document.querySelector('#section-data h2').innerText") == \
        t("report.section.data", "en")
    assert all(k > 0 for k in _drawn(browser, session))
    remote, errors = _problems(browser, session, server)
    assert not remote and not errors, (remote, errors)
    # a fresh tab: navigate() waits for the first load event its session has seen
    session = browser.open_page()
    browser.navigate(session, f"{server}/analyses/{finished['analysis']}/customers?lang=en")
    first = browser.evaluate(session, "document.querySelector('#customers a').innerText")
    browser.evaluate(session, "document.querySelector('#customers a').click()")
    browser.wait_for(session, "document.documentElement && document.getElementById('customer') !== null")
    assert browser.evaluate(session, "document.querySelector('h1').innerText") == \
        t("web.customer.title", "en", id=first)
    # its P(alive) history (an inline JSON data block) is drawn by web.js under the CSP
    if browser.evaluate(session, "document.getElementById('chart-alive-history') !== null"):
        browser.wait_for(session, "document.querySelectorAll('#chart-alive-history .main-svg').length > 0")
    remote, errors = _problems(browser, session, server)
    assert not remote and not errors, (remote, errors)
