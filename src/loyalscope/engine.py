"""Connections: embedded DuckDB by default, Spark, PostgreSQL or any Ibis backend by URL.

Both engines are pinned to UTC so that naive timestamps (wall-clock time in the business
time zone, see ``DataConfig.timezone``) are never shifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
from ibis.backends import BaseBackend

from loyalscope.errors import ConfigError


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
    elif str(url) in ("pyspark", "spark", "pyspark://"):
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
    return con


def connect_spark(session: Any = None, shuffle_partitions: int = 4) -> BaseBackend:
    """Connect Ibis to a Spark session (a new local one unless ``session`` is given)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ConfigError(
            "PySpark is not installed.", fix="pip install 'loyalscope[spark]' (needs Java 17)."
        ) from exc
    if session is None:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("loyalscope")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
    return ibis.pyspark.connect(session)


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
