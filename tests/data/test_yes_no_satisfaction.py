"""A satisfaction question answered yes / no (您对我们的服务满意吗？是 / 否; Were you satisfied?
Yes / No), as 问卷星, 腾讯问卷 and Google Forms text downloads write it.

Its answers were no numbers and no five-point words, so every one was an unreadable value and
every satisfaction number was refused. They are read as yes 1, no 0, unsure 0.5 on the scale
0-1, with a note, under the guard of the yes / no intents (every answer such a word, one of them
no five-point word: 满意 / 不满意 stay 4 / 2); CSAT is then the share of yes (a question of two
answers has no top two boxes), the satisfaction score 100 x the mean, and the loyalty dimensions
and the satisfaction x loyalty quadrant read the 0-1 scale. Every number here is computed again
from the written file with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.metrics.registry import compute

NAME = "123456789_0_服务满意度调查_300_300.csv"
SAT_Q = "2、您对我们的服务满意吗？"
NPS_Q = "3、您向朋友或同事推荐本店的可能性有多大？"
YES_NO = {"是": 1.0, "否": 0.0}
runner = CliRunner()


def _export(folder: Path, n: int = 300) -> pd.DataFrame:
    """A 问卷星 text download whose satisfaction question is answered 是 / 否 (some skipped), with
    the member id asked, so the answers link to the customers of the orders."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({
        "序号": range(1, n + 1),
        "提交答卷时间": [f"2024/{m}/{d} {h}:{mi:02d}:00" for m, d, h, mi in zip(
            rng.integers(1, 7, n), rng.integers(1, 29, n), rng.integers(8, 23, n),
            rng.integers(0, 60, n), strict=True)],
        "所用时间": [f"{v}秒" for v in rng.integers(30, 400, n)],
        "会员号": [f"C{v}" for v in rng.integers(0, 60, n)],
        SAT_Q: rng.choice(["是", "否", "(跳过)"], n, p=[0.62, 0.31, 0.07]),
        NPS_Q: rng.integers(0, 11, n).astype(str),
        "4、您对本店有什么建议？": rng.choice(["(空)", "希望多点优惠", "物流快一点", "服务态度好"], n)})
    frame.to_csv(folder / NAME, index=False, encoding="gbk")
    return frame


def _orders(folder: Path) -> None:
    rows = ["order_id,customer_id,order_ts,amount",
            *[f"A{i},C{i % 60},2024-{1 + i % 9:02d}-{1 + i % 27:02d},{10 + i % 7}" for i in range(600)]]
    (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "customers.csv").write_text("customer_id\n" + "\n".join(f"C{i}" for i in range(60)) + "\n",
                                          encoding="utf-8")


