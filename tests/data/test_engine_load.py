"""The same load code on every engine: Spark agrees with DuckDB row for row; PostgreSQL tables
are validated in place; on Spark raw rows never pass through the driver."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.i18n import use_lang


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


NOW = pd.Timestamp("2024-06-01")
MESSY = (
    "order_id,customer_id,order_ts,amount,review\n"
    'O1,C1,2024-01-05,"1,200",fine\n'
    'O2,"C2,2024-01-06,20,x\n'          # stray quote: quarantined alone
    "O3,C3,2024/1/7,¥30,y\n"
    'O4,C4,2024年1月8日,40元,"two\nlines"\n'  # multi-line free text: accepted
    "O5,C5,2024-01-09,12元34,z\n"
    "O6,C6,2024-01-10,-5,refund\n"
    "O3,C7,2024-01-11,9,dup\n"
    "O8,C8,1850-01-01,9,old\n"
    "O9,,2024-01-12,inf,w\n"
    "\n"
    "O10,C10,45300,(12),paren\n"
)


def _summary(ds: ls.Dataset) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    tx = ds.table("transactions").execute().sort_values("order_id").reset_index(drop=True)
    q = ds.quality.quarantine[["table", "line", "column", "reason"]].sort_values(
        ["table", "line", "reason"]).reset_index(drop=True)
    rep = ds.quality.tables["transactions"]
    counts = {"read": rep.rows_read, "accepted": rep.rows_accepted,
              "quarantined": rep.rows_quarantined, "lines": rep.lines_read,
              "multiline": rep.multiline_records}
    return tx, q, counts


@pytest.mark.spark
@pytest.mark.slow
def test_spark_load_agrees_with_duckdb(tmp_path: Path, spark_con) -> None:
    """Read in several partitions (128-byte splits here; 128 MiB by default), so the lines are
    numbered across them (a file in one partition, as in every other Spark test, takes a
    shortcut without a job)."""
    p = tmp_path / "orders.csv"
    p.write_text(MESSY, encoding="utf-8")
    duck = _summary(ls.load({"transactions": p}, now=NOW))
    session = spark_con._session
    assert session.read.text(str(p)).rdd.getNumPartitions() == 1
    session.conf.set("spark.sql.files.maxPartitionBytes", "128")
    try:
        assert session.read.text(str(p)).rdd.getNumPartitions() >= 2
        spark = _summary(ls.load({"transactions": p}, con=spark_con, now=NOW))
    finally:
        session.conf.unset("spark.sql.files.maxPartitionBytes")
    pd.testing.assert_frame_equal(spark[0], duck[0], check_dtype=False)
    pd.testing.assert_frame_equal(spark[1], duck[1], check_dtype=False)
    assert spark[2] == duck[2]
    # independent expectations: 12 physical lines after the header, 11 records
    assert duck[2]["lines"] == 12 and duck[2]["read"] == 11 and duck[2]["multiline"] == 1
    assert duck[0]["order_id"].tolist() == ["O1", "O3", "O4"]
    # frames uploaded to the same session afterwards are what is read, not the load's
    # ls_transactions view (Spark's temporary views shadow tables of the same name)
    frame = pd.DataFrame({"order_id": ["N1", "N2"], "customer_id": ["C1", "C2"],
                          "order_ts": pd.to_datetime(["2024-02-01", "2024-02-02"]),
                          "amount": [1.0, 2.0]})
    fresh = Dataset.from_frames({"transactions": frame}, con=spark_con)
    got = fresh.table("transactions").execute()
    assert sorted(got.order_id) == ["N1", "N2"]


def _rows_of_data(out) -> int:  # type: ignore[no-untyped-def]
    """Rows of a result that came from data: a listing of the session's catalog (the load lists
    its tables to drop its old views) is a row per table the session holds, which depends on
    what ran before on the shared session, not on the file; it counts 0."""
    if isinstance(out, list) and out and hasattr(out[0], "asDict") and \
            {"tableName", "isTemporary"} <= set(out[0].asDict()):
        return 0
    return len(out)


class _Collected:
    """Rows that reached Python: every result a Spark DataFrame gave the driver (``collect``,
    ``toPandas``, ``toArrow``, ``toLocalIterator``), every local data set made into a Spark
    DataFrame, and every table pandas or pyarrow read from a file, by the size of each."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import pyarrow.csv as pacsv
        from pyspark.sql import SparkSession
        from pyspark.sql.classic.dataframe import DataFrame  # Spark 4: the methods live here

        self.sizes: list[tuple[str, int]] = []
        for name in ("collect", "toPandas", "toArrow"):
            self._wrap(monkeypatch, DataFrame, name, _rows_of_data)
        self._wrap(monkeypatch, DataFrame, "toLocalIterator", None)
        self._wrap(monkeypatch, pd, "read_csv", lambda out: len(out) if hasattr(out, "__len__") else 0)
        self._wrap(monkeypatch, pacsv, "read_csv", lambda out: out.num_rows)
        original = SparkSession.createDataFrame

        def create(session, data, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.sizes.append(("createDataFrame", len(data) if hasattr(data, "__len__") else -1))
            return original(session, data, *args, **kwargs)

        monkeypatch.setattr(SparkSession, "createDataFrame", create)

    def _wrap(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str, size) -> None:  # type: ignore[no-untyped-def]
        original = getattr(owner, name)

        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            out = original(*args, **kwargs)
            if size is None:  # an iterator: count what the caller takes
                return self._counting(name, out)
            self.sizes.append((name, int(size(out))))
            return out

        monkeypatch.setattr(owner, name, wrapped)

    def _counting(self, name: str, rows):  # type: ignore[no-untyped-def]
        n = 0
        for row in rows:
            n += 1
            yield row
        self.sizes.append((name, n))


@pytest.mark.spark
@pytest.mark.slow
def test_spark_load_collects_no_raw_rows_to_the_driver(tmp_path: Path, spark_con,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #10: on Spark no step brings the raw rows to the driver. A CSV of 2,000 orders of
    20 customers (two bad lines) is loaded on the suite's Spark session while every way rows
    reach Python is counted: nothing the size of the file (or of its customers' orders) may
    pass, only counts, samples, the quarantine and per-customer facts. The load itself is
    checked against the file's known counts. (The test below shows the same by the Python
    process's memory while a 1.5M-row file loads.)"""
    import duckdb

    rows = 2_000
    path = tmp_path / "transactions.csv"
    duckdb.connect().execute(f"""COPY (SELECT 'o' || i AS order_id, 'c' || (i % 20) AS customer_id,
        strftime(TIMESTAMP '2022-01-01' + to_seconds(i * 600), '%Y-%m-%d %H:%M:%S') AS order_ts,
        ((i % 9973) / 100.0 + 1)::VARCHAR AS amount FROM range({rows}) t(i)) TO '{path}' (HEADER)""")
    with path.open("a", encoding="utf-8") as fh:
        fh.write('bad1,"c1,2024-01-01,1\nbad2,c2,2024-01-01,12元34\n')
    seen = _Collected(monkeypatch)
    ds = ls.load({"transactions": path}, con=spark_con, now=pd.Timestamp("2030-01-01"))
    rep = ds.quality.tables["transactions"]
    monkeypatch.undo()
    assert (rep.lines_read, rep.rows_read) == (rows + 2, rows + 2)
    assert (rep.rows_accepted, rep.rows_quarantined) == (rows, 2)
    assert seen.sizes, "the wrappers saw nothing: the load must at least collect its counts"
    largest = max(seen.sizes, key=lambda item: item[1])
    assert largest[1] < 20, f"{largest[0]} brought {largest[1]:,} rows of {rows:,} to the driver"


@pytest.mark.spark
@pytest.mark.slow
def test_spark_keeps_text_beginning_with_f_or_v(tmp_path: Path, spark_con) -> None:
    """Values are trimmed of white space only: Spark read sqlglot's ``'\\f'`` and ``'\\v'``
    escapes in the trim set as the letters f and v (``food`` -> ``ood``, ``false`` -> NULL)."""
    p = tmp_path / "orders.csv"
    p.write_text("order_id,customer_id,order_ts,amount,category,is_promo\n"
                 "O1,C1,2024-01-05,10,food,false\n"
                 "O2,C2,2024-01-06,20,vegetables ,true\n"
                 "O3,C3,2024-01-07,30, fish\t,False\n", encoding="utf-8")
    got = ls.load({"transactions": p}, con=spark_con, now=NOW).table("transactions").to_pandas()
    got = got.sort_values("order_id")
    assert got["category"].tolist() == ["food", "vegetables", "fish"]
    assert got["is_promo"].tolist() == [False, True, False]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_names_the_orders_of_a_purchase_log_as_duckdb_does(tmp_path: Path, spark_con) -> None:
    """A file without order ids: each row one order, ``file:line`` on both engines."""
    p = tmp_path / "purchases.csv"
    p.write_text("customer_id,order_ts,amount\nC1,2024-01-05,10\nC2,2024-01-06,20\n"
                 "C1,2024-01-07,30\n", encoding="utf-8")
    cols = ("order_id", "customer_id", "amount")
    spark = ls.load({"transactions": p}, con=spark_con, now=NOW).table("transactions").select(*cols)
    duck = ls.load({"transactions": p}, now=NOW).table("transactions").select(*cols)
    got = spark.to_pandas().sort_values("order_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, duck.to_pandas().sort_values("order_id").reset_index(drop=True))
    assert got.order_id.tolist() == ["purchases.csv:2", "purchases.csv:3", "purchases.csv:4"]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_numbers_a_file_without_header_as_duckdb_does(tmp_path: Path, spark_con) -> None:
    """``[data.columns]``: the file's line 1 is data, and its lines keep their numbers on Spark
    too (order ids ``file:line``, the quarantine line of a bad amount)."""
    p = tmp_path / "purchases.csv"
    p.write_text("C1,2024-01-05,10\nC2,2024-01-06,2x0\nC1,2024-01-07,30\n", encoding="utf-8")
    cfg_path = tmp_path / "loyalscope.toml"
    cfg_path.write_text('[data.columns]\n"purchases.csv" = ["customer_id", "order_ts", "amount"]\n',
                        encoding="utf-8")
    cfg = AnalysisConfig.load(cfg_path)
    cols = ("order_id", "customer_id", "amount")
    spark_ds = ls.load({"transactions": p}, con=spark_con, now=NOW, config=cfg)
    duck_ds = ls.load({"transactions": p}, now=NOW, config=cfg)
    got = spark_ds.table("transactions").select(*cols).to_pandas().sort_values("order_id")
    want = duck_ds.table("transactions").select(*cols).to_pandas().sort_values("order_id")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    assert got.order_id.tolist() == ["purchases.csv:1", "purchases.csv:3"]
    for ds in (spark_ds, duck_ds):
        assert ds.quality.quarantine[["line", "column", "value"]].values.tolist() == [[2, "amount", "2x0"]]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_reads_a_list_of_returned_orders_as_duckdb_does(tmp_path: Path, spark_con) -> None:
    """A returns list without dates, an order listed on two rows (a row per returned line):
    dated by its order and counted once, on both engines."""
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,10\nA2,C2,2024-01-06,20\n",
        encoding="utf-8")
    (tmp_path / "returns.csv").write_text("order_id\nA1\nA1\nA9\n", encoding="utf-8")
    cols = ("order_id", "return_ts", "amount")
    got = [ls.load(tmp_path, con=c, now=NOW) if c is not None else ls.load(tmp_path, now=NOW)
           for c in (spark_con, None)]
    frames = [ds.table("returns").select(*cols).to_pandas() for ds in got]
    pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False)
    assert frames[0].order_id.tolist() == ["A1"] and frames[0].amount.tolist() == [10.0]
    for ds in got:
        assert ds.quality.quarantine[["line", "reason"]].values.tolist() == [[4, "missing_required"]]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_reads_decimal_customer_ids_as_duckdb_does(tmp_path: Path, spark_con) -> None:
    """Customer ids written as decimals (pandas' float column, Online Retail II's CSV): read as
    the whole numbers, the same note, on both engines."""
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_ts,amount\nA1,13085.0,2024-01-05,10\nA2,,2024-01-06,20\n"
        "A3,12346.00,2024-01-07,5\n", encoding="utf-8")
    got = [ls.load(tmp_path, con=c, now=NOW) if c is not None else ls.load(tmp_path, now=NOW)
           for c in (spark_con, None)]
    frames = [ds.table("transactions").select("order_id", "customer_id").to_pandas()
              .sort_values("order_id").reset_index(drop=True) for ds in got]
    pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False)
    assert set(frames[0].customer_id.dropna()) == {"13085", "12346"}
    notes = [[n for n in ds.quality.tables["transactions"].notes if "decimal" in n] for ds in got]
    assert notes[0] == notes[1] and len(notes[0]) == 1 and "13085.0 on line 2" in notes[0][0]


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_tables_validated_in_place(postgres_db: str) -> None:
    import ibis

    postgres_url = postgres_db  # a database of its own: the load reads every table in it
    db = ibis.connect(postgres_url)
    frame = pd.DataFrame({
        "order_id": ["A1", "A2", "A2", "A3"], "customer_id": ["C1", "C2", "C2", None],
        "order_ts": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-06", "2024-01-07"]),
        "amount": [10.0, 20.0, 20.0, 5.0]})
    db.create_table("orders", frame, overwrite=True)
    try:
        ds = ls.load(postgres_url, now=NOW)
        assert ds.con.name == "postgres"  # the analysis runs where the data is
        assert "ls_quarantine" in ds.con.list_tables()
        rep = ds.quality.tables["transactions"]
        # A2 twice: a duplicate; A3 without a customer is a guest order (accepted, not a sale
        # of a customer), as on DuckDB (tests/data/test_load.py::test_load_folder)
        assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (4, 3, 1)
        assert dict(rep.reasons) == {"duplicate_key": 1}
        assert ds.quality.orders["guest_orders"] == 1 and ds.quality.orders["guest_revenue"] == 5.0
        got = ds.table("transactions").order_by("order_id").execute()
        assert got["amount"].tolist() == [10.0, 20.0]
        # a second load into the same database replaces the ls_ views and the stored orders
        again = ls.load(postgres_url, now=NOW)
        assert again.table("transactions").count().execute() == 2
    finally:
        for name in db.list_tables():
            if name.startswith("ls_"):
                try:
                    db.drop_view(name, force=True)
                except Exception:  # a table
                    db.drop_table(name, force=True)
        db.drop_table("orders", force=True)


