"""Connections: embedded DuckDB by default, Spark, PostgreSQL or any Ibis backend by URL.

Both engines are pinned to UTC so that naive timestamps (wall-clock time in the business
time zone, see ``DataConfig.timezone``) are never shifted.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
from ibis.backends import BaseBackend

from loyalscope.errors import ConfigError, EngineResourceError

if TYPE_CHECKING:
    from loyalscope.config import DuckDBSettings, EngineConfig, SparkSettings

SPARK_NAMES = ("pyspark", "spark", "pyspark://", "spark://local")


@dataclass(frozen=True)
class Capabilities:
    """What differs between backends. Use these flags, not backend names."""

    name: str
    distinct_in_window: bool
    """Whether COUNT(DISTINCT) is allowed inside a window function (Spark: no)."""
    local_files: bool
    """Whether files can be registered directly (DuckDB: read_csv / read_parquet)."""


def connect(url: str | Path | None = None, **kwargs: Any) -> BaseBackend:
    """Open a backend.

    Parameters
    ----------
    url : str or Path, optional
        ``None`` or ``"duckdb://"``: in-memory DuckDB. A path ending in ``.duckdb`` / ``.db``:
        a DuckDB file. ``"pyspark"``: a local Spark session (``spark`` extra). Anything else:
        an Ibis URL such as ``postgres://user:pw@host:5432/db``.
    """
    if url is None or str(url) in ("", "duckdb://", ":memory:"):
        con = ibis.duckdb.connect(**kwargs)
    elif isinstance(url, Path) or str(url).endswith((".duckdb", ".ddb", ".db")):
        con = ibis.duckdb.connect(str(url), **kwargs)
    elif str(url) in SPARK_NAMES or str(url).startswith("pyspark://"):
        con = connect_spark(**kwargs)
    else:
        try:
            con = ibis.connect(str(url), **kwargs)
        except Exception as exc:  # ibis raises many kinds here; turn them into one message
            raise ConfigError(
                f"Cannot connect to {url!r}: {exc}",
                fix="Check the URL (e.g. postgres://user:password@localhost:5432/dbname) and that "
                "the server is running; install extras with pip install 'loyalscope[postgres]'.",
            ) from exc
    _pin_utc(con)
    if con.name == "duckdb":
        _duckdb_defaults(con)
    return con


COMPRESSED = "loyalscope"
"""The in-memory DuckDB catalog whose tables are compressed (``[engine.duckdb] compress``)."""

DEFAULT_MEMORY_CAP = 1 << 30
"""DuckDB's default memory limit: a quarter of the machine's memory, at least 512 MiB and at most
this (1 GiB); ``[engine.duckdb] memory_limit`` overrides it. DuckDB fills whatever it is given
(its in-memory tables and intermediate results are evicted to the spill folder beyond it).
Measured (docs/benchmarks.md, 2026-11-30, ``analyze`` of 1M customers / 10.25M orders, one
process after the other): 190.5 / 192.2 s and 4.75 / 4.80 GB with 2 GiB, 196.7 s and 3.57 GB
with 1 GiB (207.1 s and 3.71 GB with 1200 MB in busier minutes); before, 196.8 s and 4.85 GB
with 2 GiB against 197.1 s and 6.7 GB with 4 GiB."""
_TEMP: list[str] = []


def compress_tables(con: BaseBackend) -> None:
    """Compress the tables of an in-memory DuckDB opened with ``compress`` (a checkpoint of its
    catalog); nothing on any other connection. Called once the data is loaded.

    DuckDB keeps the tables of an in-memory database as they were inserted; a checkpoint of a
    catalog attached with ``COMPRESS`` stores them as a file would (dictionary, FSST, bit
    packing). Measured at 1M customers / 10.25M orders with a 2 GiB limit (docs/engines.md):
    DuckDB's share after the load 1,177 -> 359 MiB, the analysis' peak 4.38 -> 4.05 GB, for 7 s
    of checkpoint and ~14 s of decompression in the sections' scans (242 -> 263 s). Under the
    default limit (1 GiB) DuckDB holds at most that either way: compressed tables then spill
    less to the temporary folder."""
    if getattr(con, "_ls_compressed", False):
        con.raw_sql(f"CHECKPOINT {COMPRESSED}")


def scratch_temp(con: BaseBackend) -> str:
    """``"TEMP "``, or ``""`` where the load's intermediate tables (lines, records, parsed
    values) belong in the connection's own database: a DuckDB file, or the compressed catalog
    of ``[engine.duckdb] compress``, which store a large table compressed as it is written.

    DuckDB's temporary tables live in memory uncompressed and go to the spill folder as they
    are beyond the memory limit: loading 102M orders (2.3 GB of Parquet) into a DuckDB file
    spilled 40 GB of them."""
    kind = getattr(con, "_ls_scratch_temp", None)
    if kind is None:
        kind = "TEMP "
        if con.name == "duckdb":
            try:
                path, name = con.raw_sql("SELECT path, database_name FROM duckdb_databases() "
                                         "WHERE database_name = current_database()").fetchone()
                kind = "" if path or name == COMPRESSED else "TEMP "
            except Exception:  # an older DuckDB: temporary tables, as before
                pass
        con._ls_scratch_temp = kind
    return str(kind)


def machine_memory() -> int:
    """Bytes of memory of this machine (8 GiB when the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX
        return 8 << 30


def default_memory_limit() -> int:
    """Bytes DuckDB may hold before it spills: RAM / 4 within [512 MiB, 1 GiB].

    DuckDB's own default (80% of RAM) let one analysis of 1M customers hold 16-19 GB of
    intermediate tables on a 24 GB machine; with a limit it spills them to a private
    temporary folder instead (https://duckdb.org/docs/guides/performance/how_to_tune_workloads).
    """
    return int(min(max(machine_memory() // 4, 512 << 20), DEFAULT_MEMORY_CAP))


def private_temp_directory() -> str:
    """This process's folder for DuckDB's spill files (created once, removed at exit), so that
    runs never write ``.tmp`` into the user's folder nor share spill files."""
    if not _TEMP:
        path = tempfile.mkdtemp(prefix="loyalscope-duckdb-")
        _TEMP.append(path)
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return _TEMP[0]


def resource_error(exc: BaseException, con: BaseBackend | None,
                   file: str | None = None) -> EngineResourceError | None:
    """DuckDB's "out of memory" or a full disk under its spill files as an error that names the
    limit, the folder and what to change; None for any other error.

    Both end a large run (100M orders spill tens of GB) deep inside a query: the raw exception
    named neither the setting nor the folder."""
    import duckdb

    from loyalscope.i18n import t

    text = str(exc)
    no_disk = (isinstance(exc, duckdb.IOException) and (
        "No space left on device" in text or "duckdb_temp_storage" in text)) or (
        isinstance(exc, duckdb.OutOfMemoryException) and "max_temp_directory_size" in text)
    no_memory = isinstance(exc, duckdb.OutOfMemoryException) and not no_disk
    if not (no_disk or no_memory):
        return None
    limit, temp = "?", "?"
    try:
        limit, temp = con.raw_sql(  # type: ignore[union-attr]
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    except Exception:  # a broken or non-DuckDB connection: the message without them
        pass
    detail = text.splitlines()[0][:300]
    if no_disk:
        return EngineResourceError(t("engine.no_spill_space", folder=temp, detail=detail),
                                   fix=t("engine.no_spill_space_fix", folder=temp), value=temp, file=file)
    return EngineResourceError(t("engine.out_of_memory", limit=limit, detail=detail),
                               fix=t("engine.out_of_memory_fix", limit=limit), value=limit, file=file)


def _duckdb_defaults(con: BaseBackend) -> None:
    """A memory limit and a private spill folder (see :func:`default_memory_limit`)."""
    mib = default_memory_limit() >> 20
    con.raw_sql(f"SET memory_limit = '{mib}MiB'")
    temp = private_temp_directory().replace("'", "''")
    con.raw_sql(f"SET temp_directory = '{temp}'")


def open_engine(settings: EngineConfig, use: str | None = None) -> BaseBackend:
    """The connection an analysis runs on, from ``[engine]`` (and ``--engine``).

    Parameters
    ----------
    settings : EngineConfig
        ``[engine]`` of loyalscope.toml: ``use`` and the ``duckdb`` / ``spark`` settings.
    use : str, optional
        Overrides ``settings.use``: ``duckdb``, ``duckdb:PATH``, ``spark`` (or ``pyspark://``),
        a Spark Connect URL ``sc://host:15002``, or a database URL (``postgres://...``).
    """
    spec = (use or settings.use or "duckdb").strip()
    if spec in ("duckdb", "duckdb://", "", ":memory:"):
        return connect_duckdb(None, settings.duckdb)
    if spec.startswith("duckdb:"):
        path = spec.removeprefix("duckdb:").removeprefix("//")
        return connect_duckdb(path or None, settings.duckdb)
    if spec in SPARK_NAMES or spec.startswith("pyspark://"):
        return connect_spark(settings=settings.spark)
    if spec.startswith("sc://"):
        return connect_spark(settings=settings.spark.model_copy(update={"master": spec}))
    if "://" not in spec and not spec.endswith((".duckdb", ".ddb", ".db")):
        from loyalscope.i18n import t

        raise ConfigError(t("engine.unknown", value=spec), value=spec, fix=t("engine.unknown_fix"))
    return connect(spec)


def connect_duckdb(path: str | None, settings: DuckDBSettings | None = None) -> BaseBackend:
    """DuckDB in memory (``path`` None) or in a file, with ``[engine.duckdb]`` applied.

    In memory with ``compress``, the tables go to a catalog attached with ``COMPRESS`` that
    :func:`compress_tables` compresses once they are loaded; a file compresses its tables
    itself."""
    con = connect(Path(path) if path else None)
    if not path and settings is not None and settings.compress:
        con.raw_sql(f"ATTACH ':memory:' AS {COMPRESSED} (COMPRESS)")
        con.raw_sql(f"USE {COMPRESSED}")
        con._ls_compressed = True  # for compress_tables
    if settings is not None:
        for key in ("memory_limit", "threads", "temp_directory"):
            value = getattr(settings, key)
            if value is not None:
                quoted = str(value).replace("'", "''")
                con.raw_sql(f"SET {key} = '{quoted}'")
    return con


def _spark_literals_as_spark_reads_them() -> None:
    """Spark SQL knows the escapes ``\\b \\n \\r \\t`` in string literals but not ``\\a \\v \\f``:
    it reads ``'\\f'`` as ``f``. sqlglot writes vertical tab and form feed that way, so Ibis's
    ``strip()`` (``TRIM(' \\t\\n\\r\\v\\f' FROM x)``) stripped the letters f and v on Spark
    (``feedback`` -> ``eedback``, ``false`` -> ``alse``). Those characters are written as they
    are instead (a literal may hold any character)."""
    from ibis.backends.sql.dialects import PySpark

    PySpark.ESCAPED_SEQUENCES = {k: v for k, v in PySpark.ESCAPED_SEQUENCES.items()
                                 if k not in ("\x07", "\x0b", "\x0c")}


def connect_spark(session: Any = None, shuffle_partitions: int = 4,
                  settings: SparkSettings | None = None) -> BaseBackend:
    """Connect Ibis to a Spark session (a new one from ``settings`` unless ``session`` is given).

    A new session gets, from ``[engine.spark]``: the master (``local[N]``, a cluster, or a Spark
    Connect URL ``sc://...``), shuffle partitions, driver and executor memory, the warehouse
    folder (by default a private temporary one, removed at exit, so that two runs in one
    folder never collide over ``./spark-warehouse``), the catalog, and the workers' Python
    (by default the running interpreter, which has pandas and pyarrow: ``PYSPARK_PYTHON``).
    """
    _spark_literals_as_spark_reads_them()
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ConfigError(
            "PySpark is not installed.", fix="pip install 'loyalscope[spark]' (needs Java 17)."
        ) from exc
    if session is None:
        if settings is None:
            from loyalscope.config import SparkSettings

            settings = SparkSettings(shuffle_partitions=shuffle_partitions)
        session = _spark_session(SparkSession, settings)
    for key, value in ARROW_CONF.items():
        session.conf.set(key, value)
    return ibis.pyspark.connect(session)


ARROW_CONF = {
    # pandas <-> Spark through Arrow, never the pickle path: there a missing value of a pandas
    # string column (pd.NA) reaches the JVM as the text "net.razorvine.pickle.objects.
    # ClassDictConstructor@..." and NaN stays NaN instead of NULL. No silent fallback to it.
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
}


def spark_conf(settings: SparkSettings) -> dict[str, str]:
    """The Spark settings of a new session from ``[engine.spark]`` (warehouse excluded)."""
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.catalogImplementation": settings.catalog,
        "spark.pyspark.python": settings.python or os.environ.get("PYSPARK_PYTHON") or sys.executable,
        **ARROW_CONF,
    }
    if settings.executor_memory:
        conf["spark.executor.memory"] = settings.executor_memory
    conf.update(settings.conf)
    return conf


def _spark_session(session_cls: Any, settings: SparkSettings) -> Any:
    conf = spark_conf(settings)
    builder = session_cls.builder.appName("loyalscope")
    if settings.master.startswith("sc://"):
        builder = builder.remote(settings.master)  # Spark Connect: the server owns the rest
        return builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    # the workers start this Python: it must have pandas and pyarrow (the driver's has them)
    os.environ["PYSPARK_PYTHON"] = conf["spark.pyspark.python"]
    if settings.warehouse_dir:
        warehouse = str(Path(settings.warehouse_dir).resolve())
        if settings.catalog == "hive" and not any("ConnectionURL" in k for k in settings.conf):
            # the metastore beside the warehouse, not ./metastore_db of whatever folder we run in
            conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
                f"jdbc:derby:;databaseName={warehouse}/metastore_db;create=true")
    else:
        warehouse = tempfile.mkdtemp(prefix="loyalscope-spark-warehouse-")
        atexit.register(shutil.rmtree, warehouse, True)
    conf["spark.sql.warehouse.dir"] = warehouse
    builder = builder.master(settings.master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    if settings.catalog == "hive":
        builder = builder.enableHiveSupport()
    return builder.getOrCreate()


def _pin_utc(con: BaseBackend) -> None:
    if con.name == "duckdb":
        con.raw_sql("SET TimeZone = 'UTC'")
    elif con.name == "pyspark":
        con._session.conf.set("spark.sql.session.timeZone", "UTC")


def capabilities(con: BaseBackend) -> Capabilities:
    """Capability flags of ``con``."""
    name = con.name
    return Capabilities(
        name=name,
        distinct_in_window=name not in ("pyspark",),
        local_files=name == "duckdb",
    )



def semi_join(left: ibis.Table, key: ibis.Value, right_key: ibis.Value) -> ibis.Table:
    """Rows of ``left`` whose ``key`` equals some value of ``right_key`` (a column of another
    table): ``WHERE key IN (SELECT right_key ...)``; a NULL key matches nothing.

    Used instead of Ibis' ``semi_join``: a chain of semi/anti joins compiles to one ``SELECT``
    with several ``SEMI``/``ANTI`` joins, and sqlglot's rewrite for PostgreSQL (which has no such
    joins) rewrites only every other one, leaving ``LEFT ANTI JOIN`` in the SQL (sqlglot 29).
    Not ``EXISTS`` (``(key == right_key).any()``): Ibis correlates a table derived from ``left``
    with ``left`` itself and the condition becomes always true. DuckDB and Spark plan the ``IN``
    as a semi join.
    """
    return left.filter(key.isin(right_key))


def anti_join(left: ibis.Table, key: ibis.Value, right_key: ibis.Value) -> ibis.Table:
    """Rows of ``left`` whose ``key`` equals no non-NULL value of ``right_key``; a NULL key matches
    nothing, so its row is kept, as in an anti join (a bare ``NOT IN`` would drop it, and drop
    every row once ``right_key`` holds a NULL). See :func:`semi_join`."""
    rel = right_key.as_table()
    known = rel.filter(rel[0].notnull())[0]
    return left.filter(key.isnull() | ~key.isin(known))
