"""``load``: read, map and validate user data on the engine; ``write_quarantine``.

>>> import loyalscope as ls
>>> ds = ls.load("data/")                       # doctest: +SKIP
>>> ds.quality.tables["transactions"].rows_quarantined   # doctest: +SKIP

Every step is an engine expression: sources are read by the engine's readers
(:mod:`loyalscope.data.sources`), parsed and checked per source
(:mod:`loyalscope.data.validate`), then checked per table (:mod:`loyalscope.data.checks`). The
accepted rows become the tables ``ls_<table>`` and the quarantine the table ``ls_quarantine`` on
the same connection; only counts and a few example values come back to Python. Hooks for other
packages: ``loyalscope.data.shapes.apply`` (when installed) runs on the accepted tables after the
per-source checks and before the table-wide ones (see :func:`_shapes`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from loyalscope import engine
from loyalscope.config import AnalysisConfig
from loyalscope.data import mapping, schema, shapes, sqlcache, sqldisk
from loyalscope.data.aliases import PRESETS
from loyalscope.data.checks import duplicate_key_rule, future_date_rule, now_text
from loyalscope.data.compiled import mark, release, release_since, remember, scratch_name
from loyalscope.data.dataset import Dataset
from loyalscope.data.intake import Unused, file_info
from loyalscope.data.mapping import table_for_name
from loyalscope.data.quality import QUARANTINE_COLUMNS, Note, QualityReport, TableReport
from loyalscope.data.questions import stated_scale
from loyalscope.data.shapes import ledger
from loyalscope.data.sources import DATA_SUFFIXES, Source, read_source
from loyalscope.data.validate import END, LINE, SRC, Parsed, parse_source
from loyalscope.errors import SchemaError
from loyalscope.i18n import t
from loyalscope.metrics.scales import FIXED_SCALES, Scale, declared_scale

# Tables processed in this order: transactions before returns (negative amounts move there).
_ORDER = ("customers", "transactions", "returns")
_ORPHAN_KEYS = {"returns": ("order_id", "transactions", "order_id"),
                "referrals": ("referrer_id", "customers", "customer_id")}
_Q = ("_q_reason", "_q_column", "_q_value", "_q_detail")


def load(
    *sources: Any,
    config: AnalysisConfig | str | Path | None = None,
    con: BaseBackend | None = None,
    now: pd.Timestamp | None = None,
) -> Dataset:
    """Read, map and validate ``sources`` on ``con``; the accepted rows become its tables.

    Parameters
    ----------
    *sources
        Paths of files (CSV/TSV/xlsx/Parquet/JSON Lines/DuckDB), folders of them, a database
        URL (``postgres://...``: read and validated in place), or a dict
        ``{table: frame or path}`` (pandas, polars, pyarrow).
    config : AnalysisConfig or path, optional
        Settings (``[data]``, ``[mapping]``); a path is read with :meth:`AnalysisConfig.load`.
    con : ibis backend, optional
        The engine; default the database of a URL source, else an in-memory DuckDB.
    now : Timestamp, optional
        The "now" of the future-date check (default: the current time in ``[data] timezone``;
        a time with a zone is taken as the wall-clock time in ``[data] timezone``).

    Returns
    -------
    Dataset
        With ``.quality`` (per-table counts, mapping, reasons, orphans, and the quarantine).
    """
    if not isinstance(config, AnalysisConfig):
        config = AnalysisConfig.load(config)
    if con is None:
        urls = [s for s in sources if isinstance(s, str) and "://" in s]
        con = engine.connect(urls[0]) if urls else engine.connect()
        if urls:
            con._ls_url = urls[0]
    srcs: list[Source] = []
    unused: list[Unused] = []
    for src in sources:
        start = mark()
        read = read_source(src, config, con, unused=unused)
        if len(read) == 1:  # its intermediate tables, dropped once it is parsed
            read[0].scratch = (start, mark())
        srcs.extend(read)
    if not srcs:
        skipped = "; ".join(f"{u.source}: {u.reason.rstrip('.。')}" for u in unused[:10])
        raise SchemaError(t("data.sources.nothing") + (" " + t("data.sources.nothing_seen", files=skipped)
                                                      if skipped else ""),
                          fix=t("data.sources.nothing_fix"))
    try:
        tables, report = validate_sources(con, srcs, config, now)
    finally:
        release(con)
        sqldisk.flush()  # what this load compiled, for the next process
    engine.compress_tables(con)  # [engine.duckdb] compress: the loaded tables, once
    # files not read, each with the reason: from intake and the folder scan (sheets, members,
    # folder files), then data files no table reads
    report.unused.extend({"file": u.source, "reason": u.reason} for u in unused)
    seen = {u["file"] for u in report.unused}
    report.unused.extend(u for u in _unused_files(sources, srcs) if u["file"] not in seen)
    return Dataset.from_tables(con, tables, stated_scales(config, srcs, report), report)


def stated_scales(config: AnalysisConfig, srcs: list[Source], report: QualityReport) -> AnalysisConfig:
    """``config`` with the answer scales the surveys give where ``[survey.scales]`` declares
    none: the scale a question states (``On a scale of 0-10, how would you rate us?``: csat
    0-10, :func:`loyalscope.data.questions.stated_scale`) when it differs from the default
    (csat 1-5), with a note; and 0-1 for an intent or csat read from yes / no answers
    (:data:`loyalscope.data.forms.YES_NO`, noted by the parse). ``config`` itself when there is
    none. NPS keeps its 0-10 (a recommendation question on another scale is refused by the NPS
    metrics, as before); a column whose questions state different scales keeps its default."""
    rep = report.tables.get("surveys")
    if rep is None:
        return config

    def open_scale(canon: str) -> Scale | None:
        """The column's default scale, None when it is fixed, declared or has none."""
        scale = declared_scale(config, canon)
        if canon in FIXED_SCALES or scale is None or scale.source == "config":
            return None
        return scale

    stated: dict[str, set[str]] = {}
    asked: dict[str, list[tuple[str, str]]] = {}
    for src in srcs:
        for canon, header in src.mapping.items() if src.table == "surveys" else ():
            if canon not in rep.answer_scales and open_scale(canon) is not None \
                    and (text := stated_scale(header)) is not None:
                stated.setdefault(canon, set()).add(text)
                asked.setdefault(canon, []).append((src.name, header))
    new: dict[str, str] = {}
    for canon, texts in stated.items():
        default = open_scale(canon)
        if len(texts) == 1 and default is not None and (one := next(iter(texts))) != default.text():
            new[canon] = one
            for source, header in asked[canon]:
                rep.notes.append(Note(source, t("data.validate.note_stated_scale", column=header,
                                                canon=canon, scale=one)))
    # an intent or csat read from yes / no answers is on 0-1 whatever its question says (its
    # note is the parse's)
    new.update({c: s for c, s in rep.answer_scales.items() if open_scale(c) is not None})
    if not new:
        return config
    survey = config.survey.model_copy(update={"scales": {**config.survey.scales, **new}})
    return config.model_copy(update={"survey": survey})


def validate_sources(
    con: BaseBackend, srcs: list[Source], config: AnalysisConfig, now: pd.Timestamp | None = None,
) -> tuple[dict[str, ir.Table], QualityReport]:
    """Validate sources on ``con`` and shape them: the tables ``ls_<table>`` and the report.

    1. per source: records, mapping, parsing, row checks (:func:`parse_source`);
    2. per table: future dates, and duplicate keys except for transactions, whose duplicate-key
       and negative-amount rules belong to the shapes (``checks.negative_amount_rule`` and
       ``checks.duplicate_key_rule`` are there for them);
    3. ``data.shapes.apply`` (order lines, cancellations, statuses, related files, persons,
       guests) on the accepted rows, which keep ``_source`` and ``_line``.
    """
    names = [s.name for s in srcs]
    now = pd.Timestamp.now(tz=config.data.timezone) if now is None else pd.Timestamp(now)
    if now.tzinfo is not None:  # the wall-clock time in [data] timezone, as the parsed times
        now = now.tz_convert(config.data.timezone).tz_localize(None)
    # file names and "now" change from run to run: bound late in the cached SQL
    with sqlcache.late_strings([*names, now_text(now)]):
        return _validate(con, srcs, config, names, now)


def _validate(con: BaseBackend, srcs: list[Source], config: AnalysisConfig, names: list[str],
              now: pd.Timestamp) -> tuple[dict[str, ir.Table], QualityReport]:
    by_table: dict[str, list[tuple[int, Source]]] = defaultdict(list)
    for i, src in enumerate(srcs):
        by_table[src.table].append((i, src))
    order = [n for n in _ORDER if n in by_table] + [n for n in by_table if n not in _ORDER]
    reports: dict[str, TableReport] = {}
    qparts: list[tuple[str, ir.Table, str | None]] = []
    inputs: dict[str, ir.Table] = {}
    dropped = 0
    for name in order:
        rep = TableReport(name)
        parts: list[ir.Table] = []
        for i, src in by_table[name]:
            parsed = parse_source(con, src, i, config)
            rep.answer_scales.update(parsed.scales)
            if src.scratch is not None:  # the raw lines and records are not needed any more
                start, end = src.scratch
                release_since(con, start - dropped, end - dropped)
                dropped += end - start
            _note_source(rep, src, parsed)
            if (lr := mapping.last_resort(name, src.headers, src.mapping, config.mapping.get(name),
                                          config.data.preset)) is not None:
                column, header, others = lr
                rep.notes.append(Note(src.name, t(
                    "data.validate.note_last_resort", column=column, header=header, table=name,
                    others=", ".join(others) or "-", example=others[0] if others else header)))
            if config.data.preset is None and (found := mapping.detect_preset(src.headers)) \
                    and name in PRESETS.get(found, {}):
                rep.notes.append(Note(src.name, t("data.validate.note_preset", preset=found,
                                                     table=name)))
            if src.inferred:
                rep.notes.append(Note(src.name, t("data.shapes.note_inferred", table=name,
                                                     columns=", ".join(f"`{c}`" for c in src.mapping))))
            qparts.append((name, parsed.table.filter(parsed.table._q_reason.notnull()), src.name))
            if src.absent_bad:
                qparts.append((name, _absent_bad(src, i), src.name))
            keep = parsed.table.filter(parsed.table._q_reason.isnull())
            cols = [keep[c] for c in parsed.columns]
            row_id = schema.ROW_IDS.get(name)
            if row_id is not None and row_id[0] not in parsed.columns:
                # a purchase log or answers without ids (mapping.resolve let them lack the id):
                # each row is one order / response, named by its file and line
                label = _row_order_label(src.name, [s.name for _, s in by_table[name]])
                first, note = keep[LINE], row_id[1]
                if name == "transactions" and {"product_id", "customer_id", "order_ts"} <= set(parsed.columns):
                    first, note = _basket_first_line(keep), "note_row_baskets"
                cols.insert(0, (ibis.literal(f"{label}:") + first.cast("string")).name(row_id[0]))
                rep.notes.append(Note(src.name, t(f"data.validate.{note}", source=label)))
            if name == "loyalty_points" and "points_change" in parsed.columns:
                cols = ledger.split_points(keep, cols)
                rep.notes.append(Note(src.name, ledger.points_note(keep, src.mapping["points_change"])))
            if name == "surveys" and "customer_id" not in parsed.columns:
                # an anonymous questionnaire (mapping.resolve let it lack the customer id)
                cols.append(ibis.null().cast("string").name("customer_id"))
                rep.notes.append(Note(src.name, t("data.validate.note_anonymous_answers")))
            parts.append(keep.select(*cols, LINE, END, SRC))
        reports[name] = rep
        tbl = _union(con, name, parts)
        tbl, q = future_date_rule(tbl, name, config, now)
        if q is not None:
            qparts.append((name, q, None))
        # a list of returned orders without dates (Superstore's Returns sheet: one row per
        # returned line) repeats an order on purpose: the shapes count it once, with a note
        if name != "transactions" and not (name == "returns" and "return_ts" not in tbl.columns):
            tbl, q = duplicate_key_rule(tbl, name)
            if q is not None:
                qparts.append((name, q, None))
        tbl = tbl.mutate(_source=shapes.source_names(tbl[SRC], names)).drop(END, SRC)
        if name == "transactions" and len(parts) == 1:
            inputs[name] = tbl  # a filter of the parsed table: the shapes store the orders once
        else:
            stored = sqlcache.create_table(con, scratch_name(f"in_{name}"), tbl)
            remember("table", stored.get_name())
            inputs[name] = stored
        rep.rows_accepted = sqlcache.count(inputs[name], con)
    _drop_output_views(con)
    shaped, shape_parts, log = shapes.apply(inputs, config, con, sources=names)
    tables = {}
    for name, expr in shaped.items():
        if name in log.views:
            tables[name] = sqlcache.create_view(con, f"ls_{name}", expr)
        else:
            tables[name] = sqlcache.create_table(con, f"ls_{name}", expr, overwrite=True)
    quarantine = _quarantine(con, qparts, names, shape_parts)
    report = QualityReport(reports, quarantine)
    counts = sqlcache.fetch(quarantine.group_by(["table", "reason", "_shaped"]).aggregate(
        n=quarantine.count()), con)
    for table, reason, by_shapes, n in counts.itertuples(index=False, name=None):
        if table in reports:
            rep = reports[table]
            rep.reasons[reason] += int(n)
            if by_shapes:  # quarantined by the shapes: counted as accepted by validation
                rep.rows_accepted -= int(n)
    for rep in reports.values():
        rep.rows_quarantined = sum(rep.reasons.values())
    _record_shapes(report, log)
    _count_orphans(tables, reports)
    return tables, report


def _basket_first_line(rows: ir.Table) -> ir.IntegerValue:
    """The first line of each row's basket in a product-line log without order ids (Ta Feng's
    grocery lines: customer, date, product, quantity, sales): the rows of one customer at one
    time are one order. A row without a customer or time is its own (a guest's lines cannot be
    told apart; a line without a time is judged by the shapes)."""
    alone = rows.customer_id.isnull() | rows.order_ts.isnull()
    basket = rows[LINE].min().over(ibis.window(group_by=[rows.customer_id, rows.order_ts]))
    return ibis.ifelse(alone, rows[LINE], basket)


def _row_order_label(name: str, names: list[str]) -> str:
    """How the row ids (orders, responses) of a file without them begin: its base name (``purchases.csv``, the
    id of line 2 is ``purchases.csv:2``), or its whole name when another file of the table has
    the same base name (two ``orders.csv`` of two folders would give the same ids)."""
    base = Path(name).name
    return base if sum(Path(n).name == base for n in names) == 1 else name


def _drop_output_views(con: BaseBackend) -> None:
    """Drop the ``ls_*`` views a previous load left on this database: they read the stored
    orders ``ls__orders_all``, and a view cannot be replaced by a table of the same name. On
    PostgreSQL, which refuses to replace a table any view reads, the previous outputs are dropped
    with every view still reading them (CASCADE); elsewhere tables are left to ``overwrite``."""
    for name in con.list_tables():
        if not name.startswith("ls_"):
            continue
        try:
            if con.name == "postgres":
                kind = "VIEW" if name in _views(con) else "TABLE"
                con.raw_sql(f'DROP {kind} IF EXISTS "{name}" CASCADE').close()
            else:
                con.drop_view(name, force=True)
        except Exception:  # a table: replaced in place by create_table(overwrite=True)
            pass


def _views(con: BaseBackend) -> set[str]:
    cur = con.raw_sql("SELECT viewname FROM pg_views WHERE schemaname = current_schema()")
    try:
        return {r[0] for r in cur.fetchall()}
    finally:
        cur.close()


def _record_shapes(report: QualityReport, log: shapes.ShapeLog) -> None:
    """Joins, statuses, notes and order figures recorded by the shapes."""
    for join in log.joins:
        table = join.left.split(".")[0]
        if table in report.tables:
            report.tables[table].joins.append(join.to_dict())
    if "transactions" in report.tables:
        report.tables["transactions"].statuses = log.statuses
    if "returns" in report.tables and log.return_statuses:
        report.tables["returns"].statuses = log.return_statuses
    for table, notes in log.notes.items():
        if table in report.tables:
            report.tables[table].notes.extend(notes)
    report.orders = log.orders
    report.unused.extend({"file": name, "reason": why} for name, why in log.unused)
    report.no_customer_reason = log.no_customer_reason


def _unused_files(sources: tuple[Any, ...], srcs: list[Source]) -> list[dict[str, str]]:
    """Data files of a given folder that no table reads, with the reason."""
    read = {Path(r.name.split(":")[0].split("!")[0]).resolve() for r in srcs}  # sheet / member
    out = []
    for src in sources:
        if not isinstance(src, (str, Path)) or "://" in str(src) or not Path(src).is_dir():
            continue
        for p in sorted(Path(src).iterdir()):
            if (p.is_file() and p.suffix.lower() in DATA_SUFFIXES and p.resolve() not in read
                    and not p.name.startswith((".", "~$"))):
                why = t("data.shapes.unused_name") if table_for_name(p.stem) is None else "-"
                out.append({"file": str(p), "reason": why})
    return out


def _note_source(rep: TableReport, src: Source, parsed: Parsed) -> None:
    rep.sources.append(src.name)
    rep.files.append(file_info(src.name, src.staged))
    rep.mapping.update({k: v for k, v in src.mapping.items() if k not in rep.mapping})
    if src.unused_columns:
        rep.unused_columns.append({"source": src.name, "columns": src.unused_columns})
    rep.rows_read += parsed.records + len(src.absent_bad)
    rep.encoding = rep.encoding or src.encoding
    if src.lines is not None:
        rep.lines_read = (rep.lines_read or 0) + src.lines
        if src.multiline and src.multiline_example:
            first, last = src.multiline_example
            rep.multiline_records += src.multiline
            rep.notes.append(Note(src.name, t("data.validate.note_multiline", count=src.multiline,
                                                 first=first, last=last)))
    rep.notes.extend(Note(src.name, n) for n in parsed.notes)


def _absent_bad(src: Source, index: int) -> ir.Table:
    """Records the staging step left out of a staged Parquet file, as quarantine rows."""
    frame = pd.DataFrame({
        LINE: pd.Series([b[0] for b in src.absent_bad], dtype="int64"),
        SRC: pd.Series([index] * len(src.absent_bad), dtype="int64"),
        "_q_column": pd.Series([None] * len(src.absent_bad), dtype="string"),
        "_q_value": pd.Series([None] * len(src.absent_bad), dtype="string"),
        "_q_reason": pd.Series([b[1] for b in src.absent_bad], dtype="string"),
        "_q_detail": pd.Series([b[2] for b in src.absent_bad], dtype="string")})
    return ibis.memtable(frame)


def _union(con: BaseBackend, name: str, parts: list[ir.Table]) -> ir.Table:
    """Union of sources with different column subsets; absent columns are typed NULLs.

    Several parts are stored as one scratch table, filled part by part (one small query each:
    a union of many sources compiled as one expression costs time quadratic in their number)."""
    spec = schema.table(name)
    cols: list[str] = []
    for p in parts:
        cols += [c for c in p.columns if c not in cols and c not in (LINE, END, SRC)]
    types = {c: next(p[c].type() for p in parts if c in p.columns) for c in cols}
    aligned = []
    for p in parts:
        aligned.append(p.select(
            *[(p[c] if c in p.columns else ibis.null()).cast(
                types[c] if not spec.allows(c) else _ibis_type(spec.column(c).dtype)).name(c)
              for c in cols],
            p[LINE].cast("int64").name(LINE), p[END].cast("int64").name(END),
            p[SRC].cast("int64").name(SRC)))
    if len(aligned) == 1:
        return aligned[0]
    return _stack(con, scratch_name(f"union_{name}"), aligned)


def _stack(con: BaseBackend, name: str, parts: list[ir.Table]) -> ir.Table:
    """``parts`` (same columns and types) stored as the scratch table ``name``: one
    INSERT ... UNION ALL of their cached SQL, else part by part through Ibis."""
    sql = sqlcache.union_sql(con, parts)
    if sql is not None:
        sqlcache.fill_table(con, name, sql, parts[0].schema(), overwrite=False)
        remember("table", name)
        return sqlcache.made_table(con, name, ("stack", tuple(parts[0].schema().items()), con.name))
    out = con.create_table(name, parts[0])
    remember("table", name)
    for p in parts[1:]:
        con.insert(name, p)
    return out


def _ibis_type(dtype: str) -> str:
    return "timestamp" if dtype == "date" else dtype


def _quarantine(con: BaseBackend, parts: list[tuple[str, ir.Table, str | None]],
                names: list[str], extra: list[ir.Table] = ()) -> ir.Table:  # type: ignore[assignment]
    """All quarantined rows as one engine table ``ls_quarantine``, made by one statement.

    A part of one source names it (``parts``: table, rows, source file); a part of a whole
    table (``None``) finds each row's file by its ``_src`` index. The parts' SQL comes from the
    per-structure cache (:mod:`loyalscope.data.sqlcache`) and is joined by UNION ALL; when a
    part cannot be cached the table is filled part by part through Ibis, as before."""
    shaped = [p.select(*[p[c].cast("int64" if c == "line" else "string").name(c)
                         for c in QUARANTINE_COLUMNS], _shaped=ibis.literal(True)) for p in extra]
    for table, p, source in parts:
        src_name = (ibis.literal(source) if source is not None
                    else shapes.source_names(p[SRC], names))
        shaped.append(p.select(
            table=ibis.literal(table), source_file=src_name.cast("string"),
            line=p[LINE].cast("int64"), column=p._q_column.cast("string"),
            value=p._q_value.cast("string"), reason=p._q_reason.cast("string"),
            detail=p._q_detail.cast("string"), _shaped=ibis.literal(False)))
    columns = ibis.schema({c: "int64" if c == "line" else "string" for c in QUARANTINE_COLUMNS}
                          | {"_shaped": "boolean"})
    sql = sqlcache.union_sql(con, shaped) if shaped else None
    if sql is not None:
        sqlcache.fill_table(con, "ls_quarantine", sql, columns, overwrite=True)
        return sqlcache.made_table(con, "ls_quarantine", ("quarantine", con.name))
    out = con.create_table("ls_quarantine", schema=columns, overwrite=True)
    for p in shaped:
        con.insert("ls_quarantine", p)
    return out


def _count_orphans(accepted: dict[str, ir.Table], reports: dict[str, TableReport]) -> None:
    """Accepted rows that point at a customer (order) absent from customers (transactions)."""
    for name, tbl in accepted.items():
        col, parent, pcol = _ORPHAN_KEYS.get(name, ("customer_id", "customers", "customer_id"))
        if (name == parent or name not in reports or col not in tbl.columns
                or parent not in accepted):
            continue
        known = accepted[parent].select(_k=accepted[parent][pcol])
        # one anti join, which engines build on the smaller side; ``engine.anti_join``'s NOT IN
        # built a hash of the parent's keys (ten million order ids against 374k returns: 1.3 s
        # against 0.15 s on DuckDB). A row without the key points at nobody: an anonymous
        # survey answer is no orphan (its note says it is linked to no customer)
        orphans = tbl.filter(tbl[col].notnull()).anti_join(known, tbl[col] == known._k)
        reports[name].orphans = sqlcache.count(orphans)


def write_quarantine(report: QualityReport, path: str | Path) -> Path:
    """Write the quarantine as CSV in UTF-8 with BOM (so Excel shows Chinese correctly),
    streamed from the engine in Arrow batches.

    ``path`` may be a folder (then ``quarantine.csv`` inside it) or a file name.
    """
    # text cells through safe_texts (a column at a time): control characters escaped, formula
    # starts quoted (OWASP); report.cells depends on pandas only, imported here to keep data below report
    from loyalscope.report.cells import safe_texts

    def _rows(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for name in out.columns:
            if not pd.api.types.is_numeric_dtype(out[name].dtype):
                out[name] = safe_texts(out[name]).to_numpy()
        return out

    p = Path(path)
    if p.is_dir() or not p.suffix:
        p.mkdir(parents=True, exist_ok=True)
        p = p / "quarantine.csv"
    with p.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerow(QUARANTINE_COLUMNS)
        q = report.quarantine_table
        # csv.writer's dialect (minimal quoting, CRLF); missing values empty
        options: dict[str, Any] = {"header": False, "index": False, "lineterminator": "\r\n", "na_rep": ""}
        if q is None:
            _rows(report.quarantine).to_csv(fh, **options)
            return p
        ordered = q.order_by([q.table, q.source_file, q.line]).select(*QUARANTINE_COLUMNS)
        for batch in ordered.to_pyarrow_batches(chunk_size=100_000):
            _rows(batch.to_pandas(integer_object_nulls=True)).to_csv(fh, **options)
    return p


__all__ = ["load", "validate_sources", "write_quarantine"]
