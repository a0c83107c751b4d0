"""``loyalscope survey efa`` on the bank survey: KMO and Bartlett against independent formulas."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from loyalscope.cli import app

runner = CliRunner()
ITEMS = [f"{b}{i}" for b, k in (("sat", 4), ("loy", 4), ("val", 4)) for i in range(1, k + 1)]


def test_json_kmo_bartlett_and_two_or_more_factors(data_dir):
    path = data_dir / "ecsi_bank_satisfaction.csv"
    res = runner.invoke(app, ["survey", "efa", "--data", str(path), "--items", ",".join(ITEMS), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    x = pd.read_csv(path)[ITEMS].to_numpy(float)
    r = np.corrcoef(x, rowvar=False)
    n, p = x.shape
    chi2 = -(n - 1 - (2 * p + 5) / 6) * np.log(np.linalg.det(r))
    assert out["bartlett"]["chi2"] == pytest.approx(chi2, rel=1e-10)
    assert out["bartlett"]["p"] == pytest.approx(stats.chi2.sf(chi2, p * (p - 1) / 2), abs=1e-300)
    s = np.linalg.inv(r)
    partial = -s / np.sqrt(np.outer(np.diag(s), np.diag(s)))
    off = ~np.eye(p, dtype=bool)
    kmo = (r[off] ** 2).sum() / ((r[off] ** 2).sum() + (partial[off] ** 2).sum())
    assert out["kmo"] == pytest.approx(kmo, rel=1e-10)
    assert out["factors"] == int((np.linalg.eigvalsh(r) > 1).sum()) and out["factors_rule"] == "kaiser"
    assert set(out["loadings"]) == set(ITEMS) and out["n"] == 250
    table = runner.invoke(app, ["survey", "efa", "--data", str(path), "--items", ",".join(ITEMS), "--factors", "3"])
    assert table.exit_code == 0 and "KMO" in table.output


def test_errors_are_clear(data_dir, tmp_path):
    path = data_dir / "ecsi_bank_satisfaction.csv"
    res = runner.invoke(app, ["survey", "efa", "--data", str(path), "--items", "sat1,nope,loy1", "--json"])
    err = json.loads(res.stdout)
    assert res.exit_code == 2 and err["column"] == "nope" and "--items" in err["fix"]
    res = runner.invoke(app, ["survey", "efa", "--data", str(path), "--items", "sat1,loy1", "--json"])
    assert res.exit_code == 2 and json.loads(res.stdout)["error"] == "InsufficientDataError"
    res = runner.invoke(app, ["survey", "efa", "--data", str(path), "--rotation", "oblimin", "--json"])
    assert res.exit_code == 2 and "oblimin" in json.loads(res.stdout)["message"]


def test_a_questionnaire_export_with_no_answer_marks(tmp_path):
    """A 问卷星 export (GBK): 序号 first, items holding "(空)" where a question was skipped. The
    items were text (every one left out of the default) and 序号 an item; now "(空)" is no
    answer, 序号 an id, and the statistics those of the complete answers, read with pandas."""
    rng = np.random.default_rng(3)
    n = 200
    f = rng.normal(size=(n, 2))
    items = {}
    for k in range(6):
        v = np.clip(np.round(3 + f[:, k // 3] + rng.normal(scale=0.6, size=n)), 1, 5).astype(int).astype(str)
        v = v.astype(object)
        v[rng.random(n) < 0.05] = "(空)"
        items[f"{k + 1}、题{k + 1}"] = v
    path = tmp_path / "问卷星.csv"
    pd.DataFrame({"序号": range(1, n + 1), **items}).to_csv(path, index=False, encoding="gbk")
    res = runner.invoke(app, ["survey", "efa", "--data", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    raw = pd.read_csv(path, encoding="gbk", dtype=str)[list(items)]
    complete = raw[~raw.isin(["(空)"]).any(axis=1)].astype(float).to_numpy()
    assert out["items"] == list(items) and out["n"] == len(complete) and out["left_out"] == n - len(complete)
    r = np.corrcoef(complete, rowvar=False)
    p = r.shape[0]
    chi2 = -(len(complete) - 1 - (2 * p + 5) / 6) * np.log(np.linalg.det(r))
    assert out["bartlett"]["chi2"] == pytest.approx(chi2, rel=1e-10)
    assert out["factors"] == int((np.linalg.eigvalsh(r) > 1).sum()) == 2
