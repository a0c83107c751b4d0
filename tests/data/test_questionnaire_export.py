"""A 问卷星 (wjx.cn) satisfaction survey, downloaded as its users download it, read as surveys.

问卷星 is the survey tool of most Chinese companies. Its "按文本下载" CSV (GBK) has the columns
``序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP`` and then one per question, headed by the
question (``3、您对本店的总体满意度：``); choice answers are their text (``非常满意``), a question
left empty is ``(空)`` and one skipped by the survey's logic ``(跳过)``; the file is named
``<survey id>_<n>_<title>_<answers>_<answers>.csv``. Such a file (``..._顾客满意度调查_...``) was read
as a customers table and refused ("no header matches customer_id; plausible: 序号", whose fix
would have made each answer a customer). No public export with a licence was found: the header
shape is that of the public projects that read these files (reportgen's ``wenjuanxing``, the
scripts that drop ``序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP``); the rows are made here
and every number is computed again from the file with pandas.
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

NAME = "123456789_0_顾客满意度调查_300_300.csv"
SAT = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
POINTS = dict(zip(SAT, [5, 4, 3, 2, 1], strict=True))
QUESTIONS = ["1、您的性别：", "2、您对本店的总体满意度：", "3、您向朋友或同事推荐本店的可能性有多大？",
             "4、您还会再次在本店购买吗？", "5、您对本店有什么建议？"]
runner = CliRunner()


def _export(folder: Path, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    sat = rng.choice([*SAT, "(跳过)"], n, p=[0.2, 0.3, 0.2, 0.1, 0.1, 0.1])
    nps = [str(v) if rng.random() > 0.08 else "(空)" for v in rng.integers(0, 11, n)]
    frame = pd.DataFrame({
        "序号": range(1, n + 1),
        "提交答卷时间": [f"2024/{m}/{d} {h}:{mi:02d}:{s:02d}" for m, d, h, mi, s in zip(
            rng.integers(1, 7, n), rng.integers(1, 29, n), rng.integers(8, 23, n),
            rng.integers(0, 60, n), rng.integers(0, 60, n), strict=True)],
        "所用时间": [f"{v}秒" for v in rng.integers(30, 400, n)], "来源": "手机提交",
        "来源详情": "直接访问", "来自IP": [f"117.136.{a}.{b}(广东-广州)" for a, b in rng.integers(1, 250, (n, 2))],
        QUESTIONS[0]: rng.choice(["男", "女"], n), QUESTIONS[1]: sat, QUESTIONS[2]: nps,
        QUESTIONS[3]: rng.choice(["会", "不会", "不确定"], n),
        QUESTIONS[4]: rng.choice(["(空)", "希望多点优惠", "物流快一点"], n)})
    frame.to_csv(folder / NAME, index=False, encoding="gbk")
    return frame


def _nps(values: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(((v >= 9).mean() - (v <= 6).mean()) * 100)


def test_the_export_is_read_as_survey_answers(tmp_path: Path) -> None:
    raw = _export(tmp_path)
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-12-31"))
    rep = ds.quality.tables["surveys"]
    assert rep.rows_read == rep.rows_accepted == len(raw)
    assert rep.mapping == {"response_id": "序号", "answered_ts": "提交答卷时间", "csat": QUESTIONS[1],
                           "nps": QUESTIONS[2], "repurchase_intent": QUESTIONS[3],
                           "comment": QUESTIONS[4]}
    got = ds.table("surveys").to_pandas().sort_values("answered_ts")
    want = raw.assign(ts=pd.to_datetime(raw["提交答卷时间"], format="%Y/%m/%d %H:%M:%S")).sort_values("ts")
    assert got.customer_id.isna().all()  # anonymous: linked to no customer, with a note
    assert rep.orphans == 0  # and pointing at no customer, so at no missing one
    assert any("anonymous questionnaire" in n for n in rep.notes)
    # the words as points, (跳过) and (空) as no answer
    assert np.array_equal(got.csat.to_numpy(), want[QUESTIONS[1]].map(POINTS).to_numpy(float),
                          equal_nan=True)
    assert np.array_equal(got.nps.to_numpy(), pd.to_numeric(want[QUESTIONS[2]], errors="coerce").to_numpy(),
                          equal_nan=True)
    assert got.comment.isna().sum() == (raw[QUESTIONS[4]] == "(空)").sum()
    assert any("five-point scale" in n and QUESTIONS[1] in n for n in rep.notes)


def test_yes_no_answers_are_read_as_the_chance_they_state(tmp_path: Path) -> None:
    """会 / 不会 / 不确定 is no five-point scale (reading 不确定 as 3 and the others as nothing
    would make every answer the middle one): it is a yes / no question, read as 1 / 0 / 0.5 on
    the scale 0-1, with a note (it was not read at all)."""
    raw = _export(tmp_path)
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-12-31"))
    got = ds.table("surveys", "repurchase_intent").to_pandas().sort_values("response_id", key=lambda s: s.astype(int))
    want = raw[QUESTIONS[3]].map({"会": 1.0, "不会": 0.0, "不确定": 0.5})
    assert got.repurchase_intent.tolist() == want.tolist()
    assert ds.config.survey.scales == {"repurchase_intent": "0-1"}
    notes = ds.quality.tables["surveys"].notes
    assert any("yes / no" in n and QUESTIONS[3] in n for n in notes)
    assert not any("value(s) of optional column repurchase_intent" in n for n in notes)


def test_a_yes_no_recommendation_gives_its_share_of_yes(tmp_path: Path) -> None:
    raw = _export(tmp_path)
    raw["6、您会向朋友推荐本店吗？"] = np.random.default_rng(2).choice(["会", "不会"], len(raw), p=[0.7, 0.3])
    raw["7、您愿意继续购买吗？"] = np.random.default_rng(3).choice(["愿意", "不愿意"], len(raw))
    raw.to_csv(tmp_path / NAME, index=False, encoding="gbk")
    ds = ls.load(tmp_path, now=pd.Timestamp("2024-12-31"))
    assert ds.quality.tables["surveys"].mapping["recommend_intent"] == "6、您会向朋友推荐本店吗？"
    index = compute(ds, "recommend_index_seed")  # mean / scale max x 100 by month: the share of yes
    assert index.numerator.sum() / index.denominator.sum() == pytest.approx(
        (raw["6、您会向朋友推荐本店吗？"] == "会").mean() * 100)
    assert ds.config.survey.scales["recommend_intent"] == "0-1"


def test_analyze_reports_its_nps_and_csat(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    raw = _export(data)
    rows = ["order_id,customer_id,order_ts,amount",
            *[f"A{i},C{i % 40},2024-{1 + i % 6:02d}-{1 + i % 27:02d},{10 + i % 7}" for i in range(400)]]
    (data / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (data / "customers.csv").write_text("customer_id\n" + "\n".join(f"C{i}" for i in range(40)) + "\n",
                                        encoding="utf-8")
    # the anonymous answers point at no customer: none is counted as an unknown customer's
    assert ls.load(data, now=pd.Timestamp("2024-12-31")).quality.tables["surveys"].orphans == 0
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(data), "--out", str(out), "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    sections = json.loads((out / "analysis.json").read_text(encoding="utf-8"))["sections"]
    blocks = {b.get("metric_id"): b for b in sections["satisfaction"]["blocks"] if b.get("metric_id")}
    assert blocks["nps"]["value"] == pytest.approx(_nps(raw[QUESTIONS[2]]))
    assert blocks["nps"]["denominator"] == (raw[QUESTIONS[2]] != "(空)").sum()
    answered = raw[QUESTIONS[1]][raw[QUESTIONS[1]] != "(跳过)"]
    assert blocks["csat_top2"]["denominator"] == len(answered)
    assert blocks["csat_top2"]["numerator"] == answered.isin(SAT[:2]).sum()
    # no answer is a customer: no curve of repurchase by satisfaction, no customer without an id
    titles = [b.get("title") for b in sections["satisfaction"]["blocks"]]
    assert "survey.section.sat_loyalty" not in titles
    customers = pd.read_parquet(out / "customers.parquet")
    assert customers.customer_id.notna().all() and len(customers) == 40


def test_survey_nps_command_reads_the_question(tmp_path: Path) -> None:
    raw = _export(tmp_path)
    res = runner.invoke(app, ["survey", "nps", "--data", str(tmp_path / NAME), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["column"] == QUESTIONS[2]
    assert out["nps"] == pytest.approx(_nps(raw[QUESTIONS[2]]))
    assert out["n"] == (raw[QUESTIONS[2]] != "(空)").sum()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_numeric_download_is_said_to_code_options_by_position(tmp_path: Path, suffix: str) -> None:
    """问卷星's "按序号下载" writes 1 for the first option: with 非常满意 first, 1 is very
    satisfied and the numbers read upside down; nothing in them tells, so a note says so."""
    raw = _export(tmp_path)
    (tmp_path / NAME).unlink()
    coded = raw.assign(**{QUESTIONS[1]: raw[QUESTIONS[1]].map({w: i + 1 for i, w in enumerate(SAT)})})
    path = tmp_path / NAME.replace(".csv", suffix)
    if suffix == ".csv":
        coded.to_csv(path, index=False, encoding="gbk")
    else:
        coded.to_excel(path, index=False)
    notes = ls.load(tmp_path, now=pd.Timestamp("2024-12-31")).quality.tables["surveys"].notes
    said = [n for n in notes if "按序号" in n]
    assert len(said) == 1 and QUESTIONS[1] in said[0] and "upside down" in said[0]


def test_the_text_download_has_no_such_note(tmp_path: Path) -> None:
    _export(tmp_path)
    notes = ls.load(tmp_path, now=pd.Timestamp("2024-12-31")).quality.tables["surveys"].notes
    assert not any("按序号" in n for n in notes)
