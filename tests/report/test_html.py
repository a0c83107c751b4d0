"""The HTML report renders offline, in both languages, with every string translated."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from loyalscope.analysis import analyze
from loyalscope.data.dataset import Dataset
from loyalscope.report import render_html, write_excel
from loyalscope.results import Chart, Number, Section


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    rng = np.random.default_rng(1)
    n = 400
    tx = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)],
        "customer_id": [f"c{i}" for i in rng.integers(0, 60, n)],
        "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "amount": rng.gamma(2.0, 50.0, n).round(2),
    })
    return Dataset.from_frames({"transactions": tx})


@pytest.fixture(scope="module")
def analysis(dataset: Dataset):
    return analyze(dataset, sections=("data", "limitations"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_is_offline_and_translated(analysis, lang: str) -> None:
    html = render_html(analysis, lang)
    assert not re.search(r"<script[^>]+src=", html), "scripts must be inlined"
    assert "cdn." not in html and "googleapis" not in html
    # no untranslated catalogue keys leak into the page
    leaked = re.findall(r"\b(?:data_section|report|limits|core)\.[a-z_]+(?:\.[a-z_]+)*\b", html)
    assert not leaked, leaked[:5]
    assert ("客户忠诚度分析报告" in html) == (lang == "zh")
    assert ("Customer loyalty analysis" in html) == (lang == "en")


def test_report_numbers_match_data(dataset: Dataset, analysis) -> None:
    tx = dataset.tables["transactions"].execute()
    data = analysis.section("data").data
    assert data["orders"] == len(tx)
    assert data["customers"] == tx.customer_id.nunique()
    assert data["revenue"] == pytest.approx(tx.amount.sum())
    html = render_html(analysis, "en")
    assert f"{len(tx):,}" in html


def test_charts_are_inlined_once_and_report_stays_small(analysis) -> None:
    frame = pd.DataFrame({"month": ["2024-01", "2024-02"], "rate": [0.3, 0.4]})
    analysis.sections.append(Section("behaviour", [
        Number("data_section.orders", 10, "count"),
        Chart("bar", "data_section.orders", frame, x="month", y="rate", options={"percent_y": True}),
        Chart("line", "data_section.orders", frame, x="month", y="rate"),
    ]))
    try:
        html = render_html(analysis, "zh")
    finally:
        analysis.sections.pop()
    assert html.count("plotly.js v") == 1 or html.count("* plotly.js") == 1
    assert 'id="chart-1"' in html and 'id="chart-2"' in html
    assert len(html.encode()) < 8_000_000


def test_excel_and_json(tmp_path, analysis) -> None:
    path = write_excel(analysis, tmp_path / "book.xlsx", "zh")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets)[:2] == ["摘要", "指标"]  # the summary first, then every number
    assert len(sheets["指标"]) >= 4
    paths = analysis.save(tmp_path)
    assert paths["analysis"].exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_size_is_shown_beside_numerator_and_denominator(tmp_path, analysis, lang: str) -> None:
    """A share of revenue shows the cases behind it (its denominator is money, not customers),
    in the report's definition and in the workbook's numbers sheet."""
    from loyalscope.i18n import t

    share = Number("metrics.pareto_share.name", 0.61, "percent", metric_id="pareto_share",
                   numerator=1531.1, denominator=2514.04, n=12, flags=["small_sample"])
    analysis.sections.append(Section("behaviour", [share]))
    try:
        html = render_html(analysis, lang)
        sheets = pd.read_excel(write_excel(analysis, tmp_path / "book.xlsx", lang), sheet_name=None)
    finally:
        analysis.sections.pop()
    assert f"{t('report.sample_size', lang)} 12</div>" in html
    numbers = sheets[t("excel.numbers", lang)]
    row = numbers[numbers[t("excel.metric_id", lang)] == "pareto_share"].iloc[0]
    assert row[t("report.sample_size", lang)] == 12 and row[t("report.denominator", lang)] == 2514.04
