"""``load``: read, map, validate and upload user data; ``write_quarantine``.

>>> import loyalscope as ls
>>> ds = ls.load("data/")                       # doctest: +SKIP
>>> ds.quality.tables["transactions"].rows_quarantined   # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from ibis.backends import BaseBackend

from loyalscope import engine
from loyalscope.config import AnalysisConfig
from loyalscope.data import shapes
from loyalscope.data.dataset import Dataset, cast_frame
from loyalscope.data.intake import Unused, file_info
from loyalscope.data.intake.parquet import check_types
from loyalscope.data.mapping import resolve, table_for_name
from loyalscope.data.quality import QUARANTINE_COLUMNS, QualityReport, TableReport
from loyalscope.data.sources import DATA_SUFFIXES, RawTable, read_source
from loyalscope.data.validate import check_table, parse_raw
from loyalscope.errors import SchemaError
from loyalscope.i18n import t

# Tables processed in this order: transactions before returns (negative amounts move there).
_ORDER = ("customers", "transactions", "returns")
_ORPHAN_KEYS = {"returns": ("order_id", "transactions", "order_id"),
                "referrals": ("referrer_id", "customers", "customer_id")}


def load(
    *sources: Any,
    config: AnalysisConfig | str | Path | None = None,
    con: BaseBackend | None = None,
    now: pd.Timestamp | None = None,
) -> Dataset:
    """Read, map and validate ``sources``; upload the accepted rows to ``con``.

    Parameters
    ----------
    *sources
        Paths of files (CSV/TSV/xlsx/Parquet/JSON Lines/DuckDB), folders of them, a database
        URL (``postgres://...``), or a dict ``{table: frame or path}`` (pandas, polars, pyarrow).
    config : AnalysisConfig or path, optional
        Settings (``[data]``, ``[mapping]``); a path is read with :meth:`AnalysisConfig.load`.
    con : ibis backend, optional
        Where the canonical tables go; default an in-memory DuckDB.
    now : Timestamp, optional
        The "now" of the future-date check (default: the current time in ``[data] timezone``).

    Returns
    -------
    Dataset
        With ``.quality`` (per-table counts, mapping, reasons, orphans, and the quarantine).
    """
    if not isinstance(config, AnalysisConfig):
        config = AnalysisConfig.load(config)
    raws: list[RawTable] = []
    unused: list[Unused] = []
    for src in sources:
        raws.extend(read_source(src, config, unused=unused))
    if not raws:
        raise SchemaError(t("data.sources.nothing"), fix=t("data.sources.nothing_fix"))
    accepted, report = validate_sources(raws, config, now)
    # files not read, each with the reason: from intake (sheets, members, folder files) and
    # from the folder scan below (data files no table reads)
    report.unused.extend({"file": u.source, "reason": u.reason} for u in unused)
    seen = {u["file"] for u in report.unused}
    report.unused.extend(u for u in _unused_files(sources, raws) if u["file"] not in seen)
    con = con or engine.connect()
    inputs = {}
    for name, frame in accepted.items():
        inputs[name] = con.create_table(f"ls_in_{name}", cast_frame(name, frame), overwrite=True)
    shaped, parts, log = shapes.apply(inputs, config)
    tables = {}
    for name, expr in shaped.items():
        tables[name] = con.create_table(f"ls_{name}", expr, overwrite=True)
    _record_shapes(report, parts, log)
    for name in inputs:
        con.drop_table(f"ls_in_{name}", force=True)
    _count_orphans(tables, report.tables)
    return Dataset.from_tables(con, tables, config, report)


def validate_sources(
    raws: list[RawTable], config: AnalysisConfig, now: pd.Timestamp | None = None,
) -> tuple[dict[str, pd.DataFrame], QualityReport]:
    """Validate raw tables; returns accepted canonical frames per table and the report."""
    now = now if now is not None else pd.Timestamp.now(tz=config.data.timezone).tz_localize(None)
    by_table: dict[str, list[RawTable]] = defaultdict(list)
    for raw in raws:
        assert raw.table is not None
        by_table[raw.table].append(raw)
    order = [n for n in _ORDER if n in by_table or n == "returns"]
    order += [n for n in by_table if n not in order]
    reports: dict[str, TableReport] = {}
    accepted: dict[str, pd.DataFrame] = {}
    quarantine: list[pd.DataFrame] = []
    moved: pd.DataFrame | None = None
    for name in order:
        rep = TableReport(name)
        frames = []
        for raw in by_table.get(name, []):
            mapping = resolve(name, list(raw.frame.columns), config.mapping.get(name),
                              config.data.preset, raw.name, related=by_table)
            if raw.typed:
                check_types(raw.frame, name, mapping, raw.name)
            checked = parse_raw(raw, name, mapping, config)
            rep.sources.append(raw.name)
            rep.files.append(file_info(raw.name, raw.staged))
            rep.mapping.update({k: v for k, v in mapping.items() if k not in rep.mapping})
            rep.rows_read += raw.rows_read
            rep.encoding = rep.encoding or raw.encoding
            if raw.staged is not None:
                rep.notes.extend(f"{raw.name}: {n}" for n in raw.staged.notes)
            rep.notes.extend(f"{raw.name}: {n}" for n in checked.notes)
            if raw.inferred:
                rep.notes.append(f"{raw.name}: " + t("data.shapes.note_inferred", table=name,
                                                     columns=", ".join(mapping)))
            frames.append(checked.frame)
            quarantine.append(checked.quarantine)
            rep.reasons.update(checked.quarantine["reason"])
        if name == "returns" and moved is not None and len(moved):
            frames.append(moved)
            rep.rows_read += len(moved)
            rep.sources.append("transactions (negative amounts)")
            rep.notes.append(t("data.validate.note_moved", count=len(moved)))
        if not frames:
            continue
        checked, made = check_table(name, frames, config, now, shaped=True)
        if name == "transactions":
            moved = made
        quarantine.append(checked.quarantine)
        rep.reasons.update(checked.quarantine["reason"])
        rep.rows_accepted = len(checked.frame)
        rep.rows_quarantined = sum(rep.reasons.values())
        accepted[name] = checked.frame
        reports[name] = rep
    parts = [q for q in quarantine if len(q)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return accepted, QualityReport(reports, frame[QUARANTINE_COLUMNS])


def _count_orphans(tables: dict[str, Any], reports: dict[str, TableReport]) -> None:
    """Accepted rows that point at a customer (order) absent from customers (transactions)."""
    for name, tbl in tables.items():
        col, parent, pcol = _ORPHAN_KEYS.get(name, ("customer_id", "customers", "customer_id"))
        if (name == parent or name not in reports or col not in tbl.columns
                or parent not in tables):
            continue
        known = tables[parent].select(_k=tables[parent][pcol])
        reports[name].orphans = int(tbl.anti_join(known, tbl[col] == known._k).count().execute())


def _record_shapes(report: QualityReport, parts: list[Any], log: shapes.ShapeLog) -> None:
    """Move the rows the shapes quarantined out of "accepted" and record joins and statuses."""
    frames = [p.execute() for p in parts]
    frames = [f for f in frames if len(f)]
    if frames:
        extra = pd.concat(frames, ignore_index=True)[QUARANTINE_COLUMNS]
        for name, grp in extra.groupby("table"):
            rep = report.tables[str(name)]
            rep.rows_accepted -= len(grp)
            rep.rows_quarantined += len(grp)
            rep.reasons.update(grp["reason"])
        report.quarantine = pd.concat([report.quarantine, extra], ignore_index=True)
    for join in log.joins:
        table = join.left.split(".")[0]
        if table in report.tables:
            report.tables[table].joins.append(join.to_dict())
    if "transactions" in report.tables:
        report.tables["transactions"].statuses = log.statuses
    for table, notes in log.notes.items():
        if table in report.tables:
            report.tables[table].notes.extend(notes)
    report.orders = log.orders
    report.unused.extend({"file": name, "reason": why} for name, why in log.unused)
    report.no_customer_reason = log.no_customer_reason


def _unused_files(sources: tuple[Any, ...], raws: list[RawTable]) -> list[dict[str, str]]:
    """Data files of a given folder that no table reads, with the reason."""
    read = {Path(r.name.split(":")[0].split("!")[0]).resolve() for r in raws}  # sheet / member
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


def write_quarantine(report: QualityReport, path: str | Path) -> Path:
    """Write the quarantine as CSV in UTF-8 with BOM (so Excel shows Chinese correctly).

    ``path`` may be a folder (then ``quarantine.csv`` inside it) or a file name.
    """
    p = Path(path)
    if p.is_dir() or not p.suffix:
        p.mkdir(parents=True, exist_ok=True)
        p = p / "quarantine.csv"
    # text cells through safe_text: control characters escaped, formula starts quoted (OWASP);
    # report.cells depends on pandas only, imported here to keep data below report
    from loyalscope.report.cells import safe_frame

    safe_frame(report.quarantine).to_csv(p, index=False, encoding="utf-8-sig")
    return p


__all__ = ["load", "validate_sources", "write_quarantine"]
