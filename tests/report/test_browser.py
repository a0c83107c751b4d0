"""The HTML report in a real browser: loads offline, runs its JavaScript without errors, draws
every Plotly chart, and renders the Chinese title with a CJK font (no tofu boxes).

Drives headless Chromium over the DevTools Protocol (``browser.py``, standard library only).
On a fresh Debian/Ubuntu machine the setup installs ``chromium`` and ``fonts-noto-cjk``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalscope.analysis import analyze
from loyalscope.data.dataset import Dataset
from loyalscope.i18n import t
from loyalscope.report import write_html
from loyalscope.results import Chart, Number, Section

sys.path.insert(0, str(Path(__file__).parent))
from browser import Browser, ensure_chromium

pytestmark = pytest.mark.browser

# URL schemes that never leave the machine
LOCAL = ("file:", "data:", "blob:", "about:")
# families of fonts with Chinese glyphs on Linux, macOS and Windows
CJK_FONT = re.compile(r"CJK|Noto Sans SC|Noto Serif SC|Source Han|WenQuanYi|Droid Sans Fallback|"
                      r"AR PL|PingFang|Hiragino|YaHei|SimHei|SimSun", re.I)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Chromium, installing it (and a CJK font) with apt-get when missing."""
    return ensure_chromium()


@pytest.fixture(scope="module")
def browser(chromium: str):
    with Browser(chromium) as b:
        yield b


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """The zh and en report of a small data set with two extra charts, written to files."""
    rng = np.random.default_rng(7)
    n = 300
    tx = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)],
        "customer_id": [f"c{i}" for i in rng.integers(0, 50, n)],
        "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "amount": rng.gamma(2.0, 40.0, n).round(2),
    })
    analysis = analyze(Dataset.from_frames({"transactions": tx}), sections=("data", "limitations"))
    frame = pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03"], "rate": [0.3, 0.4, 0.35]})
    analysis.sections.append(Section("behaviour", [
        Number("data_section.orders", n, "count"),
        Chart("bar", "data_section.orders", frame, x="month", y="rate", options={"percent_y": True}),
        Chart("line", "data_section.orders", frame, x="month", y="rate"),
    ]))
    out = tmp_path_factory.mktemp("reports")
    return {lang: write_html(analysis, out / f"report_{lang}.html", lang) for lang in ("zh", "en")}


def _load(browser: Browser, path: Path) -> str:
    session = browser.open_page()
    browser.navigate(session, path.resolve().as_uri())
    return session


def _problems(browser: Browser, session: str) -> tuple[list[str], list[str]]:
    """(non-local request URLs, JavaScript errors) seen on the page."""
    urls = [ev["request"]["url"] for ev in browser.events_for(session, "Network.requestWillBeSent")]
    remote = [u for u in urls if not u.startswith(LOCAL)]
    errors = [ev["exceptionDetails"].get("exception", {}).get("description")
              or ev["exceptionDetails"]["text"]
              for ev in browser.events_for(session, "Runtime.exceptionThrown")]
    errors += [" ".join(str(a.get("value", a.get("description", ""))) for a in ev["args"])
               for ev in browser.events_for(session, "Runtime.consoleAPICalled")
               if ev["type"] in ("error", "assert")]
    errors += [f"{ev['entry']['source']}: {ev['entry']['text']} {ev['entry'].get('url', '')}"
               for ev in browser.events_for(session, "Log.entryAdded")
               if ev["entry"]["level"] == "error"]
    return remote, errors


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_loads_offline_and_draws_every_chart(browser: Browser, reports, lang: str) -> None:
    html = reports[lang].read_text(encoding="utf-8")
    chart_ids = re.findall(r'<div id="(chart-\d+)"', html)
    assert len(chart_ids) >= 2, chart_ids
    session = _load(browser, reports[lang])
    per_chart = (f"{json.dumps(chart_ids)}.map(i => "
                 "document.querySelectorAll('#' + i + ' .main-svg').length)")
    counts = browser.wait_for(session, f"(n => n.every(k => k > 0) ? n : null)({per_chart})")
    drawn = browser.evaluate(session, per_chart)
    assert counts, f"Plotly did not draw every chart: .main-svg per chart {drawn}"
    # the bars and the line carry the data: 3 bars, one line trace of 3 points
    assert browser.evaluate(session, f"document.querySelectorAll('#{chart_ids[-2]} .point').length") >= 3
    assert browser.evaluate(session, f"document.querySelectorAll('#{chart_ids[-1]} .scatterlayer .trace').length") == 1
    remote, errors = _problems(browser, session)
    assert not remote, f"report requested non-local URLs: {remote}"
    assert not errors, f"JavaScript errors: {errors}"
    assert browser.evaluate(session, "document.documentElement.lang") == ("zh-CN" if lang == "zh" else "en")
    title = t("report.title", lang)
    assert browser.evaluate(session, "document.querySelector('h1').innerText") == title


def test_chinese_title_is_drawn_with_a_cjk_font(browser: Browser, reports) -> None:
    session = _load(browser, reports["zh"])
    title = t("report.title", "zh")
    han = [c for c in title if "\u4e00" <= c <= "\u9fff"]
    assert han, title
    fonts = browser.platform_fonts(session, "h1")
    cjk = [f for f in fonts if CJK_FONT.search(f["familyName"]) or CJK_FONT.search(f["postScriptName"])]
    assert cjk, f"Chinese title drawn without a CJK font (tofu): {fonts}"
    # every Han character of the title got a glyph from a CJK font, none fell to .notdef
    assert sum(f["glyphCount"] for f in cjk) >= len(han), fonts
    # and the font is one the report's own CSS stack names, not an accidental fallback
    stack = browser.evaluate(session, "getComputedStyle(document.querySelector('h1')).fontFamily")
    assert any(f["familyName"] in stack for f in cjk), (stack, fonts)


def test_checks_catch_remote_requests_and_script_errors(browser: Browser, tmp_path) -> None:
    """The two checks above can fail: a page with a remote image and a throwing script trips both."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="http://127.0.0.1:9/x.png">'
                   "<script>throw new Error('boom')</script></body></html>", encoding="utf-8")
    session = _load(browser, bad)
    remote, errors = _problems(browser, session)
    assert remote == ["http://127.0.0.1:9/x.png"]
    assert any("boom" in e for e in errors), errors