def _peak_rss_mib() -> int:
    """This process's peak resident memory since :func:`_reset_peak` (Linux)."""
    text = Path("/proc/self/status").read_text()
    return int(next(ln.split()[1] for ln in text.splitlines() if ln.startswith("VmHWM:"))) // 1024


def _reset_peak() -> bool:
    try:  # "5" resets the peak to the current resident size (Linux >= 4.0)
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@pytest.mark.spark
@pytest.mark.slow
def test_spark_load_of_a_large_file_leaves_python_memory_flat(tmp_path: Path, spark_con) -> None:
    """Issue #10: on Spark the raw rows never pass through pandas, shown by memory rather than
    by counting calls (the test above): a 1.5M-row CSV (~93 MiB; as a pandas frame 416 MiB, as
    Arrow ~90 MiB) is loaded on the suite's Spark session, and the Python process's peak
    resident memory during the load may grow by less than 64 MiB (measured: +23 MiB, in 43 s).
    A small load first brings in the modules the load imports. The load's counts are the
    file's (one bad line)."""
    import duckdb

    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux's /proc/self/clear_refs to reset the peak memory")
    rows = 1_500_000
    path = tmp_path / "transactions.csv"
    duckdb.connect().execute(f"""COPY (SELECT 'o' || i AS order_id, 'c' || (i % 100000) AS customer_id,
        strftime(TIMESTAMP '2022-01-01' + to_seconds(i % 60000000), '%Y-%m-%d %H:%M:%S') AS order_ts,
        ((i % 9973) / 100.0)::VARCHAR AS amount, 'free text number ' || i AS note
        FROM range({rows}) t(i)) TO '{path}' (HEADER)""")
    with path.open("a", encoding="utf-8") as fh:
        fh.write('bad1,"c1,2024-01-01,1,x\n')
    assert path.stat().st_size > 80 * 2**20
    warm = tmp_path / "warm.csv"
    warm.write_text("order_id,customer_id,order_ts,amount,note\no1,c1,2024-01-01,1,x\n")
    ls.load({"transactions": warm}, con=spark_con, now=pd.Timestamp("2030-01-01"))
    import gc

    gc.collect()
    assert _reset_peak()
    before = _peak_rss_mib()
    ds = ls.load({"transactions": path}, con=spark_con, now=pd.Timestamp("2030-01-01"))
    grown = _peak_rss_mib() - before
    rep = ds.quality.tables["transactions"]
    assert (rep.lines_read, rep.rows_read) == (rows + 1, rows + 1)
    assert (rep.rows_accepted, rep.rows_quarantined) == (rows, 1)
    assert grown < 64, f"the Python process grew by {grown} MiB while Spark loaded the file"


