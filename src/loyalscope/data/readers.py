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
- :func:`lf_line_ends`: the line reader needs one kind of line end, LF or CRLF (DuckDB takes any
  CR as a line break once the first line ended in LF); other staged CSVs (mixed line ends, lone
  CRs of old Mac exports) are copied with LF line ends, ``bad_lines`` renumbered to match.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir
from ibis.backends import BaseBackend

from loyalscope.engine import resource_error, scratch_temp
from loyalscope.errors import SchemaError
from loyalscope.i18n import t

if TYPE_CHECKING:
    from loyalscope.data.intake import Staged

MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest physical line read (DuckDB ``max_line_size``); longer lines end in a clear error.
The reader's buffer is set to twice this (DuckDB's default, 16 times, is a 1 GiB block that
no ``memory_limit`` below ~1.5 GB can hold)."""
_SEP = "\x1f\x1e\x1d\x1c"  # a 4-byte delimiter that no text line holds: one column per line
_ids = itertools.count()


def _name(prefix: str) -> str:
    from loyalscope.data.compiled import remember, scratch_name

    name = scratch_name(prefix)
    remember("view" if prefix in ("spark", "pq") else "table", name)
    return name


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_lines(con: BaseBackend, path: Path, first: int = 1) -> ir.Table:
    """Every line of the UTF-8 file ``path`` as ``(_line int64, text string)``, numbered from
    ``first`` (0 when the first line is a header named in ``[data.columns]``, so that the user's
    lines keep their numbers); blank lines are ``""``."""
    if con.name == "duckdb":
        name = _name("lines")
        try:
            # a line's final carriage return is removed once, as the lines are stored (every
            # later scan reads the stored text: counts, quote pairing, fields)
            con.raw_sql(
                f"CREATE {scratch_temp(con)}TABLE {name} AS SELECT CASE WHEN ends_with(text, chr(13)) "
                f"THEN substr(text, 1, length(text) - 1) ELSE coalesce(text, '') END AS text "
                f"FROM read_csv({_sql_str(str(path))}, "
                f"columns={{'text': 'VARCHAR'}}, header=false, delim={_sql_str(_SEP)}, quote='', "
                f"escape='', auto_detect=false, strict_mode=false, "
                f"max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES})"
            )
        except Exception as exc:  # duckdb raises InvalidInputException and friends
            if (err := resource_error(exc, con, str(path))) is not None:  # not the file's fault
                raise err from exc
            raise SchemaError(t("data.sources.engine_read", error=str(exc).splitlines()[0]),
                              file=str(path), fix=t("data.sources.engine_read_fix")) from exc
        return con.sql(f"SELECT CAST(rowid + {int(first)} AS BIGINT) AS _line, text FROM {name}")
    if con.name == "pyspark":
        session = con._session
        df = session.read.text(str(path)).withColumnRenamed("value", "text")
        numbered = _spark_numbered(con, df, "_line", extra_cols=["text"])
        return numbered if first == 1 else numbered.mutate(_line=numbered._line + (first - 1))
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

    view = _name("spark")
    try:  # planning only; Spark Connect has no RDDs (then the general path below)
        one = df.rdd.getNumPartitions() == 1
    except Exception:
        one = False
    if one:  # a file below one split: the row id is the line (no job)
        df.select(*[F.col(f"`{c}`") for c in extra_cols],
                  (F.monotonically_increasing_id() + 1).cast("long").alias(line)
                  ).createOrReplaceTempView(view)
        return con.table(view)
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
    numbered.createOrReplaceTempView(view)
    return con.table(view)


def _chunks(path: Path) -> Any:
    """The file in 4 MiB chunks, never cut between a CR and its LF."""
    with path.open("rb") as fh:
        carry = b""
        while chunk := fh.read(1 << 22):
            data = carry + chunk
            carry = b"\r" if data.endswith(b"\r") else b""
            yield data[:-1] if carry else data
        if carry:
            yield carry


def _line_ends(path: Path) -> tuple[int, int, int]:
    """Counts of CR, CRLF and LF in ``path``."""
    cr = crlf = lf = 0
    for data in _chunks(path):
        cr += data.count(b"\r")
        if cr:
            crlf += data.count(b"\r\n")
        lf += data.count(b"\n")
    return cr, crlf, lf


def lf_line_ends(staged: Staged) -> Staged:
    """``staged`` itself when its lines all end in LF or all in CRLF; else an LF copy.

    DuckDB's line reader takes any CR as a line break once the first line ended in LF, so a
    file mixing LF and CRLF (concatenated exports) would gain empty lines and shifted line
    numbers. In the copy CRLF becomes LF (same lines) and each lone CR (old Mac exports) is a
    line break, as text editors and Python's universal newlines count lines; ``bad_lines``
    (numbered by intake on LF) are renumbered to the copy's lines."""
    if staged.format != "csv":
        return staged
    cr, crlf, lf = staged.line_ends or _line_ends(staged.path)
    if cr == 0 or cr == crlf == lf:
        return staged
    from loyalscope.data.intake.workdir import new_path

    out = new_path(None, staged.path.stem, ".csv")
    if cr == crlf or not staged.bad_lines:  # line numbers stay as intake counted them
        with out.open("wb") as dst:
            for data in _chunks(staged.path):
                dst.write(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        return dataclasses.replace(staged, path=out, line_ends=None)
    wanted = {line for line, _, _ in staged.bad_lines}
    moved: dict[int, int] = {}
    extra = 0  # lone CRs before the current LF-line
    with staged.path.open("rb") as src, out.open("wb") as dst:
        for k, line in enumerate(src, start=1):  # binary iteration splits on LF only
            if k in wanted:
                moved[k] = k + extra
            body, end = (line[:-1], b"\n") if line.endswith(b"\n") else (line, b"")
            if end and body.endswith(b"\r"):
                body = body[:-1]
            extra += body.count(b"\r")
            dst.write(body.replace(b"\r", b"\n") + end)
    bad = tuple((moved.get(line, line), reason, detail) for line, reason, detail in staged.bad_lines)
    return dataclasses.replace(staged, path=out, bad_lines=bad, line_ends=None)
