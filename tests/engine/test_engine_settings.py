"""``[engine]`` settings reach the engine: DuckDB's memory limit, threads and spill folder; the
engine chosen by ``--engine``; bad values refused with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalscope.cli.main_cmds import engine_overrides
from loyalscope.config import AnalysisConfig
from loyalscope.engine import open_engine
from loyalscope.errors import ConfigError


def _setting(con, name: str) -> str:
    return str(con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0])


def test_duckdb_settings_from_toml_are_applied(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    toml = tmp_path / "loyalscope.toml"
    toml.write_text(
        f'[engine.duckdb]\nmemory_limit = "1GB"\nthreads = 1\ntemp_directory = "{spill}"\n',
        encoding="utf-8")
    con = open_engine(AnalysisConfig.load(toml).engine)
    assert con.name == "duckdb"
    # DuckDB reports the limit in its own units: 1GB = 1000^3 bytes = 953.6 MiB
    assert _setting(con, "memory_limit") == "953.6 MiB"
    assert _setting(con, "threads") == "1"
    assert _setting(con, "temp_directory") == str(spill)


def test_duckdb_file_engine_keeps_tables_in_the_file(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "w.duckdb"
    con = open_engine(AnalysisConfig().engine, f"duckdb:{path}")
    con.raw_sql("CREATE TABLE kept AS SELECT 42 AS x")
    con.disconnect()
    assert duckdb.connect(str(path)).execute("SELECT x FROM kept").fetchone() == (42,)


def test_cli_engine_options_override_the_toml(tmp_path: Path) -> None:
    toml = tmp_path / "loyalscope.toml"
    toml.write_text('[engine]\nuse = "spark"\n[engine.duckdb]\nthreads = 2\n', encoding="utf-8")
    cfg = AnalysisConfig.load(toml, **engine_overrides("duckdb", ["duckdb.threads=1",
                                                                  "spark.master = local[3]"]))
    assert cfg.engine.use == "duckdb"
    assert cfg.engine.duckdb.threads == 1
    assert cfg.engine.spark.master == "local[3]"
    assert _setting(open_engine(cfg.engine), "threads") == "1"


@pytest.mark.parametrize(("options", "where"), [
    (["duckdb.memory_limit=lots"], "engine.duckdb.memory_limit"),
    (["duckdb.threads=0"], "engine.duckdb.threads"),
    (["spark.shuffle_partitions=-2"], "engine.spark.shuffle_partitions"),
    (["memory=1"], "engine.memory"),
])
def test_bad_engine_values_name_the_key(options: list[str], where: str) -> None:
    with pytest.raises(ConfigError) as err:
        AnalysisConfig.load(**engine_overrides(None, options))
    assert err.value.column == where and err.value.fix


def test_option_without_value_and_unknown_engine_say_how_to_fix() -> None:
    with pytest.raises(ConfigError) as err:
        engine_overrides(None, ["duckdb.threads"])
    assert "KEY=VALUE" in err.value.message and "--engine-option" in (err.value.fix or "")
    with pytest.raises(ConfigError) as err:
        open_engine(AnalysisConfig().engine, "oracle")
    assert "--engine" in (err.value.fix or "")


def _compression(con) -> set[str]:
    """The storage methods of the column segments of every table the load made."""
    tables = [r[0] for r in con.raw_sql(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()]
    assert tables
    return {r[0] for t in tables for r in con.raw_sql(
        f"SELECT DISTINCT compression FROM pragma_storage_info('{t}')").fetchall()}


def _flat(x, path=""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _flat(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _flat(v, f"{path}[{i}]")
    else:
        yield path, x


def test_compressed_tables_give_the_same_analysis() -> None:
    """``compress = true``: the loaded tables are stored compressed (dictionary, bit packing
    ...) in an in-memory catalog of their own, and the analysis of a real export is the one
    of the uncompressed tables (floats to 1e-12: DuckDB's parallel sums end in other digits
    from run to run)."""
    import loyalscope as ls
    from loyalscope.analysis import analyze
    from loyalscope.config import DuckDBSettings
    from loyalscope.engine import connect_duckdb

    data = Path(__file__).parents[1] / "data" / "real" / "online_retail"
    out = {}
    for compress in (True, False):
        con = connect_duckdb(None, DuckDBSettings(compress=compress))
        ds = ls.load(data, con=con)
        methods = _compression(con)
        current = con.raw_sql("SELECT current_database()").fetchone()[0]
        if compress:
            assert current == "loyalscope" and methods - {"Uncompressed"}, methods
        else:
            assert current == "memory" and methods == {"Uncompressed"}, methods
        result = analyze(ds)
        out[compress] = (dict(_flat(result.to_dict()["sections"])), result.customers)
    (a, ca), (b, cb) = out[True], out[False]
    assert a.keys() == b.keys()
    for k, v in a.items():
        if isinstance(v, float) and isinstance(b[k], float):
            assert v == pytest.approx(b[k], rel=1e-12, abs=1e-12, nan_ok=True), k
        else:
            assert v == b[k], k
    import pandas as pd

    pd.testing.assert_frame_equal(ca, cb, check_exact=False, rtol=1e-12)


def test_compress_from_the_command_line() -> None:
    cfg = AnalysisConfig.load(None, **engine_overrides("duckdb", ["duckdb.compress=true"]))
    assert cfg.engine.duckdb.compress is True
    assert open_engine(cfg.engine).raw_sql("SELECT current_database()").fetchone()[0] == "loyalscope"
    default = open_engine(AnalysisConfig().engine).raw_sql("SELECT current_database()").fetchone()[0]
    assert default == "memory"


def test_load_intermediates_go_where_the_database_compresses(tmp_path: Path) -> None:
    """The load's lines, records and parsed values: temporary tables in memory (uncompressed,
    spilled as they are), tables of the file or of the compressed catalog otherwise (102M
    orders into a DuckDB file spilled 40 GB of temporary tables); none left after the load."""
    import loyalscope as ls
    from loyalscope.config import DuckDBSettings
    from loyalscope.engine import connect_duckdb, scratch_temp

    data = Path(__file__).parents[1] / "data" / "real" / "online_retail"
    for path, compress, kind in ((None, False, "TEMP "), (None, True, ""),
                                 (str(tmp_path / "x.duckdb"), False, "")):
        con = connect_duckdb(path, DuckDBSettings(compress=compress))
        assert scratch_temp(con) == kind
        ls.load(data, con=con)
        left = con.raw_sql("SELECT database_name, table_name FROM duckdb_tables() "
                           "WHERE table_name LIKE '\\_ls\\_%' ESCAPE '\\'").fetchall()
        assert left == [], left
        stored = {r[0] for r in con.raw_sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "ls_order_lines" in stored