def test_config_for_engine_tests() -> None:
    """The messy file above is also loaded on DuckDB in the default (fast) suite."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "orders.csv"
        p.write_text(MESSY, encoding="utf-8")
        ds = ls.load({"transactions": p}, now=NOW, config=AnalysisConfig())
        tx, q, counts = _summary(ds)
        back = ds.table("returns").execute()
    # 12 lines after the header; the two-line review makes 11 records. O2 (stray quote), O5,
    # O3 again, O8 (1850), O9 (inf; its empty customer would make it a guest order) and the
    # blank line stay out. O6 and O10 (= -12) are accepted as return documents of their
    # customers (data.shapes: negative amounts are returns, not quarantined, by default).
    assert counts == {"read": 11, "accepted": 5, "quarantined": 6, "lines": 12, "multiline": 1}
    assert tx["amount"].tolist() == [1200.0, 30.0, 40.0]
    assert set(q["reason"]) == {"unbalanced_quote", "unparseable", "duplicate_key",
                                "out_of_range", "empty_row"}
    assert sorted(zip(back["order_id"], back["amount"], strict=True)) == [("O10", 12.0),
                                                                          ("O6", 5.0)]


def test_duckdb_memory_limit_below_the_line_readers_default_buffer(tmp_path: Path) -> None:
    """Under ``memory_limit = 600MB`` the load gives what it gives without a limit. DuckDB's
    line reader asked for a 1 GiB block (16 x the 64 MiB longest line), so every file failed
    with "could not allocate block" under any limit below ~1.5 GB."""
    from loyalscope import engine
    from loyalscope.config import DuckDBSettings

    p = tmp_path / "orders.csv"
    p.write_text(MESSY, encoding="utf-8")
    limited = engine.connect_duckdb(None, DuckDBSettings(memory_limit="600MB"))
    assert limited.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0].startswith(
        ("572", "600"))
    tx, q, counts = _summary(ls.load(p, con=limited, now=NOW))
    tx0, q0, counts0 = _summary(ls.load(p, now=NOW))
    pd.testing.assert_frame_equal(tx, tx0)
    pd.testing.assert_frame_equal(q, q0)
    assert counts == counts0 and counts["accepted"] > 0


def test_duckdb_has_a_memory_limit_and_a_private_spill_folder(tmp_path: Path) -> None:
    """A default connection holds at most RAM / 4 (512 MiB-1 GiB) and spills to a folder of its own,
    not ``.tmp`` in the user's folder; ``[engine.duckdb]`` settings still win."""
    from loyalscope import engine
    from loyalscope.config import DuckDBSettings

    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    expected = min(max(ram // 4, 512 << 20), 1 << 30)
    assert engine.default_memory_limit() == expected
    con = engine.connect()
    setting = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    value, unit = setting.split()
    assert abs(float(value) * {"MiB": 1 << 20, "GiB": 1 << 30}[unit] - expected) < (1 << 30) / 100
    temp = Path(con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0])
    assert temp.is_dir() and temp.name.startswith("loyalscope-duckdb-")
    assert temp == Path(engine.private_temp_directory())
    mine = engine.connect_duckdb(None, DuckDBSettings(memory_limit="2GB",
                                                       temp_directory=str(tmp_path)))
    assert mine.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0] == "1.8 GiB"
    assert mine.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0] == str(tmp_path)


