"""``loyalscope metrics list / compute`` through the real CLI on a folder of CSV files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app

sys.path.insert(0, str(Path(__file__).parents[1] / "metrics"))
from canonical_frames import make_frames


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("csv")
    fr = make_frames(seed=3)
    for name in ("customers", "transactions", "complaints"):
        fr[name].to_csv(d / f"{name}.csv", index=False)
    return d


def test_compute_json_matches_pandas(folder):
    res = CliRunner().invoke(
        app, ["metrics", "compute", str(folder), "--metric", "repeat_purchase_rate",
              "--period", "quarter", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["metric"] == "repeat_purchase_rate"
    tx = pd.read_csv(folder / "transactions.csv", parse_dates=["order_ts"])
    tx["q"] = tx.order_ts.dt.to_period("Q").dt.start_time.dt.date.astype(str)
    n = tx.groupby(["q", "customer_id"]).size()
    ref = (n >= 2).groupby(level=0).agg(["sum", "count"])
    got = {r["period"]: r for r in out["rows"]}
    assert sorted(got) == sorted(ref.index)
    for q, row in ref.iterrows():
        assert got[q]["numerator"] == row["sum"]
        assert got[q]["denominator"] == row["count"]
        assert got[q]["value"] == pytest.approx(row["sum"] / row["count"])


def test_compute_json_gives_the_cases_behind_a_share_of_revenue(folder):
    res = CliRunner().invoke(
        app, ["metrics", "compute", str(folder), "-m", "pareto_share", "--period", "quarter", "--json"]
    )
    assert res.exit_code == 0, res.output
    tx = pd.read_csv(folder / "transactions.csv", parse_dates=["order_ts"])
    customers = tx.groupby(tx.order_ts.dt.to_period("Q").dt.start_time.dt.date.astype(str)).customer_id.nunique()
    assert {r["period"]: r["n"] for r in json.loads(res.stdout)["rows"]} == customers.to_dict()


def test_compute_by_group(folder):
    res = CliRunner().invoke(
        app, ["metrics", "compute", str(folder), "-m", "purchase_frequency", "--by", "region",
              "--period", "year", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["rows"]
    assert {r["region"] for r in rows} == {"north", "south", "east"}


def test_list_says_why_not(folder):
    res = CliRunner().invoke(app, ["metrics", "list", str(folder), "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.stdout)["metrics"]}
    assert rows["repeat_purchase_rate"]["computable"] is True
    assert rows["share_of_wallet"]["computable"] is False
    assert "surveys.share_of_wallet" in rows["share_of_wallet"]["why"]


def test_unknown_metric_fails_cleanly(folder):
    res = CliRunner().invoke(app, ["metrics", "compute", str(folder), "-m", "nope", "--json"])
    assert res.exit_code == 2
    assert "metrics list" in res.stdout
