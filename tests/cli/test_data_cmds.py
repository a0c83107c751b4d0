"""``loyalscope validate``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.i18n import use_lang


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English whatever LANG the machine has."""
    with use_lang("en"):
        yield


runner = CliRunner()


def _files(tmp_path: Path) -> Path:
    (tmp_path / "订单.csv").write_text(
        "订单编号,会员号,下单时间,实付金额\nA1,C1,2024-01-05,100\nA1,C1,2024-01-05,100\nA2,C1,,5\n"
        "A3,C1,2024-01-06,1\n", encoding="utf-8-sig")
    return tmp_path


def test_validate_json_and_quarantine_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    folder = _files(tmp_path / "in")
    res = runner.invoke(app, ["validate", str(folder), "--json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    tx = body["transactions"]
    assert (tx["rows_read"], tx["rows_accepted"], tx["rows_quarantined"]) == (4, 2, 2)
    assert tx["mapping"]["customer_id"] == "会员号"
    assert tx["quarantine_reasons"] == {"missing_required": 1, "duplicate_key": 1}
    q = pd.read_csv(tmp_path / "out" / "quarantine.csv", encoding="utf-8-sig")
    assert sorted(q["line"]) == [3, 4]


def test_validate_table_output(tmp_path: Path) -> None:
    res = runner.invoke(app, ["validate", str(_files(tmp_path))])
    assert res.exit_code == 0, res.output
    assert "transactions" in res.stdout and "会员号" in res.stdout and "duplicate_key" in res.stdout


def test_validate_error_exit_2_with_fix(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("order_id,VIP,下单,amount\nA1,C1,2024-01-05,1\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", str(tmp_path / "orders.csv"), "--json"])
    assert res.exit_code == 2
    err = json.loads(res.stdout)
    assert err["error"] == "SchemaError" and err["file"].endswith("orders.csv")
    assert err["column"] == "order_ts" and "[mapping.transactions]" in err["fix"]


def test_validate_config_mapping(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("order_id,VIP,order_ts,amount\nA1,C1,2024-01-05,1\n", encoding="utf-8")
    cfg = tmp_path / "loyalscope.toml"
    cfg.write_text('[mapping.transactions]\ncustomer_id = "VIP"\n', encoding="utf-8")
    res = runner.invoke(app, ["validate", str(tmp_path / "orders.csv"), "--config", str(cfg), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["transactions"]["rows_accepted"] == 1


def test_validate_on_a_duckdb_file_with_engine_options(tmp_path: Path) -> None:
    """``--engine duckdb:PATH`` validates in that DuckDB file with ``--engine-option``
    settings; an unknown engine or a malformed option is an answer with the fix."""
    import duckdb

    (tmp_path / "in").mkdir()
    folder = _files(tmp_path / "in")
    db = tmp_path / "work.duckdb"
    res = runner.invoke(app, ["validate", str(folder), "--json", "--engine", f"duckdb:{db}",
                              "--engine-option", "duckdb.memory_limit=512MB"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["transactions"]["rows_accepted"] == 2
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ls_transactions").fetchone() == (2,)
    bad = runner.invoke(app, ["validate", str(folder), "--json", "--engine", "oracle"])
    assert bad.exit_code == 2 and json.loads(bad.stdout)["fix"]
    bad = runner.invoke(app, ["validate", str(folder), "--json", "--engine-option", "threads"])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.stdout
