"""A repurchase intent asked on 1-7 but left on the default scale 1-5 gives no attitudinal loyalty
(48a303b: no score rather than one clipped at 5); the segments section says so, in analysis.json
and the report in both languages: which column was left out, the answers outside the scale, and
the line that declares it. It said nothing: the dimension table showed an empty attitudinal row."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.i18n import t
from loyalscope.report.format import render_kw

runner = CliRunner()
FIX = '[survey.scales] repurchase_intent = "1-7"'


def _data(folder: Path) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = ["order_id,customer_id,order_ts,amount",
            *[f"A{i},C{i % 50},2024-{1 + i % 9:02d}-{1 + i % 27:02d},{10 + i % 7}" for i in range(500)]]
    (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    n = 120
    answers = pd.DataFrame({
        "response_id": [f"R{i}" for i in range(n)], "customer_id": [f"C{i % 50}" for i in range(n)],
        "answered_ts": [f"2024-0{1 + i % 6}-15" for i in range(n)],
        "csat": rng.integers(1, 6, n), "repurchase_intent": rng.integers(1, 8, n)})
    answers.to_csv(folder / "surveys.csv", index=False)
    return answers


def test_the_intent_left_out_of_the_attitudinal_loyalty_is_said(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    raw = _data(data)
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(data), "--out", str(out), "--json", "--lang", "zh"])
    assert res.exit_code == 0, res.output
    sec = json.loads((out / "analysis.json").read_text(encoding="utf-8"))["sections"]["segments"]
    low, high = float(raw.repurchase_intent.min()), float(raw.repurchase_intent.max())
    assert high == 7  # pandas: the answers leave 1-5

    [left] = sec["data"]["left_out"]
    assert left["column"] == "surveys.repurchase_intent" and left["dimension"] == "attitudinal"
    assert (left["low"], left["high"], left["seen"], left["scale"]) == (low, high, 7.0, "1-5")
    assert left["n"] == raw.repurchase_intent.notna().sum()
    assert FIX in left["fix"]

    [block] = [b for b in sec["blocks"] if b.get("key") == "segments.report.more.left_out"]
    assert block["style"] == "warning"
    for lang, words in (("en", "is left out"), ("zh", "未纳入")):
        text = t(block["key"], lang, **render_kw(block["kw"], lang))
        assert words in text and "`surveys.repurchase_intent`" in text, text
        assert FIX in text and "1-5" in text and "7" in text, text
    pages = sorted(out.glob("report*.html"))  # both languages' reports show it, the fix as written
    assert len(pages) == 2
    for page in pages:
        shown = html.unescape(page.read_text(encoding="utf-8"))
        assert "surveys.repurchase_intent" in shown and FIX in shown, page.name

    # the table still shows no attitudinal score (not one clipped to 1-5), the others computed
    dims = next(b for b in sec["blocks"] if b.get("title") == "segments.report.more.dimensions")
    rows = {r["dimension"].rsplit(".", 1)[-1]: r for r in dims["frame"]}
    assert rows["attitudinal"]["customers"] == 0 and rows["attitudinal"]["score"] is None
    per = raw.groupby("customer_id").csat.mean()
    assert rows["emotional"]["score"] == pytest.approx(((per - 1) / 4).mean())
