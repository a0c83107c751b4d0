"""DuckDB out of memory, or out of disk for its spill files: an error that names the limit or
the folder and says what to change, not a traceback from inside a query (a 100M-order load
once filled the disk under the spill folder and ended in ``_duckdb.IOException``)."""

from __future__ import annotations

import json
from pathlib import Path

import ibis
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.data.simulate import simulate
from loyalscope.engine import resource_error
from loyalscope.errors import EngineResourceError

# a sort of 3M distinct 32-character texts: ~100 MB of data, far beyond a 20 MB limit
BIG_SORT = "SELECT count(*) FROM (SELECT md5(i::varchar) AS s FROM range(3000000) t(i) ORDER BY s)"


def _raised(con: ibis.BaseBackend) -> BaseException:
    with pytest.raises(Exception) as info:
        con.raw_sql(BIG_SORT).fetchall()
    return info.value


def test_full_spill_folder_names_the_folder_and_the_fixes(tmp_path: Path) -> None:
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '20MB'; SET threads = 1; SET temp_directory = '{tmp_path}'; "
                "SET max_temp_directory_size = '2MB'")  # a disk of 2 MB, as far as DuckDB knows
    err = resource_error(_raised(con), con, file="orders.csv")
    assert isinstance(err, EngineResourceError)
    assert str(tmp_path) in err.message and err.value == str(tmp_path) and err.file == "orders.csv"
    assert "duckdb.temp_directory=" in (err.fix or "") and "duckdb:" in (err.fix or "")


def test_out_of_memory_names_the_limit(tmp_path: Path) -> None:
    con = ibis.duckdb.connect()
    con.raw_sql("SET memory_limit = '20MB'; SET threads = 1; SET temp_directory = ''")  # no spilling
    err = resource_error(_raised(con), con)
    assert isinstance(err, EngineResourceError)
    limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert err.value == limit and limit in err.message
    assert "duckdb.memory_limit=" in (err.fix or "")


def test_other_engine_errors_are_left_alone() -> None:
    con = ibis.duckdb.connect()
    with pytest.raises(Exception) as info:
        con.raw_sql("SELECT * FROM no_such_table").fetchall()
    assert resource_error(info.value, con) is None
    assert resource_error(ValueError("No space left on device"), con) is None  # not DuckDB's


def test_analyze_under_a_tiny_memory_limit_says_what_to_change(tmp_path: Path) -> None:
    """A limit below what reading a file needs (its 128 MiB buffer): before, the reader called
    it a bad file ("check that the file is UTF-8 ... re-export it")."""
    data = tmp_path / "company"
    simulate(customers=200, days=200, seed=3).write(data)
    res = CliRunner().invoke(app, ["analyze", str(data), "--out", str(tmp_path / "out"), "--json",
                                   "--lang", "en", "--engine-option", "duckdb.memory_limit=16MB",
                                   "--engine-option", "duckdb.threads=1"])
    assert res.exit_code == 2, res.output
    out = json.loads(res.stdout)
    assert out["error"] == "EngineResourceError", out
    assert "memory" in out["message"] and "duckdb.memory_limit=" in out["fix"]
    assert out["file"] and Path(out["file"]).parent == data
    assert "re-export" not in out["fix"]
