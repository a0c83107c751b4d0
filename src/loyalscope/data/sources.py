"""Sources: files, folders, frames, DuckDB files and database URLs -> tables on the engine.

Every source becomes a :class:`Source`: an Ibis table on the analysis connection holding the
source's own columns plus ``_line`` / ``_line_end`` (1-based line range in the file, header = 1;
the row number for typed sources), and its header mapping. Nothing is read into Python:

Files are staged first (:func:`loyalscope.data.intake.stage`: encodings decided with evidence,
spreadsheets, JSON, archives -> UTF-8 CSV or Parquet files, interface 1 of TEAM.md); then

- text files (CSV, TSV, staged UTF-8 copies) are read as physical lines by the engine and
  assembled into records in the engine (:mod:`loyalscope.data.records`); text stays text, parsing
  is ours (:mod:`loyalscope.data.parse`);
- Parquet is read by the engine's Parquet reader; typed columns keep their types;
- JSON Lines: lines read by the engine, each parsed with the engine's JSON functions;
- database tables (a DuckDB file, ``postgres://...``) are read in place when the analysis runs
  on that database (``load("postgres://...")``), else copied in Arrow batches;
- frames (pandas / polars / pyarrow) are small by definition and uploaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from loyalscope.config import AnalysisConfig
from loyalscope.data import schema
from loyalscope.data.intake import SUFFIXES, BadLine, Staged, Unused, readable, stage
from loyalscope.data.intake.parquet import check_types
from loyalscope.data.intake.text import sniff_delimiter
from loyalscope.data.mapping import (
    action_column,
    infer_table,
    no_header_hint,
    normalise_header,
    resolve,
    table_for_name,
)
from loyalscope.data.readers import lf_line_ends, read_lines, read_parquet
from loyalscope.data.records import csv_records
from loyalscope.errors import SchemaError
from loyalscope.i18n import t

DUCKDB_SUFFIXES = (".duckdb", ".ddb")
DATA_SUFFIXES = SUFFIXES
"""Suffixes of the files a folder scan reads (those :func:`loyalscope.data.intake.stage` reads)."""
__all__ = ["DATA_SUFFIXES", "Source", "read_source", "sniff_delimiter"]


@dataclass
class Source:
    """One source on the engine: ``rel`` (own columns + ``_line``, ``_line_end``; text files
    also ``_reason`` ... for structurally bad records), its mapping and its counts."""

    table: str
    name: str
    rel: ir.Table
    mapping: dict[str, str]
    typed: bool = False
    encoding: str | None = None
    lines: int | None = None
    """Physical lines after the header (text files)."""
    multiline: int = 0
    multiline_example: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)
    inferred: bool = False
    """The table was judged from the columns (a single file named anything)."""
    staged: Staged | None = None
    """How intake staged the file (encoding decision, notes); None for frames and databases."""
    absent_bad: tuple[BadLine, ...] = ()
    """Records the staging step found bad and left out of a staged Parquet file (broken JSON
    records, duplicate keys): quarantined as they are, and counted as read."""
    scratch: tuple[int, int] | None = None
    """Positions of its intermediate engine objects (see ``compiled.mark``), dropped once parsed."""
    headers: tuple[str, ...] = ()
    """The source's own column names, in order (those its ``mapping`` did not take are reported
    as columns not used)."""

    @property
    def unused_columns(self) -> list[str]:
        """Its columns that no canonical column took: read, and not used by any number."""
        taken = set(self.mapping.values())
        return [h for h in self.headers if h not in taken]


def structural_columns(table: str, mapping: dict[str, str]) -> set[str]:
    """Source headers of columns that may not hold a line break or the delimiter: ids, keys,
    required columns, and every number, date and boolean. Other text is free text."""
    spec = schema.table(table)
    out = set()
    for canon, header in mapping.items():
        col = spec.column(canon)
        if col.dtype != "string" or col.required or col.key or canon.endswith("_id"):
            out.add(header)
    return out


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        h = h or "column"
        if h in seen:
            seen[h] += 1
            out.append(f"{h}.{seen[h]}")
        else:
            seen[h] = 0
            out.append(h)
    return out


def _reserved(headers: list[str]) -> list[str]:
    return [f"{h}_" if h.startswith("_l") or h.startswith("_r") else h for h in headers]


# ---- file readers --------------------------------------------------------------------------
def header_lines(staged: Staged) -> list[str]:
    """The physical lines of a staged CSV's header (:attr:`Staged.header_end` of them, at least
    one), line ends kept."""
    with staged.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        return list(islice(fh, max(1, staged.header_end)))


def header_delimiter(head: list[str], name: str) -> str:
    """The delimiter of a staged CSV from its header's lines ``head``: judged on line 1 (a survey
    tool's later header rows hold commas in their question texts), on all of ``head`` when line 1
    holds none (a wrapped first cell: ``"订单``)."""
    first = head[0].rstrip("\r\n") if head else ""
    return sniff_delimiter(first if any(d in first for d in "\t,;|") else "".join(head),
                           Path(name).suffix.lower())


def read_text(con: BaseBackend, staged: Staged, table: str, config: AnalysisConfig,
              related: tuple[str, ...] = (), name: str | None = None) -> Source:
    """A delimited UTF-8 text file (LF or CRLF line ends, see
    :func:`loyalscope.data.readers.lf_line_ends`) as records on the engine."""
    path, name = staged.path, name or staged.source
    head = header_lines(staged)
    first = head[0].rstrip("\r\n") if head else ""
    if not first.strip():
        raise SchemaError(t("data.sources.empty_file"), file=name, row=1,
                          fix=t("data.sources.empty_file_fix"))
    delim = header_delimiter(head, staged.name)
    own = list(staged.header) if staged.header is not None else [
        h.strip() for h in next(csv.reader([first], delimiter=delim))]
    header = _reserved(_unique(own))
    mapping = resolve(table, header, config.mapping.get(table), config.data.preset, name, related)
    spec = schema.table(table)
    numeric = frozenset(h for c, h in mapping.items() if spec.column(c).dtype in ("float64", "int64"))
    first_line = 0 if staged.header_added else 1
    # a header of several rows (a survey tool's) or of quoted cells holding line breaks ends on a
    # later line (Staged.header_end)
    header_line = 0 if staged.header_added else staged.header_end
    recs = csv_records(con, read_lines(con, path, first_line), header, delim,
                       structural_columns(table, mapping), numeric,
                       every_text=bool(staged.bad_lines), header_line=header_line)
    rel = _staged_bad_lines(recs.table, staged)
    return Source(table, name, rel, mapping, encoding=_enc(staged), lines=recs.lines,
                  multiline=recs.multiline, multiline_example=recs.multiline_example,
                  headers=tuple(header))


def _staged_bad_lines(rel: ir.Table, staged: Staged) -> ir.Table:
    """The record holding each line the staging step found bad (undecodable bytes, NUL, mixed
    encodings) is quarantined with the staging step's reason code and detail, whatever its
    text parses to; a record holding several takes the first."""
    if not staged.bad_lines:
        return rel
    bad = ibis.memtable(pd.DataFrame(list(staged.bad_lines), columns=["_bl", "_br", "_bd"])
                        .astype({"_bl": "int64", "_br": "string", "_bd": "string"}))
    spans = rel.select(_hl=rel._line, _he=rel._line_end)
    hits = spans.join(bad, (spans._hl <= bad._bl) & (bad._bl <= spans._he))
    first = hits.group_by("_hl").aggregate(_br=hits._br.argmin(hits._bl),
                                           _bd=hits._bd.argmin(hits._bl))
    j = rel.left_join(first, rel._line == first._hl)
    hit = j._br.notnull()
    return j.select(
        *[c for c in rel.columns if c not in ("_reason", "_why", "_sd")],
        _reason=ibis.ifelse(hit, j._br, j._reason), _why=ibis.ifelse(hit, "staged", j._why),
        _sd=ibis.ifelse(hit, j._bd, j._sd))


def _enc(staged: Staged) -> str | None:
    return staged.encoding.name if staged.encoding is not None else None


@ibis.udf.scalar.builtin(name="json_extract_string")
def _json_str(text: str, path: str) -> str:  # type: ignore[empty-body]
    """DuckDB: the value at ``path`` as text."""


@ibis.udf.scalar.builtin(name="get_json_object")
def _spark_json(text: str, path: str) -> str:  # type: ignore[empty-body]
    """Spark: the value at ``path`` as text."""


@ibis.udf.scalar.builtin(name="json_valid")
def _json_valid(text: str) -> bool:  # type: ignore[empty-body]
    """DuckDB: whether the text is valid JSON."""


@ibis.udf.scalar.builtin(name="json_type")
def _json_type(text: str) -> str:  # type: ignore[empty-body]
    """DuckDB: OBJECT, ARRAY ... of a JSON text."""


def read_jsonl(con: BaseBackend, staged: Staged, table: str, config: AnalysisConfig,
               related: tuple[str, ...] = (), name: str | None = None) -> Source:
    """JSON Lines: one object per line, values as text; other lines are ``malformed_line``."""
    lines = read_lines(con, staged.path)
    keys = _json_keys(con, lines)
    header = _reserved(_unique(keys))
    name = name or staged.source
    mapping = resolve(table, header, config.mapping.get(table), config.data.preset, name, related)
    if con.name == "pyspark":
        def get(text: ir.StringValue, k: str) -> ir.StringValue:
            return _spark_json(text, "$['" + k.replace("'", "\\'") + "']")
        is_obj = lines.text.strip().startswith("{") & _spark_json(lines.text, "$").notnull()
    else:
        def get(text: ir.StringValue, k: str) -> ir.StringValue:
            return _json_str(text, '$."' + k.replace('"', '\\"') + '"')
        valid = lines.text.re_search(r"^\s*\{") & _json_valid(lines.text)
        is_obj = valid & (_json_type(ibis.ifelse(valid, lines.text, "{}")) == "OBJECT")
    blank = lines.text.strip() == ""
    null_s = ibis.null().cast("string")
    reason = ibis.cases((blank, "empty_row"), (~is_obj, "malformed_line"), else_=null_s)
    rel = lines.select(
        "_line", _line_end=lines._line,
        **{h: ibis.ifelse(is_obj, get(ibis.ifelse(is_obj, lines.text, "{}"), k), null_s)
           for h, k in zip(header, keys, strict=True)},
        _reason=reason, _why=ibis.ifelse(reason == "malformed_line", "json", null_s),
        _col=null_s, _val=lines.text.substr(0, 200), _nf=ibis.literal(0, "int64"),
        _first=lines._line, _last=lines._line, _sd=null_s,
    )
    n = int(lines.count().execute())
    return Source(table, name, rel, mapping, encoding=_enc(staged), lines=n, headers=tuple(header))


def _json_keys(con: BaseBackend, lines: ir.Table) -> list[str]:
    """Keys of the JSON objects, in first-seen order (one small query)."""
    if con.name == "pyspark":
        sql = ("SELECT k, min(_line) AS f FROM (SELECT _line, explode(json_object_keys(text)) AS k "
               "FROM {t} WHERE trim(text) LIKE '{{%') GROUP BY k ORDER BY f, k")
    else:
        sql = ("SELECT k, min(_line) AS f FROM (SELECT _line, unnest(json_keys(text)) AS k FROM {t} "
               "WHERE regexp_matches(text, '^\\s*\\{{') AND json_valid(text) "
               "AND json_type(text) = 'OBJECT') GROUP BY k ORDER BY f, k")
    view = con.create_view(f"_ls_jk_{id(lines)}", lines, overwrite=True)
    try:
        return [str(k) for k in con.sql(sql.format(t=view.get_name())).execute()["k"]]
    finally:
        con.drop_view(view.get_name(), force=True)


def read_parquet_source(con: BaseBackend, staged: Staged, table: str,
                        config: AnalysisConfig, related: tuple[str, ...] = (),
                        name: str | None = None) -> Source:
    """A Parquet file; columns keep their types (staged text stays text). A user's typed
    column must be of a type its canonical column can hold
    (:func:`loyalscope.data.intake.parquet.check_types`: booleans are not amounts)."""
    name = name or staged.source
    rel = read_parquet(con, staged.path, staged.line_column)
    rel = rel.mutate(_line_end=rel._line)
    cols = [c for c in rel.columns if c not in ("_line", "_line_end")]
    mapping = resolve(table, cols, config.mapping.get(table), config.data.preset, name, related)
    typed = staged.line_column is None
    if typed:  # the check reads dtypes only: an empty frame of the file's schema
        check_types(_empty_frame(rel.select(*cols)), table, mapping, name,
                    day_numbers=config.data.day_one is not None)
    return Source(table, name, rel, mapping, typed=typed, encoding=_enc(staged),
                  absent_bad=staged.bad_lines, headers=tuple(cols))


def _empty_frame(rel: ir.Table) -> pd.DataFrame:
    """A zero-row pandas frame with the dtypes of ``rel``'s columns."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in rel.schema().to_pandas()})


def cell_str(v: Any) -> Any:
    """An Excel cell as text (integral floats without ``.0``, dates in ISO form)."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def from_frame(con: BaseBackend, obj: Any, table: str, name: str,
               config: AnalysisConfig) -> Source:
    """A pandas / polars / pyarrow object (small by definition) uploaded as a typed source."""
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index(drop=True)
    elif hasattr(obj, "to_pandas"):
        frame = obj.to_pandas()
    else:
        frame = pd.DataFrame(obj)
    frame = frame.copy()
    frame.columns = _reserved(_unique([str(c) for c in frame.columns]))
    headers = tuple(str(c) for c in frame.columns)
    mapping = resolve(table, list(headers), config.mapping.get(table), config.data.preset, name)
    frame["_line"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    frame["_line_end"] = frame["_line"]
    for col in frame.columns:  # object columns of mixed Python values: as text
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: None if v is None or v != v else str(v))
    rel = con.create_table(f"_ls_frame_{id(frame)}", frame, overwrite=True) \
        if con.name != "pyspark" else ibis.memtable(frame)
    return Source(table, name, rel, mapping, typed=True, headers=headers)


