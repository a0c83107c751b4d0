"""The analyst's report on real exports (tests/data/real, sources in tests/data/README.md): the
report renders without language leaks in zh and en from its saved analysis.json, the summary's
findings quote the numbers they rest on, and the recommended actions are ranked by value with
their target lists exported (each customer once, ids of customers in the data)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.report import charts, render_html
from loyalscope.results import Chart
from loyalscope.sections import _findings as F
from loyalscope.web.saved import read_analysis

sys.path.insert(0, str(Path(__file__).parent))
from leaks import data_names, figure_texts, html_texts, leaks

REAL = Path(__file__).resolve().parent.parent / "data" / "real"
SOURCES = {"olist": REAL / "olist", "online_retail": REAL / "online_retail" / "online_retail_2010-12_excerpt.csv",
           "tmall": REAL / "tmall" / "tmall_order_report_2020-02_excerpt.csv",
           "telco": REAL / "telco" / "Telco-Customer-Churn_excerpt.csv"}
pytestmark = pytest.mark.slow


def _raw_frames(src: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for path in [src] if src.is_file() else sorted(src.glob("*.csv")):
        for enc in ("utf-8", "gb18030"):
            try:
                out[path.name] = pd.read_csv(path, dtype=str, encoding=enc, keep_default_na=False)
                break
            except UnicodeDecodeError:
                continue
    return out


@pytest.fixture(scope="module", params=sorted(SOURCES))
def real(request, tmp_path_factory) -> tuple[str, Path, dict[str, pd.DataFrame]]:
    name = request.param
    out = tmp_path_factory.mktemp(name)
    res = CliRunner().invoke(app, ["analyze", str(SOURCES[name]), "--out", str(out), "--json", "--lang", "zh"])
    assert res.exit_code == 0, res.output
    return name, out, _raw_frames(SOURCES[name])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_language_leaks(real, lang: str) -> None:
    name, out, frames = real
    analysis = read_analysis(out)  # what the web pages and a later re-render see
    texts = html_texts(render_html(analysis, lang))
    for section in analysis.sections:
        for block in section.blocks:
            if isinstance(block, Chart):
                texts += figure_texts(json.loads(charts.figure(block, lang).to_json()))
    # the user's own headers are names in the data (the mapping table shows them)
    names = data_names(frames, extra=[*(c.strip() for f in frames.values() for c in f.columns), str(SOURCES[name])])
    found = leaks(texts, lang, names)
    assert not found, found[:10]


def test_findings_and_ranked_actions(real) -> None:
    name, out, _ = real
    saved = json.loads((out / "analysis.json").read_text(encoding="utf-8"))["sections"]
    findings = saved["summary"]["data"]["findings"]
    assert len(findings) <= F.MAX_FINDINGS
    for f in findings:
        assert abs(f["z"]) >= F.Z_NORMAL
        if f["comparison"] in ("previous_period", "last_year"):
            assert f["value"] == pytest.approx(f["numerator"] / f["denominator"])
            assert f["reference"] == pytest.approx(f["reference_numerator"] / f["reference_denominator"])
            assert min(f["denominator"], f["reference_denominator"]) >= F.MIN_N
    recs = saved["strategy"]["data"].get("recommendations", [])
    values = [r["value_at_stake"] for r in recs if r["customers"]]
    assert values == sorted(values, reverse=True)
    lists = sorted((out / "targets").glob("*.csv")) if (out / "targets").exists() else []
    assert len(lists) == sum(1 for r in recs if r["customers"])
    ids: list[str] = []
    for path, r in zip(lists, [r for r in sorted(recs, key=lambda r: r["rank"]) if r["customers"]], strict=True):
        frame = pd.read_csv(path, dtype={"customer_id": str}, encoding="utf-8-sig")
        assert path.name.startswith(f"{r['rank']:02d}_{r['rule']}") and len(frame) == r["customers"]
        assert set(frame.action) == {r["rule"]}
        ids += list(frame.customer_id)
    assert len(ids) == len(set(ids))  # nobody targeted twice
    if ids:
        customers = pd.read_parquet(out / "customers.parquet")
        assert set(ids) <= set(customers.customer_id)
    if name == "olist":  # a marketplace with survey-like reviews and enough customers to act on
        assert recs and findings
