"""Readers: files, folders, in-memory frames, DuckDB files and database URLs -> :class:`RawTable`.

Text files (CSV, TSV, JSON Lines) are read as strings so that parsing stays ours and each row
keeps its 1-based source line (header = line 1). A line with the wrong number of fields is not
dropped: it becomes a ``malformed_line`` quarantine row. Typed sources (Parquet, DuckDB,
databases, frames) keep their types; validation does not re-parse typed columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.config import AnalysisConfig
from loyalscope.data import schema
from loyalscope.data.intake import Staged, Unused, stage, supported
from loyalscope.data.mapping import infer_table, table_for_name
from loyalscope.data.quality import QUARANTINE_COLUMNS
from loyalscope.errors import SchemaError
from loyalscope.i18n import t

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
PARQUET_SUFFIXES = (".parquet", ".pq")
DUCKDB_SUFFIXES = (".duckdb", ".ddb")
DATA_SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + (".gz", ".zip")
_GB_FAMILY = ("gb2312", "gbk", "gb18030", "hz", "cp936")


@dataclass
class RawTable:
    """One source's rows before mapping: ``frame`` (object/str columns for text sources),
    ``lines`` (1-based source line of each row) and the malformed lines already found."""

    table: str | None
    name: str
    frame: pd.DataFrame
    lines: np.ndarray
    typed: bool = False
    encoding: str | None = None
    malformed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    staged: Staged | None = None
    """How intake staged the file (encoding decision, notes); None for frames and databases."""
    inferred: bool = False
    """The table was judged from the columns (a single file named anything)."""

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)


# ---- encodings and delimiters --------------------------------------------------------------
def detect_encoding(data: bytes) -> str:
    """Encoding of ``data``: BOMs first, then strict UTF-8, then charset-normalizer.

    Any GB-family guess (GB2312, GBK, ...) is widened to ``gb18030``, their superset.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data[:200_000])
    names = [m.encoding.lower().replace("_", "") for m in matches]
    if any(n.replace("-", "") in _GB_FAMILY for n in names) or not names:
        try:
            data.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            pass
    best = matches.best()
    return best.encoding if best is not None else "gb18030"


