"""CSAT is named and defined as it was counted, wherever the report shows it.

A satisfaction question answered yes / no (是 / 否) gives CSAT as the share of yes; a two-point
scale (1-2) its top box; only a longer scale (1-5) its top two boxes. The metric keeps its id
``csat_top2`` but every place that shows its name or definition says which: the satisfaction
number, the monitoring tables and charts, the alerts (analysis.json, the message), the
workbook's number and table sheets, in en and zh. Each company is a 问卷星 text download with
orders, analysed by the CLI; the CSAT value is computed again from the written file with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.config import AnalysisConfig
from loyalscope.i18n import t
from loyalscope.monitoring import monitor
from loyalscope.monitoring.message import build as message
from loyalscope.report.excel import write_excel
from loyalscope.web.saved import read_analysis

NAME = "123456789_0_服务满意度调查_300_300.csv"
SAT_Q = "2、您对我们的服务满意吗？"
NPS_Q = "3、您向朋友或同事推荐本店的可能性有多大？"
SKIP = "(跳过)"
runner = CliRunner()

#: scale -> (its answers as written, the answers in CSAT's numerator, loyalscope.toml lines)
CASES: dict[str, tuple[list[str], set[str], str]] = {
    "yes_no": (["是", "否"], {"是"}, ""),
    "two_point": (["1", "2"], {"2"}, '[survey.scales]\ncsat = "1-2"\n'),
    "five_point": (["1", "2", "3", "4", "5"], {"4", "5"}, ""),
}
#: the name each language must show for each scale, and the names it must not show
NAMES = {
    "yes_no": {"en": "CSAT (share of yes)", "zh": "客户服务满意度（回答“是”的比例）"},
    "two_point": {"en": "CSAT (top box)", "zh": "客户服务满意度（最高一档占比）"},
    "five_point": {"en": "CSAT (top-2-box)", "zh": "客户服务满意度（最高两档占比）"},
}
#: the catalogue keys of each scale's name and definition (``.name`` / ``.formula``)
KEYS = {"yes_no": "metrics.csat_top2.yes_no", "two_point": "metrics.csat_top2.top_box",
        "five_point": "metrics.csat_top2"}
#: words of each definition: what was counted
DEFINES = {
    "yes_no": {"en": "answers yes", "zh": "回答“是”的答卷"},
    "two_point": {"en": "top box of the two-point", "zh": "最高一档"},
    "five_point": {"en": "top two boxes", "zh": "最高两档"},
}
# a monitored CSAT below 99% breaks this threshold: an alert that names the metric
MONITOR = "[monitor.metrics.csat_top2]\nmin = 0.99\n"


def _company(folder: Path, case: str, n: int = 720) -> pd.DataFrame:
    """A 问卷星 download (satisfaction answered on ``case``'s scale, some skipped, the member id
    asked) with the orders and customers its answers link to; returns the download."""
    answers, _, toml = CASES[case]
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({
        "序号": range(1, n + 1),
        "提交答卷时间": [f"2024/{m}/{d} {h}:00:00" for m, d, h in zip(
            rng.integers(1, 13, n), rng.integers(1, 29, n), rng.integers(8, 23, n), strict=True)],
        "所用时间": [f"{v}秒" for v in rng.integers(30, 400, n)],
        "会员号": [f"C{v}" for v in rng.integers(0, 60, n)],
        SAT_Q: rng.choice([*answers, SKIP], n, p=[*[0.93 / len(answers)] * len(answers), 0.07]),
        NPS_Q: rng.integers(0, 11, n).astype(str)})
    frame.to_csv(folder / NAME, index=False, encoding="gbk")
    rows = ["order_id,customer_id,order_ts,amount",
            *[f"A{i},C{i % 60},2024-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i % 7}" for i in range(900)]]
    (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "customers.csv").write_text("customer_id\n" + "\n".join(f"C{i}" for i in range(60)) + "\n",
                                          encoding="utf-8")
    (folder / "loyalscope.toml").write_text(toml + MONITOR, encoding="utf-8")
    return frame


def _texts(path: Path) -> list[str]:
    """Every text cell of the workbook."""
    book = openpyxl.load_workbook(path, read_only=True)
    return [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
            if isinstance(c, str)]


def _numbers_row(path: Path, lang: str) -> dict[str, Any]:
    """The csat_top2 row of the workbook's sheet of numbers, by its headers."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[t("excel.numbers", lang)].iter_rows(values_only=True))
    head = rows[0]
    found = [dict(zip(head, r, strict=True)) for r in rows[1:] if r[head.index(t("excel.metric_id", lang))] == "csat_top2"]
    assert len(found) == 1
    return found[0]