def _in_place(con: BaseBackend, tbl: ir.Table, table: str, label: str,
              config: AnalysisConfig) -> Source:
    numbered = tbl.mutate(_line=(ibis.row_number().over() + 1).cast("int64"))
    numbered = numbered.mutate(_line_end=numbered._line)
    cols = [c for c in tbl.columns]
    mapping = resolve(table, cols, config.mapping.get(table), config.data.preset, label)
    return Source(table, label, numbered, mapping, typed=True, headers=tuple(cols))


def read_duckdb(con: BaseBackend, path: Path, config: AnalysisConfig) -> list[Source]:
    """Every table of a DuckDB file whose name stands for a canonical table, read in place
    (ATTACH ... READ_ONLY) when the engine is DuckDB."""
    import duckdb

    out = []
    if con.name == "duckdb":
        alias = f"_ls_src_{abs(hash(str(path.resolve()))) % 10**8}"
        attached = con.raw_sql("SELECT database_name FROM duckdb_databases()").fetchall()
        if alias not in {r[0] for r in attached}:
            con.raw_sql(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {alias} (READ_ONLY)")
        names = [r[0] for r in con.raw_sql(
            f"SELECT table_name FROM duckdb_tables() WHERE database_name = '{alias}' "
            "ORDER BY table_name").fetchall()]
        for name in names:
            tbl = _table_from_config(name, config) or table_for_name(name)
            if tbl is not None:
                rel = con.sql(f'SELECT * FROM {alias}."{name}"')
                out.append(_in_place(con, rel, tbl, f"{path}:{name}", config))
        return out
    src = duckdb.connect(str(path), read_only=True)
    try:
        for (name,) in src.execute("SHOW TABLES").fetchall():
            tbl = _table_from_config(name, config) or table_for_name(name)
            if tbl is not None:
                arrow = src.execute(f'SELECT * FROM "{name}"').fetch_arrow_table()
                out.append(from_frame(con, arrow, tbl, f"{path}:{name}", config))
    finally:
        src.close()
    return out


def read_url(con: BaseBackend, url: str, config: AnalysisConfig) -> list[Source]:
    """Every table behind a database URL whose name stands for a canonical table: in place when
    ``con`` is that database, else copied in Arrow batches."""
    from loyalscope import engine

    same = getattr(con, "_ls_url", None) == url
    db = con if same else engine.open_engine(config.engine, url)
    spark = db.name == "pyspark"
    database = (url.removeprefix("pyspark://").strip("/") or None) if spark else None
    out = []
    for name in _stored_tables(db, database):
        tbl = _table_from_config(name, config) or table_for_name(name)
        if tbl is None:
            continue
        label = f"{url.split('@')[-1]}:{name}"
        table = db.table(name, database=database) if database else db.table(name)
        if same:
            out.append(_in_place(con, table, tbl, label, config))
        else:
            out.append(from_frame(con, table.to_pyarrow(), tbl, label, config))
    if spark and not out:
        session = db._session
        raise SchemaError(
            t("engine.no_tables", database=database or session.catalog.currentDatabase(),
              warehouse=session.conf.get("spark.sql.warehouse.dir")),
            fix=t("engine.no_tables_fix"))
    return out


def _stored_tables(db: BaseBackend, database: str | None) -> list[str]:
    """Tables of the database behind a URL, without this process's scratch objects and, on
    Spark, without temporary views (Spark lists the session's views, such as a previous load's
    ``ls_orders``, in every database)."""
    if db.name == "pyspark":
        session = db._session
        names = [t.name for t in session.catalog.listTables(database)
                 if not t.isTemporary] if database else [
            t.name for t in session.catalog.listTables() if not t.isTemporary]
    else:
        names = list(db.list_tables())
    return [n for n in names if not n.startswith("_ls_")]


# ---- dispatch ------------------------------------------------------------------------------
def read_file(con: BaseBackend, path: Path, table: str | None, config: AnalysisConfig,
              related: tuple[str, ...] = (), unused: list[Unused] | None = None) -> list[Source]:
    """Stage ``path`` (:func:`loyalscope.data.intake.stage`) and read each staged file.

    ``table`` None means "from the file name". The first staged file (the best sheet, the first
    archive member) takes ``table``, else the table its own name or the file's name stands for,
    else the table judged from its columns; further sheets and members are read when their name
    stands for a table, and are appended to ``unused`` otherwise."""
    chosen = table or _table_from_config(path.name, config)  # given or configured, not guessed
    named = None if chosen else table_for_name(_stem(path.name))
    file_table = chosen or named
    out: list[Source] = []
    first: tuple[str, Staged] | None = None  # the first sheet's table and staged file
    for i, st in enumerate(stage(path, config)):
        own = st.sheet or (st.member and _stem(st.member))
        tbl = (_table_from_config(st.member or "", config) or table_for_name(own or "")
               if own else None)
        if i == 0:
            tbl = tbl if st.member and tbl else file_table
        name = str(path) + st.source[len(path.name):]
        inferred = False
        renamed = None
        if i == 0 and tbl == "customers" and tbl == named and "transactions" not in related:
            renamed = _orders_named_as_customers(st, config, path.name)
            if renamed is not None:
                tbl = "transactions"
        if tbl is None and i == 0:  # a single file named anything: judged from its columns
            guess = infer_table(_headers(st), config.mapping, config.data.preset)
            action = action_column(_headers(st))
            if action is not None and (guess is None or guess[0] != "transactions"
                                       or not {"amount", "unit_price"} & set(guess[1])):
                raise SchemaError(t("data.sources.behaviour_log", name=path.name, column=action),
                                  file=str(path), column=action,
                                  fix=t("data.sources.behaviour_log_fix", column=action))
            if guess is not None:
                tbl, inferred = guess[0], True
        same = False
        if tbl is None and first is not None and _comparable(_headers(st)) == _comparable(_headers(first[1])):
            tbl, same = first[0], True  # a year's sheet of the same export (Online Retail II)
        if tbl is None:
            if i == 0:
                hint = no_header_hint(_headers(st))
                raise SchemaError(
                    t("data.sources.unknown_table", name=path.name) + hint, file=str(path),
                    row=1 if hint else None,
                    fix=t("data.mapping.no_header_fix", name=path.name) if hint else t(
                        "data.sources.unknown_table_fix", known=", ".join(schema.TABLE_NAMES),
                        example="transactions", name=path.name),
                )
            if unused is not None:
                unused.append(Unused(name, t("data.intake.unused_sheet")))
            continue
        src = _read_staged(con, st, tbl, config, related, name)
        src.inferred = inferred
        if renamed is not None:
            src.notes.append(renamed)
        if i == 0:
            first = (tbl, st)
        elif same and first is not None:
            src.notes.append(t("data.intake.same_columns", sheet=st.sheet or st.member or name,
                               first=first[1].sheet or first[1].member or path.name, table=tbl))
        out.append(src)
    return out


def _orders_named_as_customers(st: Staged, config: AnalysisConfig, name: str) -> str | None:
    """The note for a file named like customers (``customer_purchases.csv``,
    ``customer_orders.xlsx``) whose columns are those of orders: an order time and an amount
    beside the customer id, as :func:`~loyalscope.data.mapping.infer_table` judges them. Read as
    customers, its repeat buyers' rows were quarantined as duplicate customers and its
    purchase columns left unused. None when the columns are a customers file's (a customer
    list with a "total spent" column stays customers). Not asked when another file of the
    folder is named like orders."""
    headers = _headers(st)
    guess = infer_table(headers, config.mapping, config.data.preset)
    if guess is None or guess[0] != "transactions":
        return None
    columns = ", ".join(h for c, h in guess[1].items() if c != "customer_id")
    return t("data.sources.named_customers_read_as_orders", name=name, columns=columns)


def _comparable(headers: list[str]) -> list[str]:
    """Headers in the form two exports of one table share (see ``normalise_header``)."""
    return [normalise_header(h) for h in headers]


def _read_staged(con: BaseBackend, st: Staged, table: str, config: AnalysisConfig,
                 related: tuple[str, ...], name: str) -> Source:
    if st.format == "parquet":
        src = read_parquet_source(con, st, table, config, related, name)
    elif st.format == "jsonl":
        src = read_jsonl(con, st, table, config, related, name)
    else:
        src = read_text(con, lf_line_ends(st), table, config, related, name)
    src.staged = st
    src.notes.extend(st.notes)
    return src


def _stem(name: str) -> str:
    base = name[:-3] if name.lower().endswith(".gz") else name
    return Path(base).stem


def _headers(staged: Staged) -> list[str]:
    """The column names of a staged file (header line, Parquet schema, JSON keys of the first
    line), for telling its table from its columns."""
    if staged.header is not None:  # combined from a survey tool's header rows
        return list(staged.header)
    if staged.format == "parquet":
        import pyarrow.parquet as pq

        return [c for c in pq.read_schema(staged.path).names if c != staged.line_column]
    with staged.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline().rstrip("\r\n")
    if staged.format == "jsonl":
        import json

        try:
            obj = json.loads(first)
        except ValueError:
            return []
        return [str(k) for k in obj] if isinstance(obj, dict) else []
    delim = sniff_delimiter(first, Path(staged.name).suffix.lower())
    return [h.strip() for h in next(csv.reader([first], delimiter=delim), [])]


def read_source(source: Any, config: AnalysisConfig, con: BaseBackend,
                table: str | None = None, unused: list[Unused] | None = None) -> list[Source]:
    """Turn one ``load`` argument into sources on ``con``; files of a folder (sheets, archive
    members) that are not read are appended to ``unused`` with the reason."""
    if isinstance(source, Mapping):
        out: list[Source] = []
        for name, obj in source.items():
            schema.table(name)
            out.extend(read_source(obj, config, con, table=name, unused=unused))
        return out
    if isinstance(source, str) and "://" in source:
        return read_url(con, source, config)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise SchemaError(t("data.sources.not_found", path=path), file=str(path),
                              fix=t("data.sources.not_found_fix"))
        if path.is_dir():
            return list(_read_folder(con, path, config, unused))
        if path.suffix.lower() in DUCKDB_SUFFIXES:
            return read_duckdb(con, path, config)
        if readable(path):
            return read_file(con, path, table, config, unused=unused)
    elif isinstance(source, pd.DataFrame) or hasattr(source, "to_pandas"):
        if table is not None:
            return [from_frame(con, source, table, f"<{table}>", config)]
    raise SchemaError(t("data.sources.unsupported", what=type(source).__name__ if not isinstance(
        source, (str, Path)) else str(source)), fix=t("data.sources.unsupported_fix"))


def _read_folder(con: BaseBackend, folder: Path, config: AnalysisConfig,
                 unused: list[Unused] | None = None) -> Iterator[Source]:
    """Every file of ``folder`` that stands for a table; the others are appended to ``unused``
    with the reason (never skipped silently)."""
    # Only the folder itself: subfolders often hold alternative exports of the same data
    # (e.g. a CRM export beside the canonical files) and would be read twice.
    unused = unused if unused is not None else []
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith((".", "~$")))
    files = [p for p in entries if p.is_file()]
    readable_files = {p for p in files if readable(p)}  # an extensionless file is read once
    related = tuple(sorted({t for p in readable_files
                            for t in [_table_from_config(p.name, config)
                                      or table_for_name(_stem(p.name))]
                            if t is not None}))
    # (report, i15) a folder whose only data file named anything ("online_retail.csv") is
    # read like that file given directly: its table judged from its columns, unless a file of
    # the folder is named for that table (it may be a copy: its orders would count twice)
    named = {p: _table_from_config(p.name, config) or table_for_name(_stem(p.name))
             for p in readable_files}
    unnamed = [p for p in files if p in readable_files and named[p] is None]
    lone = unnamed[0] if len(unnamed) == 1 else None
    taken = {tbl: p for p, tbl in sorted(named.items(), reverse=True) if tbl is not None}
    for path in entries:
        if path.is_dir():
            unused.append(Unused(str(path), t("data.intake.unused_folder")))
            continue
        rel = path.relative_to(folder).as_posix()
        configured = _table_from_config(rel, config) or _table_from_config(path.name, config)
        if path.suffix.lower() in DUCKDB_SUFFIXES:
            yield from read_duckdb(con, path, config)
            continue
        if path not in readable_files:
            unused.append(Unused(str(path), t("data.intake.unused_type")))
            continue
        # read_file is given only the configured table: the one the name stands for it derives
        # itself, and may overrule (a file named like customers holding orders)
        table = configured or table_for_name(_stem(path.name))
        if table is None and path != lone and not path.name.lower().endswith(".zip"):
            unused.append(Unused(str(path), t("data.intake.unused_name")))
            continue
        try:
            srcs = read_file(con, path, configured, config, related, unused)
        except SchemaError as exc:
            if table is not None:
                raise
            unused.append(Unused(str(path), exc.message))
            continue
        twin = next((taken[s.table] for s in srcs if table is None and s.table in taken), None)
        if twin is not None:
            unused.append(Unused(str(path), t("data.intake.unused_lone_taken", table=srcs[0].table,
                                              other=twin.name, name=path.name)))
            continue
        yield from srcs


def _table_from_config(name: str, config: AnalysisConfig) -> str | None:
    for tbl, patterns in config.data.files.items():
        for pat in [patterns] if isinstance(patterns, str) else patterns:
            if fnmatch.fnmatch(name, pat):
                return tbl
    return None