def test_analyze_reads_a_yes_no_satisfaction_question(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    raw = _export(data)
    _orders(data)
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(data), "--out", str(out), "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    sections = doc["sections"]
    sat = sections["satisfaction"]
    numbers = {b["metric_id"]: b for b in sat["blocks"] if b.get("metric_id")}

    answered = raw[SAT_Q][raw[SAT_Q] != "(跳过)"].map(YES_NO)  # pandas, from the file
    csat = numbers["csat_top2"]  # the share of yes, named so
    assert csat["label"] == "metrics.csat_top2.yes_no.name"
    assert csat["denominator"] == len(answered)
    assert csat["numerator"] == (answered == 1).sum()
    assert csat["value"] == pytest.approx(answered.mean())
    assert sat["data"]["csat_top2"]["yes_no"] is True
    # monitored: the score's expected ranges stay on 0-100, and months without answers have none
    watched = sections["monitoring"]["data"]["series"]["satisfaction_score"]
    assert all(0 <= p["low"] <= p["high"] <= 100 for p in watched if p["high"] is not None)
    assert any(p["high"] is not None for p in watched)
    assert all(p["low"] is None and p["high"] is None for p in watched if p["n"] == 0)
    assert any(b.get("key") == "survey.section.csat_yes_no_note" for b in sat["blocks"])
    score = numbers["satisfaction_score"]  # 100 x mean on 0-1, not mean / 5 x 100
    assert score["value"] == pytest.approx(100 * answered.mean())
    assert score["note_kw"] == {"column": "surveys.csat", "scale": "0-1"}
    assert not sat["data"].get("refused")  # nothing refused as outside a 1-5 scale
    read_notes = [n["note"] for n in sections["data"]["data"]["read_notes"]]
    assert any("is answered yes / no" in n and SAT_Q in n for n in read_notes)

    # repurchase by satisfaction level: the levels are the answers, yes 1 and no 0
    assert {p["satisfaction"] for p in sat["data"]["sat_loyalty"]} <= {0.0, 1.0}

    # the loyalty dimensions and the quadrant read the 0-1 scale: each customer's share of yes
    per = raw.assign(csat=raw[SAT_Q].map(YES_NO), nps=pd.to_numeric(raw[NPS_Q]) / 10)
    per = per.groupby("会员号")[["csat", "nps"]].mean()
    seg = {b["title"]: b for b in sections["segments"]["blocks"] if b.get("title")}
    dims = {r["dimension"].rsplit(".", 1)[-1]: r for r in seg["segments.report.more.dimensions"]["frame"]}
    assert dims["emotional"]["score"] == pytest.approx(per[["csat", "nps"]].mean(axis=1).mean())
    assert dims["emotional"]["customers"] == len(per)
    quadrant = pd.DataFrame(seg["segments.report.quadrant_chart"]["frame"])
    assert (quadrant.customers * quadrant.satisfaction).sum() / quadrant.customers.sum() == pytest.approx(
        per.csat.dropna().mean())
    assert quadrant.customers.sum() == per.csat.notna().sum()


@pytest.mark.parametrize(("answers", "words"), [
    (["Yes", "No", "Not sure"], {"Yes": 1.0, "No": 0.0, "Not sure": 0.5}),
    (["是", "否"], YES_NO),
])
def test_a_yes_no_satisfaction_gives_its_share_of_yes(tmp_path: Path, answers: list[str],
                                                      words: dict[str, float]) -> None:
    """A Google Forms download (Timestamp, the questions as headers): CSAT counts the yes answers
    only (unsure is no top box), the satisfaction score counts unsure half."""
    rng = np.random.default_rng(4)
    n = 120
    raw = pd.DataFrame({
        "Timestamp": [f"2024-{m:02d}-{d:02d} 10:00:00" for m, d in zip(
            rng.integers(1, 7, n), rng.integers(1, 29, n), strict=True)],
        "Were you satisfied with our service?": rng.choice(answers, n),
        "How likely are you to recommend us to a friend? (0-10)": rng.integers(0, 11, n)})
    raw.to_csv(tmp_path / "Customer feedback (Responses).csv", index=False)
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-12-31"))
    rep = ds.quality.tables["surveys"]
    assert rep.mapping["csat"] == "Were you satisfied with our service?"
    assert ds.config.survey.scales["csat"] == "0-1"
    points = raw["Were you satisfied with our service?"].map(words)
    got = ds.table("surveys", "csat").to_pandas().csat
    assert sorted(got.tolist()) == sorted(points.tolist())
    top = compute(ds, "csat_top2")
    assert top.numerator.sum() == (points == 1).sum() and top.denominator.sum() == n
    score = compute(ds, "satisfaction_score")
    assert score.numerator.sum() / score.denominator.sum() == pytest.approx(100 * points.mean())
    assert any("is answered yes / no" in n for n in rep.notes)


def test_a_satisfaction_column_mixing_yes_no_and_free_text_is_not_yes_no(tmp_path: Path) -> None:
    """是 / 否 beside free text ("还行吧，就是物流慢") is no yes / no question: nothing in it is
    read as 1 / 0 (its 是 / 否 stay unreadable values, as before), the scale stays 1-5."""
    raw = _export(tmp_path)
    raw.loc[raw.index[::10], SAT_Q] = "还行吧，就是物流慢"
    raw.to_csv(tmp_path / NAME, index=False, encoding="gbk")
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-12-31"))
    rep = ds.quality.tables["surveys"]
    assert rep.mapping["csat"] == SAT_Q
    assert "csat" not in ds.config.survey.scales and "csat" not in rep.answer_scales
    assert ds.table("surveys", "csat").to_pandas().csat.isna().all()
    assert not any("yes / no" in n for n in rep.notes)
    unread = (raw[SAT_Q] != "(跳过)").sum()
    assert any(f"{unread} value(s) of optional column csat" in n for n in rep.notes)


def test_satisfied_and_dissatisfied_stay_five_point_words(tmp_path: Path) -> None:
    """满意 / 不满意 are five-point words (4 / 2), not yes / no: CSAT top-2 counts 满意."""
    raw = _export(tmp_path)
    raw[SAT_Q] = raw[SAT_Q].map({"是": "满意", "否": "不满意", "(跳过)": "(跳过)"})
    raw.to_csv(tmp_path / NAME, index=False, encoding="gbk")
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-12-31"))
    assert "csat" not in ds.config.survey.scales
    got = ds.table("surveys", "csat").to_pandas().csat.dropna()
    assert sorted(got.unique()) == [2.0, 4.0]
    top = compute(ds, "csat_top2")
    assert top.numerator.sum() == (raw[SAT_Q] == "满意").sum()