def test_parsed_times_stay_naive_timestamps_on_duckdb(tmp_path: Path) -> None:
    """A column mixing ISO times, a UTC offset and epoch seconds is stored as ``TIMESTAMP``:
    DuckDB's ``to_timestamp`` returns ``TIMESTAMP WITH TIME ZONE``, which made the whole
    column time-zone aware and every later use a time-zone conversion. Values are checked
    against pandas."""
    p = tmp_path / "orders.csv"
    p.write_text("order_id,customer_id,order_ts,amount\n"
                 "O1,C1,2024-01-05 10:00:00,10\n"
                 "O2,C1,2024-01-06T10:30:00+08:00,20\n"
                 "O3,C2,1704067200,30\n"
                 "O4,C2,2024-01-08 23:59:59.5-05:00,40\n", encoding="utf-8")
    cfg = AnalysisConfig.load(None)
    zone = cfg.data.timezone
    import ibis

    from loyalscope.data import parse

    texts = [line.split(",")[2] for line in p.read_text().splitlines()[1:]]
    duck = ibis.duckdb.connect()
    raw = duck.create_table("raw", pd.DataFrame({"s": texts}))
    parsed = parse.datetime(raw, "s", "ts", dayfirst=False, timezone=zone, backend="duckdb")
    described = duck.raw_sql(f"DESCRIBE {ibis.to_sql(parsed, dialect='duckdb')}").fetchall()
    kinds = {row[0]: row[1] for row in described}
    assert kinds["ts"] == "TIMESTAMP"
    ds = ls.load(p, config=cfg, now=NOW)
    got = dict(ds.con.raw_sql("SELECT order_id, order_ts FROM ls_transactions").fetchall())

    def wall(text: str) -> pd.Timestamp:
        return pd.Timestamp(text).tz_convert(zone).tz_localize(None)

    assert pd.Timestamp(got["O1"]) == pd.Timestamp("2024-01-05 10:00:00")
    assert pd.Timestamp(got["O2"]) == wall("2024-01-06T10:30:00+08:00")
    assert pd.Timestamp(got["O3"]) == wall(pd.Timestamp(1704067200, unit="s", tz="UTC").isoformat())
    assert pd.Timestamp(got["O4"]) == wall("2024-01-08 23:59:59.5-05:00")


@pytest.mark.parametrize(("delim", "blank"), [(",", "   "), ("\t", "\t \t"), ("\t", "")])
def test_blank_lines_are_empty_rows_with_any_delimiter(tmp_path: Path, delim: str,
                                                       blank: str) -> None:
    """A line of white space (tabs too, in a tab-separated file) is an ``empty_row``; a line
    of only delimiters in a comma file reaches parsing and is an empty record there too."""
    head = delim.join(["order_id", "customer_id", "order_ts", "amount"])
    row = delim.join(["O1", "C1", "2024-01-05", "10"])
    p = tmp_path / ("orders.tsv" if delim == "\t" else "orders.csv")
    p.write_text(f"{head}\n{row}\n{blank}\n{delim * 3}\n", encoding="utf-8")
    ds = ls.load(p, now=NOW)
    q = ds.quality.quarantine.sort_values("line")
    assert q["line"].tolist() == [3, 4]
    assert q["reason"].tolist() == ["empty_row", "empty_row"]
    assert ds.quality.tables["transactions"].rows_accepted == 1
