"""``loyalscope simulate``: files written, JSON output, errors as JSON with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.data import schema

runner = CliRunner()


def test_simulate_json_lists_files_rows_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "company"
    res = runner.invoke(app, ["simulate", "--customers", "200", "--days", "300", "--seed", "2",
                              "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["format"] == "csv" and doc["seed"] == 2
    assert set(doc["files"]) == set(schema.TABLE_NAMES) | {"truth", "crm_export"}
    assert doc["rows"]["customers"] == 200
    tx = pd.read_csv(out / "transactions.csv")
    assert len(tx) == doc["rows"]["transactions"]
    assert doc["truth"]["bgnbd"]["r"] == 0.5
    assert Path(doc["files"]["crm_export"]) == out / "crm_export" / "订单_gbk.csv"


def test_simulate_parquet_and_same_seed_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        res = runner.invoke(app, ["simulate", "--customers", "150", "--days", "200", "--out",
                                  str(tmp_path / name), "--format", "parquet"])
        assert res.exit_code == 0, res.output
        assert "150" in res.stdout
    for table in schema.TABLE_NAMES:
        a = (tmp_path / "a" / f"{table}.parquet").read_bytes()
        assert a == (tmp_path / "b" / f"{table}.parquet").read_bytes(), table
    assert not list((tmp_path / "a").glob("*.csv"))


def test_simulate_errors_are_json_with_a_fix(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "--customers", "0", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    assert doc["error"] == "ConfigError" and "--customers" in doc["fix"]
    res = runner.invoke(app, ["simulate", "--out", str(tmp_path), "--format", "xlsx", "--json"])
    assert res.exit_code == 2 and json.loads(res.stdout)["value"] == "xlsx"