@pytest.fixture(scope="module", params=list(CASES))
def analysed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[str, pd.DataFrame, Path]:
    case = request.param
    data = tmp_path_factory.mktemp(f"csat_{case}")
    raw = _company(data, case)
    out = data / "out"
    res = runner.invoke(app, ["analyze", str(data), "--out", str(out), "--lang", "en", "--json"])
    assert res.exit_code == 0, res.output
    return case, raw, out


def test_the_satisfaction_number_is_named_and_defined_as_counted(analysed) -> None:
    case, raw, out = analysed
    doc = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    sat = doc["sections"]["satisfaction"]
    csat = next(b for b in sat["blocks"] if b.get("metric_id") == "csat_top2")
    answered = raw[SAT_Q][raw[SAT_Q] != SKIP].astype(str)  # pandas, from the file
    assert csat["denominator"] == len(answered)
    assert csat["numerator"] == answered.isin(CASES[case][1]).sum()
    assert csat["value"] == pytest.approx(answered.isin(CASES[case][1]).mean())
    assert (csat["label"], csat["formula"]) == (f"{KEYS[case]}.name", f"{KEYS[case]}.formula")
    for lang in ("en", "zh"):
        assert t(csat["label"], lang) == NAMES[case][lang]
        assert DEFINES[case][lang] in t(csat["formula"], lang)
    # the trend chart's legend names it the same way
    trend = next(b for b in sat["blocks"] if b.get("title") == "survey.section.trend")
    assert trend["labels"]["csat_top2"] == csat["label"]


def test_monitoring_and_alerts_name_csat_as_counted(analysed) -> None:
    case, _, out = analysed
    doc = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    mon = doc["sections"]["monitoring"]
    tables = {b["title"]: b for b in mon["blocks"] if b["type"] == "table"}
    latest = tables["monitoring.section.latest_title"]["frame"]
    keys = {r["metric"] for r in latest}
    csat_keys = {k for k in keys if k.startswith("metrics.csat_top2")}
    assert csat_keys == {f"{KEYS[case]}.name"}  # monitored, under the one name that fits
    key = f"{KEYS[case]}.name"
    alerts = [a for a in mon["data"]["alerts"] if a["metric"] == "csat_top2"]
    assert alerts and all(a["name"] == key for a in alerts)  # the configured minimum, broken
    alerted = {r["metric"] for r in tables["monitoring.section.alerts_title"]["frame"]}
    assert key in alerted
    for lang in ("en", "zh"):
        assert t(key, lang) == NAMES[case][lang]
    others = {c for c in NAMES if c != case}
    shown = {t(k, lang) for k in keys | alerted for lang in ("en", "zh")}
    assert not shown & {NAMES[c][lang] for c in others for lang in ("en", "zh")}
    # an alert of a period without history has no expected range: "-", not "nan% - nan%"
    for table in tables.values():
        cells = [str(v) for row in table["frame"] for v in row.values()]
        assert not [c for c in cells if "nan" in c.lower()], table["title"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_workbook_names_and_defines_csat_as_counted(analysed, lang: str, tmp_path: Path) -> None:
    case, _, out = analysed
    path = out / "loyalscope.xlsx"
    if lang == "zh":  # the same analysis, read back from analysis.json, written in Chinese
        path = write_excel(read_analysis(out), tmp_path / "loyalscope.xlsx", "zh")
    row = _numbers_row(path, lang)
    assert row[t("excel.measure", lang)] == NAMES[case][lang]
    assert DEFINES[case][lang] in row[t("excel.formula", lang)]
    texts = _texts(path)
    assert texts.count(NAMES[case][lang]) >= 2  # the number, and the monitoring tables
    for other in (c for c in NAMES if c != case):
        assert NAMES[other][lang] not in texts
        assert t(f"{KEYS[other]}.formula", lang) not in texts


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_alert_message_names_a_yes_no_csat_the_share_of_yes(tmp_path: Path, lang: str) -> None:
    _company(tmp_path, "yes_no")
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-12-31"))
    cfg = AnalysisConfig.model_validate({"monitor": {"include": ["csat_top2"],
                                                     "metrics": {"csat_top2": {"min": 0.99}}}})
    result = monitor(ds, cfg)
    assert [a.metric for a in result.alerts if a.segment is None] == ["csat_top2"]
    text = message(result, lang).text
    assert NAMES["yes_no"][lang] in text
    assert NAMES["five_point"][lang] not in text
    assert "nan" not in text.lower() and " - to -" not in text  # a range it has, or says it has none
