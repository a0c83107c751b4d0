"""The monitoring section: the same numbers as ``loyalscope monitor``, every headline metric's
series with its expected range, rendered in both languages with every string translated."""

from __future__ import annotations

import json
import re

import pytest

from loyalscope.analysis import analyze
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate
from loyalscope.monitoring import monitor
from loyalscope.report import render_html


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    company = simulate(customers=3000, days=730, seed=7, acquisition_share=1.0)
    return Dataset.from_frames(company.tables)


@pytest.fixture(scope="module")
def analysis(dataset: Dataset):
    return analyze(dataset, sections=("monitoring",))


def test_same_numbers_as_the_command(dataset: Dataset, analysis) -> None:
    section = analysis.section("monitoring")
    assert section.skipped is None
    cli = monitor(dataset).to_dict()
    data = json.loads(json.dumps(analysis.to_dict()["sections"]["monitoring"]["data"]))
    assert data["period"] == cli["period"] and data["checked"] == cli["checked"]
    assert data["alerts"] == json.loads(json.dumps(cli["alerts"]))


def test_every_metric_has_its_series_over_the_calendar(dataset: Dataset, analysis) -> None:
    data = analysis.section("monitoring").data
    checked = {c.metric for c in monitor(dataset).checks}
    assert set(data["series"]) == checked
    orders = data["series"]["orders"]
    assert [r["period"] for r in orders][:3] == ["2024-01", "2024-02", "2024-03"]
    assert orders[-1]["state"] == "partial" and orders[-1]["severity"] is None
    full = [r for r in orders if r["state"] == "ok" and r["p_value"] is not None]
    assert full and all(r["low"] <= r["expected"] <= r["high"] for r in full)
    flagged = [r for r in full if r["severity"]]
    assert all(r["value"] < r["low"] or r["value"] > r["high"] for r in flagged)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_renders_translated(analysis, lang: str) -> None:
    html = render_html(analysis, lang)
    leaked = re.findall(r"\bmonitoring\.[a-z_]+(?:\.[a-z_]+)*\b", html)
    assert not leaked, leaked[:5]
    assert ("定期监测" in html) == (lang == "zh")
