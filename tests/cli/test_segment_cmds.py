"""`loyalscope segment rfm`, `loyalscope index`, `loyalscope churn` on a folder of CSVs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 customers over two years; those with a complaint mostly stop buying after it."""
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2022-01-01")
    tx, cps = [], []
    for i in range(300):
        cid = f"c{i:03d}"
        stop = 730.0
        if rng.random() < 0.4:
            day = rng.uniform(0, 600)
            cps.append((f"k{i}", cid, start + pd.Timedelta(days=day), "minor", True))
            stop = day + 3
        t, k = rng.uniform(0, 60), 0
        while t < stop:
            tx.append((f"o{i}_{k}", cid, start + pd.Timedelta(days=t), round(float(rng.gamma(2, 30)), 2),
                       str(rng.choice(["a", "b", "c"]))))
            t += rng.exponential(20)
            k += 1
    d = tmp_path_factory.mktemp("shop")
    pd.DataFrame(tx, columns=["order_id", "customer_id", "order_ts", "amount", "category"]).to_csv(
        d / "transactions.csv", index=False)
    pd.DataFrame(cps, columns=["complaint_id", "customer_id", "opened_ts", "severity", "resolved"]).to_csv(
        d / "complaints.csv", index=False)
    return d


@pytest.mark.parametrize(("scheme", "n_segments"), [("classic11", 11), ("cn8", 8)])
def test_rfm_json(folder: Path, scheme: str, n_segments: int) -> None:
    res = runner.invoke(app, ["segment", "rfm", str(folder), "--scheme", scheme, "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["segments"]) == n_segments
    buyers = pd.read_csv(folder / "transactions.csv").customer_id.nunique()
    assert sum(out["segments"].values()) == len(out["customers"]) == buyers
    c = out["customers"][0]
    assert set(c) == {"customer_id", "r", "f", "m", "segment"}
    assert all(1 <= x[k] <= 5 for x in out["customers"] for k in ("r", "f", "m"))


def test_rfm_bad_scheme_file_is_a_clear_json_error(folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('key = "high_low"\n[[segment]]\nid = "a"\ncodes = ["H.."]\n', encoding="utf-8")
    res = runner.invoke(app, ["segment", "rfm", str(folder), "--scheme", str(bad), "--json"])
    assert res.exit_code == 2
    err = json.loads(res.stdout)
    assert err["error"] == "ConfigError" and err["file"] == str(bad) and err["fix"]


@pytest.mark.parametrize("weights", ["ahp", "entropy"])
def test_index_json(folder: Path, weights: str) -> None:
    res = runner.invoke(app, ["index", str(folder), "--weights", weights, "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert sum(out["weights"].values()) == pytest.approx(1.0)
    assert all(0 <= c["loyalty_index"] <= 100 for c in out["customers"])
    if weights == "ahp":
        assert len(out["notes"]) == 5  # survey indicators A21, A31-A34 are absent


def test_index_weights_file(folder: Path, tmp_path: Path) -> None:
    w = tmp_path / "w.toml"
    w.write_text("[weights]\nA12 = 1.0\n", encoding="utf-8")
    out = json.loads(runner.invoke(app, ["index", str(folder), "--weights", str(w), "--json"]).stdout)
    assert out["weights"] == {"A12": 1.0}


def test_churn_json(folder: Path) -> None:
    res = runner.invoke(app, ["churn", str(folder), "--horizon", "60", "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["horizon_days"] == 60
    assert out["auc_valid"] > 0.7 and out["discriminates"] is True
    assert out["auc_valid_interval"][0] > 0.5
    assert len(out["lift"]) == 10
    assert all(0 <= c["churn_probability"] <= 1 for c in out["customers"])


def test_human_output(folder: Path) -> None:
    res = runner.invoke(app, ["segment", "rfm", str(folder), "--lang", "zh", "--scheme", "cn8"])
    assert res.exit_code == 0
    assert "重要价值客户" in res.stdout


def test_index_inconsistent_ahp_file_names_the_matrix(folder: Path, tmp_path: Path) -> None:
    w = tmp_path / "ahp.toml"
    w.write_text(
        '[criteria]\nitems = ["A1", "A2", "A3"]\nmatrix = [[1, 5, "1/5"], ["1/5", 1, 5], [5, "1/5", 1]]\n'
        '[groups.A1]\nitems = ["A12"]\nmatrix = [[1]]\n[groups.A2]\nitems = ["A22"]\nmatrix = [[1]]\n'
        '[groups.A3]\nitems = ["A34"]\nmatrix = [[1]]\n', encoding="utf-8")
    res = runner.invoke(app, ["index", str(folder), "--weights", str(w), "--json", "--lang", "en"])
    assert res.exit_code == 2
    err = json.loads(res.stdout)
    assert err["error"] == "ConfigError"
    assert err["value"] == "criteria" and err["file"] == str(w)
    assert "CR" in err["message"]


def test_index_reports_excellent_tiers(folder: Path) -> None:
    """Tiers follow the score cut-offs; without a value model CLV drops out with a note; the
    top spenders (contribution) score above the bottom ones."""
    res = runner.invoke(app, ["index", str(folder), "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    ex = out["excellent"]
    assert sum(ex["weights"].values()) == pytest.approx(1.0)
    assert "value" not in ex["weights"] and "contribution" in ex["weights"]
    assert any("value" in n.lower() or "lifetime" in n.lower() for n in ex["notes"])
    rows = pd.DataFrame(out["customers"])
    assert sum(ex["tiers"].values()) == rows.excellent_tier.notna().sum() == len(rows)
    cut = np.select([rows.excellent_score >= 0.75, rows.excellent_score >= 0.5,
                     rows.excellent_score >= 0.25], ["A", "B", "C"], "D")
    assert (cut == rows.excellent_tier).all()
    # the top spenders rank above the bottom ones on average
    spend = pd.read_csv(folder / "transactions.csv").groupby("customer_id").amount.sum()
    rows["spend"] = rows.customer_id.map(spend)
    top = rows.nlargest(30, "spend").excellent_score.mean()
    bottom = rows.nsmallest(30, "spend").excellent_score.mean()
    assert top > bottom


def test_churn_horizon_longer_than_the_data_supports_is_a_clear_error(folder: Path) -> None:
    """Before: ``churn --horizon 365`` on two years trained at a cut-off 4 days after the data
    start and still reported an AUC. Three horizons of history are needed."""
    res = runner.invoke(app, ["churn", str(folder), "--horizon", "365", "--json", "--lang", "en"])
    assert res.exit_code == 2, res.output
    err = json.loads(res.stdout)
    assert err["error"] == "InsufficientDataError"
    assert "365 days needs 1095 days" in err["message"] and "--horizon 2" in err["fix"]


def test_churn_tiers_are_relative(folder: Path) -> None:
    out = json.loads(runner.invoke(app, ["churn", str(folder), "--horizon", "60", "--json"]).stdout)
    tiers = pd.Series([c["tier"] for c in out["customers"]])
    p = pd.Series([c["churn_probability"] for c in out["customers"]])
    assert 0 < (tiers == "high").mean() <= 0.1 + 1e-9
    assert p[tiers == "high"].min() >= p[tiers != "high"].max()
    lift = pd.Series([c["lift"] for c in out["customers"]])
    assert lift.to_numpy() == pytest.approx((p / out["base_rate"]).to_numpy())


def test_churn_of_a_model_no_better_than_chance_ranks_nobody(tmp_path: Path) -> None:
    # every customer buys as one Poisson process: nothing in the past tells who will stop
    rng = np.random.default_rng(3)
    start, days, rows = pd.Timestamp("2022-01-01"), 3 * 365, []
    for c in range(800):
        for i, d in enumerate(np.sort(rng.uniform(0, days, rng.poisson(days / 45)))):
            rows.append((f"O{c}_{i}", f"C{c:04d}", str(start + pd.Timedelta(days=float(d))), 10.0))
    pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "amount"]).to_csv(
        tmp_path / "transactions.csv", index=False)
    res = runner.invoke(app, ["churn", str(tmp_path), "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    lo, hi = out["auc_valid_interval"]
    assert lo <= 0.5 <= hi and out["discriminates"] is False
    assert out["not_used"] == "no_discrimination" and out["customers"] == []
    assert "better than chance" in out["message"] and "lift" not in out
    text = runner.invoke(app, ["churn", str(tmp_path), "--lang", "en"])
    words = " ".join(text.stdout.split())  # the console wraps lines
    assert text.exit_code == 0 and "better than chance" in words and "top decile lift" not in words
