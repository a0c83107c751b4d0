"""No NaN, infinity or absurd number (|x| > 1e12) reaches analysis.json, the reports or the
workbook, on real data.

Real data: the CDNOW sample of Fader, Hardie & Lee (2005) (``tests/data``), whole and cut down
to 59 repeat buyers among its one-time buyers (the issue's case: 59 repeat buyers in 8,016
customers gave MBG/NBD a = b = 2e6, Gamma-Gamma p = 8e108 printed in full, CLV NaN shown as
"Total CLV 0.00" and histogram bins "nan-nan"); and every real export excerpt in
``tests/data/real/`` (see ``tests/data/README.md``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import loyalscope as ls
from loyalscope.analysis import analyze
from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.report.outputs import write_outputs

DATA = Path(__file__).parent / "data"
REAL = sorted(p for p in (DATA / "real").glob("*") if p.is_dir()) if (DATA / "real").is_dir() else []
LIMIT = 1e12
# a NaN or infinity printed as text: "nan", "NaN", "inf", "Infinity", "nan-nan" (not inside words)
BAD_TEXT = re.compile(r"(?<![A-Za-z])(nan|NaN|NAN|inf|Inf|Infinity|-inf)(?![A-Za-z])")


def cdnow(repeat_buyers: int | None = None) -> Dataset:
    raw = pd.read_csv(DATA / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})
    tx = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(raw))], "customer_id": raw.customer_id.astype(str),
                       "order_ts": pd.to_datetime(raw.date, format="%Y%m%d"), "amount": raw.amount.astype(float)})
    if repeat_buyers is not None:
        days = tx.groupby("customer_id").order_ts.nunique()
        keep = set(days.index[days == 1]) | set(days.index[days > 1][:repeat_buyers])
        tx = tx[tx.customer_id.isin(keep)]
    return Dataset.from_frames({"transactions": tx})


def _numbers(obj, path="$"):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, obj


def check_outputs(out: Path) -> None:
    text = (out / "analysis.json").read_text(encoding="utf-8")
    payload = json.loads(text, parse_constant=lambda c: pytest.fail(f"analysis.json holds {c}"))
    bad = [(p, v) for p, v in _numbers(payload) if not math.isfinite(v) or abs(v) > LIMIT]
    assert not bad, bad[:10]
    for name in ("report.html", "report.en.html", "report.zh.html"):
        if not (out / name).exists():
            continue
        html = (out / name).read_text(encoding="utf-8")
        visible = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # Plotly's own code aside
        visible = re.sub(r"<[^>]+>", " ", visible)
        found = BAD_TEXT.findall(visible)
        assert not found, (name, found[:10])
        for figure in re.findall(r"Plotly\.newPlot\([^,]+,\s*(\[.*?\]),\s*\{", html, flags=re.S):
            assert "NaN" not in figure and "Infinity" not in figure
    book = load_workbook(out / "loyalscope.xlsx", read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                if isinstance(cell, float):
                    assert math.isfinite(cell) and abs(cell) <= LIMIT, (sheet.title, row)
                elif isinstance(cell, str):
                    assert not BAD_TEXT.fullmatch(cell.strip()), (sheet.title, row)


@pytest.mark.parametrize("repeat_buyers", [None, 59], ids=["cdnow", "cdnow_59_repeat_buyers"])
def test_cdnow_outputs_are_finite(tmp_path, repeat_buyers):
    ds = cdnow(repeat_buyers)
    result = analyze(ds)
    write_outputs(result, ds, tmp_path, "en")
    check_outputs(tmp_path)
    value = result.section("value").data
    if value["status"]["status"] == "not_estimable":  # explained, with no model numbers
        assert "clv_total" not in value and "params" not in value
    else:  # every parameter shown is inside its space, and the spend model's too
        assert all(1e-6 < v < 1e6 for v in value["params"].values())
        assert value["spend_status"]["status"] == "not_estimable" or all(
            v < 1e6 for v in value["spend_params"].values())


@pytest.mark.slow
@pytest.mark.parametrize("folder", REAL, ids=[p.name for p in REAL])
def test_real_export_outputs_are_finite(tmp_path, folder):
    toml = folder / "loyalscope.toml"  # the settings a user keeps beside the export, as `analyze` reads them
    config = AnalysisConfig.load(toml) if toml.exists() else None
    ds = ls.load(folder, config=config)  # a folder of one file named anything: judged from its columns
    result = analyze(ds)
    write_outputs(result, ds, tmp_path, "zh")
    check_outputs(tmp_path)
