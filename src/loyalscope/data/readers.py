"""Engine readers: a file becomes an Ibis table on the engine, numbered by its physical lines.

The only per-engine code of the data layer. Everything after these readers (records, mapping,
parsing, checks, quarantine) is one set of Ibis expressions for every engine.

- :func:`read_lines`: every physical line of a UTF-8 text file as ``(_line, text)``, the header
  being line 1. DuckDB: ``read_csv`` with one VARCHAR column and no quoting, into a temporary
  table whose ``rowid`` follows the file (insertion order is preserved), so ``_line = rowid + 1``.
  Spark: ``spark.read.text``; a line's number is the line count of the partitions before its own
  (one small aggregate: rows per partition) plus its place in the partition
  (``monotonically_increasing_id`` minus the partition's base). No row goes to the driver.
- :func:`read_parquet`: ``_line`` is the staged line column, else the 1-based row number
  (DuckDB ``file_row_number``; Spark as above).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
from ibis.backends import BaseBackend

from loyalscope.errors import SchemaError
from loyalscope.i18n import t

MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest physical line read (DuckDB ``max_line_size``); longer lines end in a clear error."""
_SEP = "\x1f\x1e\x1d\x1c"  # a 4-byte delimiter that no text line holds: one column per line
_ids = itertools.count()


def _name(prefix: str) -> str:
    from loyalscope.data.compiled import remember, scratch_name

    name = scratch_name(prefix)
    remember("view" if prefix in ("spark", "pq") else "table", name)
    return name


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_lines(con: BaseBackend, path: Path) -> ir.Table:
    """Every line of the UTF-8 file ``path`` as ``(_line int64, text string)``; blank lines are ``""``."""
    if con.name == "duckdb":
        name = _name("lines")
        try:
            con.raw_sql(
                f"CREATE TEMP TABLE {name} AS SELECT text FROM read_csv({_sql_str(str(path))}, "
                f"columns={{'text': 'VARCHAR'}}, header=false, delim={_sql_str(_SEP)}, quote='', "
                f"escape='', auto_detect=false, strict_mode=false, "
                f"max_line_size={MAX_LINE_BYTES})"
            )
        except Exception as exc:  # duckdb raises InvalidInputException and friends
            raise SchemaError(t("data.sources.engine_read", error=str(exc).splitlines()[0]),
                              file=str(path), fix=t("data.sources.engine_read_fix")) from exc
        return con.sql(f"SELECT CAST(rowid + 1 AS BIGINT) AS _line, "
                       f"regexp_replace(coalesce(text, ''), '\\r$', '') AS text "
                       f"FROM {name}")
    if con.name == "pyspark":
        session = con._session
        df = session.read.text(str(path)).withColumnRenamed("value", "text")
        return _spark_numbered(con, df, "_line", extra_cols=["text"])
    raise SchemaError(t("data.sources.engine_files", engine=con.name), file=str(path),
                      fix=t("data.sources.engine_files_fix"))


def read_parquet(con: BaseBackend, path: Path, line_column: str | None = None) -> ir.Table:
    """A Parquet file with a 1-based ``_line`` column (the staged line column if given)."""
    if con.name == "duckdb":
        tbl = con.read_parquet(str(path), table_name=_name("pq"), file_row_number=True)
        if line_column and line_column in tbl.columns:
            return tbl.drop("file_row_number").rename(_line=line_column) if line_column != "_line" \
                else tbl.drop("file_row_number")
        return tbl.mutate(_line=(tbl.file_row_number + 1).cast("int64")).drop("file_row_number")
    if con.name == "pyspark":
        session = con._session
        df = session.read.parquet(str(path))
        if line_column and line_column in df.columns:
            view = _name("pq")
            df.withColumnRenamed(line_column, "_line").createOrReplaceTempView(view)
            return con.table(view)
        return _spark_numbered(con, df, "_line", extra_cols=list(df.columns))
    raise SchemaError(t("data.sources.engine_files", engine=con.name), file=str(path),
                      fix=t("data.sources.engine_files_fix"))


def _spark_numbered(con: BaseBackend, df: Any, line: str, extra_cols: list[str]) -> ir.Table:
    """``df`` with a consecutive 1-based ``line`` number in file order, computed in the JVM."""
    from pyspark.sql import functions as F

    base = (df.withColumn("_pid", F.spark_partition_id())
            .withColumn("_mid", F.monotonically_increasing_id()))
    counts = sorted((r["_pid"], r["count"]) for r in base.groupBy("_pid").count().collect())
    session = con._session
    offsets, total = [], 0
    for pid, n in counts:  # one row per partition: tiny
        offsets.append((pid, total))
        total += n
    off = session.createDataFrame(offsets or [(0, 0)], "_pid int, _off long")
    numbered = base.join(F.broadcast(off), "_pid").select(
        *[F.col(f"`{c}`") for c in extra_cols],
        (F.col("_off") + F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33) + 1)
        .cast("long").alias(line),
    )
    view = _name("spark")
    numbered.createOrReplaceTempView(view)
    return con.table(view)
