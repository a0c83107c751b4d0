"""Survey answers without a response id (``data/mapping.py`` resolve, ``data/load.py``).

An NPS export (github.com/Analyst-Aslam/Customer-NPS-Insights, "NPS_timeseries_data.csv": ID,
Market, Survey date, Customer Name, Month, Quarter, NPS; its workbook publishes NPS 11.8 from
2,309 promoters, 972 passives and 1,719 detractors of 5,000) was judged a customers file: its
names as customer ids, 171 repeat names quarantined as duplicate customers, the NPS column not
used. Answers with a survey measure may lack the response id: each row is one response, named
by its file and line. The repository states no licence: the tests build its shape.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.errors import SchemaError
from loyalscope.i18n import use_lang

NOW = pd.Timestamp("2024-01-01")


def _export(path: Path, n: int = 900) -> pd.DataFrame:
    rng = np.random.default_rng(12)
    names = [f"Customer {i}" for i in rng.integers(0, 700, n)]  # some answer twice
    frame = pd.DataFrame({
        "ID": range(1000, 1000 + n), "Market": rng.choice(["US", "UK", "MEX"], n),
        "Survey date": [f"{d:02d}/{m:02d}/2022" for d, m in zip(rng.integers(1, 29, n), rng.integers(1, 13, n),
                                                                 strict=True)],
        "Customer Name": names, "Month": 1, "Quarter": 1, "NPS": rng.integers(0, 11, n)})
    frame.to_csv(path, index=False)
    return frame


def test_an_nps_export_is_read_as_survey_answers(tmp_path: Path) -> None:
    raw = _export(tmp_path / "NPS_timeseries_data.csv")
    with use_lang("en"):
        ds = ls.load(tmp_path / "NPS_timeseries_data.csv", now=NOW)
    assert set(ds.quality.tables) == {"surveys"}
    rep = ds.quality.tables["surveys"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (900, 900, 0)
    assert rep.mapping["nps"] == "NPS" and rep.mapping["customer_id"] == "Customer Name"
    assert any("No response id column: each row is one response" in n for n in rep.notes)
    got = ds.table("surveys").execute().sort_values("response_id", key=lambda s: s.str.split(":").str[1].astype(int))
    assert got["response_id"].tolist() == [f"NPS_timeseries_data.csv:{i}" for i in range(2, 902)]
    x = raw["NPS"]
    assert got["nps"].tolist() == x.astype(float).tolist()
    promoters, detractors = (got["nps"] >= 9).mean(), (got["nps"] <= 6).mean()
    assert 100 * (promoters - detractors) == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))


def test_a_survey_file_without_ids_beside_orders(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with (tmp_path / "in" / "surveys.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [["客户编号", "提交时间", "满意度"], ["C1", "2023-05-01", "4"], ["C2", "2023-05-02", "5"]])
    with (tmp_path / "in" / "orders.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [["order_id", "customer_id", "order_ts", "amount"], ["O1", "C1", "2023-04-01", "10"],
             ["O2", "C2", "2023-04-03", "12"]])
    ds = ls.load(tmp_path / "in", now=NOW)
    got = ds.table("surveys").execute().sort_values("response_id")
    assert got["response_id"].tolist() == ["surveys.csv:2", "surveys.csv:3"]
    assert got["csat"].tolist() == [4.0, 5.0]


def test_without_ids_and_without_any_answer_it_still_asks_for_the_id(tmp_path: Path) -> None:
    path = tmp_path / "surveys.csv"
    path.write_text("customer_id,answered_ts,comment\nC1,2023-05-01,fine\n", encoding="utf-8")
    with use_lang("en"), pytest.raises(SchemaError, match="response_id"):
        ls.load(path, now=NOW)


def test_the_analysis_of_an_nps_export_shows_its_nps(tmp_path: Path) -> None:
    """`analyze` on the export alone: the satisfaction section's NPS is the share of promoters
    minus the share of detractors of every answer; the purchase sections say what they need."""
    raw = _export(tmp_path / "NPS_timeseries_data.csv")
    an = ls.analyze(ls.load(tmp_path / "NPS_timeseries_data.csv", now=NOW))
    sections = {s.id: s for s in an.sections}
    nps = next(b for b in sections["satisfaction"].blocks
               if isinstance(b, ls.results.Number) and b.metric_id == "nps")
    x = raw["NPS"]
    assert nps.denominator == len(x) and nps.numerator == int((x >= 9).sum() - (x <= 6).sum())
    assert nps.value == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))
    assert sections["value"].skipped and sections["behaviour"].skipped