def sniff_delimiter(header_line: str, suffix: str) -> str:
    """The most frequent of tab, comma, semicolon and pipe in the header line."""
    counts = {d: header_line.count(d) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return "\t" if suffix in (".tsv", ".tab") else ","
    return best


def _malformed(table: str | None, name: str, rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    line, value, detail = zip(*rows, strict=True)
    return pd.DataFrame({
        "table": table, "source_file": name, "line": list(line), "column": None,
        "value": list(value), "reason": "malformed_line", "detail": list(detail),
    })[QUARANTINE_COLUMNS]


# ---- file readers --------------------------------------------------------------------------
def read_text(path: Path, table: str | None, encoding: str | None = None) -> RawTable:
    """Read a delimited text file as strings, with source line numbers."""
    data = path.read_bytes()
    enc = encoding or detect_encoding(data)
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        text = data.decode(enc, errors="replace")
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise SchemaError(t("data.sources.empty_file"), file=str(path), row=1,
                          fix=t("data.sources.empty_file_fix"))
    delim = sniff_delimiter(first, path.suffix.lower())
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # cells over 131,072 characters
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = [h.strip() for h in next(reader)]
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    bad: list[tuple[int, str, str]] = []
    start = reader.line_num + 1
    for rec in reader:
        if len(rec) == width:
            rows.append(rec)
            lines.append(start)
        elif not rec or (len(rec) < width and not any(v.strip() for v in rec)):
            rows.append([""] * width)  # a blank line: quarantined later as empty_row
            lines.append(start)
        else:
            bad.append((start, delim.join(rec)[:200],
                        t("data.validate.detail_malformed", expected=width, found=len(rec))))
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=_unique(header), dtype=object)
    return RawTable(table, str(path), frame, np.asarray(lines, dtype=np.int64), encoding=enc,
                    malformed=_malformed(table, str(path), bad))


def read_jsonl(path: Path, table: str | None, encoding: str | None = None) -> RawTable:
    """Read JSON Lines: one object per line, values kept as strings."""
    data = path.read_bytes()
    enc = encoding or detect_encoding(data)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    bad: list[tuple[int, str, str]] = []
    for no, line in enumerate(data.decode(enc, errors="replace").lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append((no, line[:200], str(exc)))
            continue
        if not isinstance(obj, dict):
            bad.append((no, line[:200], "not a JSON object"))
            continue
        records.append({k: _jsonl_str(v) for k, v in obj.items()})
        lines.append(no)
    frame = pd.DataFrame.from_records(records).astype(object) if records else pd.DataFrame()
    return RawTable(table, str(path), frame, np.asarray(lines, dtype=np.int64), encoding=enc,
                    malformed=_malformed(table, str(path), bad))


def _jsonl_str(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def read_excel(path: Path, table: str | None) -> RawTable:
    """Read the first sheet of an .xlsx workbook (openpyxl); cells rendered as strings."""
    try:
        frame = pd.read_excel(path, dtype=object, engine="openpyxl")
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise SchemaError(t("data.sources.xlsx_engine"), file=str(path),
                          fix=t("data.sources.xlsx_engine_fix")) from exc
    frame.columns = _unique([str(c).strip() for c in frame.columns])
    frame = frame.map(_cell_str)
    lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    return RawTable(table, str(path), frame, lines)


def _cell_str(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def from_frame(obj: Any, table: str | None, name: str) -> RawTable:
    """A pandas / polars / pyarrow object as a typed source."""
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index(drop=True)
    elif hasattr(obj, "to_pandas"):
        frame = obj.to_pandas()
    else:
        frame = pd.DataFrame(obj)
    frame.columns = _unique([str(c) for c in frame.columns])
    return RawTable(table, name, frame, np.arange(1, len(frame) + 1, dtype=np.int64), typed=True)


def read_parquet(path: Path, table: str | None) -> RawTable:
    raw = from_frame(pd.read_parquet(path), table, str(path))
    return raw


def read_duckdb(path: Path, config: AnalysisConfig) -> list[RawTable]:
    """Every table of a DuckDB file whose name stands for a canonical table."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        out = []
        for name in names:
            tbl = _table_from_config(name, config) or table_for_name(name)
            if tbl is not None:
                out.append(from_frame(con.execute(f'SELECT * FROM "{name}"').df(), tbl, f"{path}:{name}"))
        return out
    finally:
        con.close()


def read_url(url: str, config: AnalysisConfig) -> list[RawTable]:
    """Every table behind an Ibis URL (postgres://...) whose name stands for a canonical table."""
    from loyalscope import engine

    con = engine.open_engine(config.engine, url)
    spark = con.name == "pyspark"
    database = (url.removeprefix("pyspark://").strip("/") or None) if spark else None
    out = []
    for name in con.list_tables(database=database) if database else con.list_tables():
        tbl = _table_from_config(name, config) or table_for_name(name)
        if tbl is not None:
            frame = con.table(name, database=database).to_pandas() if database else con.table(name).to_pandas()
            out.append(from_frame(frame, tbl, f"{url.split('@')[-1]}:{name}"))
    if spark and not out:
        session = con._session
        raise SchemaError(
            t("engine.no_tables", database=database or session.catalog.currentDatabase(),
              warehouse=session.conf.get("spark.sql.warehouse.dir")),
            fix=t("engine.no_tables_fix"))
    return out


# ---- dispatch ------------------------------------------------------------------------------
def read_file(path: Path, table: str | None, config: AnalysisConfig) -> RawTable:
    """Read one data file; ``table`` None means "from the file name". The first table only;
    see :func:`read_staged` for every sheet / archive member."""
    raws, _ = read_staged(path, table, config)
    return raws[0]


def read_staged(path: Path, table: str | None, config: AnalysisConfig,
                ) -> tuple[list[RawTable], list[Unused]]:
    """Stage ``path`` (:func:`loyalscope.data.intake.stage`) and read each staged file.

    The first staged file (the best sheet, the first archive member) takes ``table``, else
    the table its own name or the file's name stands for; further sheets and members are read
    when their name stands for a table, and are returned as unused otherwise."""
    file_table = table or _table_from_config(path.name, config) or table_for_name(_stem(path.name))
    out: list[RawTable] = []
    unused: list[Unused] = []
    for i, st in enumerate(stage(path, config)):
        own = st.sheet or (st.member and _stem(st.member))
        tbl = (_table_from_config(st.member or "", config) or table_for_name(own or "")
               if own else None)
        if i == 0:
            tbl = tbl if st.member and tbl else file_table
        name = str(path) + st.source[len(path.name):]
        if tbl is None and i == 0:  # a single file named anything: judged from its columns
            raw = _read_one(st, None, name)
            guess = infer_table(list(raw.frame.columns), config.mapping, config.data.preset)
            if guess is not None:
                raw.table, raw.inferred = guess[0], True
                if len(raw.malformed):
                    raw.malformed["table"] = guess[0]
                out.append(raw)
                continue
        if tbl is None:
            if i == 0:
                raise SchemaError(
                    t("data.sources.unknown_table", name=path.name), file=str(path),
                    fix=t("data.sources.unknown_table_fix", known=", ".join(schema.TABLE_NAMES),
                          example="transactions", name=path.name),
                )
            unused.append(Unused(name, t("data.intake.unused_sheet")))
            continue
        out.append(_read_one(st, tbl, name))
    return out, unused


def _stem(name: str) -> str:
    base = name[:-3] if name.lower().endswith(".gz") else name
    return Path(base).stem


def _read_one(st: Staged, table: str | None, name: str) -> RawTable:
    if st.format == "csv":
        raw = read_text(st.path, table, "utf-8")
    elif st.line_column is not None:
        frame = pd.read_parquet(st.path).astype(object)
        lines = frame.pop(st.line_column).to_numpy(dtype=np.int64)
        frame = frame.where(frame.notna(), None)
        raw = RawTable(table, name, frame, lines)
    else:
        raw = read_parquet(st.path, table)
    raw.name = name
    raw.staged = st
    raw.encoding = st.encoding.name if st.encoding else None
    if not raw.malformed.empty:
        raw.malformed["source_file"] = name
    if st.bad_lines:
        _apply_bad_lines(raw, st)
    return raw


def _apply_bad_lines(raw: RawTable, st: Staged) -> None:
    """Quarantine the records that intake found bad (see :class:`Staged` ``bad_lines``)."""
    bad = sorted(st.bad_lines)
    rows: list[tuple[int, str | None, str, str]] = []
    if st.format == "csv":
        # the record holding each bad line: the last record starting at or before it
        starts = np.sort(np.concatenate([raw.lines, raw.malformed["line"].to_numpy(np.int64)]))
        hit: dict[int, tuple[str, str]] = {}
        for line, reason, detail in bad:
            pos = int(np.searchsorted(starts, line, side="right")) - 1
            if pos >= 0:
                hit.setdefault(int(starts[pos]), (reason, detail))
        keep = ~np.isin(raw.lines, list(hit))
        values = [",".join("" if v is None else str(v) for v in rec)
                  for rec in raw.frame[~keep].itertuples(index=False)]
        for line, value in zip(raw.lines[~keep], values, strict=True):
            rows.append((int(line), value[:200], *hit[int(line)]))
        raw.frame, raw.lines = raw.frame[keep].reset_index(drop=True), raw.lines[keep]
        m = raw.malformed
        for idx in m.index[m["line"].isin(list(hit))]:
            m.loc[idx, ["reason", "detail"]] = hit[int(m.loc[idx, "line"])]
    else:
        rows = [(line, None, reason, detail) for line, reason, detail in bad]
    if rows:
        extra = pd.DataFrame({
            "table": raw.table, "source_file": raw.name, "line": [r[0] for r in rows],
            "column": None, "value": [r[1] for r in rows], "reason": [r[2] for r in rows],
            "detail": [r[3] for r in rows]})[QUARANTINE_COLUMNS]
        parts = [p for p in (raw.malformed, extra) if len(p)]
        raw.malformed = pd.concat(parts, ignore_index=True)


def read_source(source: Any, config: AnalysisConfig, table: str | None = None,
                unused: list[Unused] | None = None) -> list[RawTable]:
    """Turn one ``load`` argument into raw tables; files of a folder that are not read are
    appended to ``unused`` with the reason."""
    if isinstance(source, Mapping):
        out: list[RawTable] = []
        for name, obj in source.items():
            schema.table(name)
            out.extend(read_source(obj, config, table=name, unused=unused))
        return out
    if isinstance(source, str) and "://" in source:
        return read_url(source, config)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise SchemaError(t("data.sources.not_found", path=path), file=str(path),
                              fix=t("data.sources.not_found_fix"))
        if path.is_dir():
            return list(_read_folder(path, config, unused))
        if path.suffix.lower() in DUCKDB_SUFFIXES:
            return read_duckdb(path, config)
        if supported(path.name):
            raws, more = read_staged(path, table, config)
            if unused is not None:
                unused.extend(more)
            return raws
    elif isinstance(source, pd.DataFrame) or hasattr(source, "to_pandas"):
        if table is not None:
            return [from_frame(source, table, f"<{table}>")]
    raise SchemaError(t("data.sources.unsupported", what=type(source).__name__ if not isinstance(
        source, (str, Path)) else str(source)), fix=t("data.sources.unsupported_fix"))


def _read_folder(folder: Path, config: AnalysisConfig, unused: list[Unused] | None = None,
                 ) -> Iterator[RawTable]:
    """Every file of ``folder`` that stands for a table; the others are appended to ``unused``
    with the reason (never skipped silently)."""
    # Only the folder itself: subfolders often hold alternative exports of the same data
    # (e.g. a CRM export beside the canonical files) and would be read twice.
    unused = unused if unused is not None else []
    entries = [p for p in sorted(folder.iterdir()) if not p.name.startswith((".", "~$"))]
    # (report, i15) a folder whose only data file is named anything ("online_retail.csv") is
    # read like that file given directly: its table judged from its columns (read_staged)
    data_files = [p for p in entries if p.is_file() and (supported(p.name) or p.suffix.lower() in DUCKDB_SUFFIXES)]
    lone = data_files[0] if len(data_files) == 1 else None
    for path in entries:
        if path.is_dir():
            unused.append(Unused(str(path), t("data.intake.unused_folder")))
            continue
        rel = path.relative_to(folder).as_posix()
        table = _table_from_config(rel, config) or _table_from_config(path.name, config)
        if path.suffix.lower() in DUCKDB_SUFFIXES:
            yield from read_duckdb(path, config)
            continue
        if not supported(path.name):
            unused.append(Unused(str(path), t("data.intake.unused_type")))
            continue
        table = table or table_for_name(_stem(path.name))
        if table is None and path != lone and not path.name.lower().endswith(".zip"):
            unused.append(Unused(str(path), t("data.intake.unused_name")))
            continue
        try:
            raws, more = read_staged(path, table, config)
        except SchemaError as exc:
            if table is not None:
                raise
            unused.append(Unused(str(path), exc.message))
            continue
        unused.extend(more)
        yield from raws


def _table_from_config(name: str, config: AnalysisConfig) -> str | None:
    for tbl, patterns in config.data.files.items():
        for pat in [patterns] if isinstance(patterns, str) else patterns:
            if fnmatch.fnmatch(name, pat):
                return tbl
    return None


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        if h in seen:
            seen[h] += 1
            out.append(f"{h}.{seen[h]}")
        else:
            seen[h] = 0
            out.append(h)
    return out
