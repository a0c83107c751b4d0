"""Row checks: each source's rows -> canonical typed rows + quarantine rows.

Two stages:

- :func:`parse_raw` (per source file): ``empty_row``; a required value that is empty
  (``missing_required``) or cannot be read (``unparseable``) quarantines the row. An optional
  value that cannot be read is left empty and counted in a note (the row is kept). A required
  column that a row may leave empty (``data.shapes.row_optional_columns``: a transactions
  customer id or amount, a line file's order time) keeps an unreadable value in
  ``_bad_<column>``; the shapes quarantine that row's whole order with reason ``unparseable``.
- :func:`check_table` (per canonical table, all sources together): ``future_date`` (time column
  after now, unless ``[data] future_dates = "accept"``), ``negative_amount`` (transactions with
  amount < 0) and ``duplicate_key`` (the first occurrence is kept).

Negative transaction amounts, ``[data] negative_amounts``:

- ``"quarantine"``: the row is quarantined with reason ``negative_amount``.
- ``"returns"`` (default): the row leaves ``transactions`` (it is counted there as quarantined
  with reason ``negative_amount`` and a detail saying "moved to returns") and becomes a row of
  ``returns``: same ``order_id``, ``return_ts`` = the order time, ``amount`` = ``abs(amount)``,
  ``reason`` = ``"negative_amount"``. The returns report counts it as read and accepted.

So for every table ``rows_read == rows_accepted + rows_quarantined`` holds, and every row that
does not reach its table is in the quarantine with its source file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loyalscope.config import AnalysisConfig
from loyalscope.data import parse, schema
from loyalscope.data.quality import QUARANTINE_COLUMNS
from loyalscope.data.shapes import BAD, row_optional_columns
from loyalscope.data.sources import RawTable
from loyalscope.i18n import t

LINE, SOURCE = "_line", "_source"


@dataclass
class Checked:
    """Canonical rows (plus ``_line`` / ``_source``) and the quarantine rows of one step."""

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def quarantine_rows(
    table: str, source: pd.Series | str, line: pd.Series | np.ndarray, column: str | None,
    value: pd.Series | None, reason: str, detail: pd.Series | str,
) -> pd.DataFrame:
    """Build quarantine rows (one per entry of ``line``)."""
    n = len(line)
    df = pd.DataFrame({
        "table": [table] * n,
        "source_file": np.asarray(source, dtype=object) if not isinstance(source, str) else [source] * n,
        "line": np.asarray(line, dtype=np.int64),
        "column": [column] * n,
        "value": [None] * n if value is None else np.asarray(value.astype(object), dtype=object),
        "reason": [reason] * n,
        "detail": np.asarray(detail, dtype=object) if not isinstance(detail, str) else [detail] * n,
    })
    return df[QUARANTINE_COLUMNS]


def _cleaned(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], np.ndarray]:
    """Text columns cleaned once (see :func:`parse.clean`) and the all-empty row mask."""
    empty = np.ones(len(frame), dtype=bool)
    cols = {}
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            s = parse.clean(s)
        cols[col] = s
        empty &= s.isna().to_numpy()
    return cols, empty


def parse_column(s: pd.Series, col: schema.Column, config: AnalysisConfig, file: str,
                 ) -> tuple[pd.Series, pd.Series]:
    """Parse one mapped column to its canonical type; returns ``(values, bad)``."""
    if col.dtype == "string":
        return parse.parse_string(s)
    if col.dtype in ("float64", "int64"):
        return parse.parse_number(s, percent=col.unit == "0-1")
    if col.dtype == "boolean":
        return parse.parse_bool(s)
    return parse.parse_datetime(s, dayfirst=config.data.dayfirst, timezone=config.data.timezone,
                                file=file, column=col.name)


def parse_raw(raw: RawTable, table: str, mapping: dict[str, str], config: AnalysisConfig) -> Checked:
    """Map and parse one source; quarantine empty rows and bad required values."""
    spec = schema.table(table)
    frame = raw.frame.reset_index(drop=True)
    lines = pd.Series(raw.lines, dtype="int64")
    rejected = np.zeros(len(frame), dtype=bool)
    parts = [raw.malformed]
    notes: list[str] = []

    cleaned, empty = _cleaned(frame)
    if empty.any():
        parts.append(quarantine_rows(table, raw.name, lines[empty], None, None, "empty_row",
                                     t("data.validate.detail_empty")))
    rejected |= empty

    out = pd.DataFrame(index=frame.index)
    # data.shapes hook: required columns a row may leave empty (guests, Shopify continuation
    # lines); an unreadable value there is kept in ``_bad_<column>`` and shapes quarantines the
    # whole order with reason "unparseable" (a line dropped here would silently shrink its order).
    row_optional = row_optional_columns(table, mapping)
    for canon, header in mapping.items():
        col = spec.column(canon)
        src = frame[header]
        values, bad = parse_column(cleaned[header], col, config, raw.name)
        missing = values.isna().to_numpy() & ~bad.to_numpy()
        bad = bad.to_numpy().copy()
        if col.nonnegative and col.dtype == "float64":
            neg = (values < 0).fillna(False).to_numpy()
            bad |= neg
        if col.required and canon in row_optional:
            if bad.any():
                flags = pd.Series(bad, index=values.index)
                out[f"{BAD}{canon}"] = src.where(flags).astype(object)
                values = values.mask(flags)
        elif col.required:
            for mask, reason, key in ((missing, "missing_required", "detail_missing"),
                                      (bad, "unparseable", "detail_unparseable")):
                m = mask & ~rejected
                if m.any():
                    vals = src[m]
                    details = [t(f"data.validate.{key}", column=canon, value=v, dtype=col.dtype)
                               for v in vals.astype(object).head(100_000)]
                    details += [details[-1]] * (len(vals) - len(details))
                    parts.append(quarantine_rows(table, raw.name, lines[m], canon, vals, reason,
                                                 pd.Series(details)))
                    rejected |= m
        elif bad.any():
            first = int(np.argmax(bad))
            notes.append(t("data.validate.note_nulled", count=int(bad.sum()), column=canon,
                           line=int(lines.iloc[first]), value=src.iloc[first]))
            values = values.mask(pd.Series(bad, index=values.index))
        out[canon] = values
    keep = ~rejected
    out = out[keep].reset_index(drop=True)
    out[LINE] = lines[keep].to_numpy()
    out[SOURCE] = raw.name
    return Checked(out, _concat(parts), notes)


def check_table(
    table: str, frames: list[pd.DataFrame], config: AnalysisConfig, now: pd.Timestamp,
    shaped: bool = False,
) -> tuple[Checked, pd.DataFrame | None]:
    """Table-wide checks; returns the accepted rows and, for transactions under
    ``negative_amounts = "returns"``, the return rows made from negative amounts.

    ``shaped``: the negative-amount and duplicate-key rules are left to ``data.shapes`` (order
    lines, cancellations and refunds of real exports)."""
    spec = schema.table(table)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    parts: list[pd.DataFrame] = []
    moved: pd.DataFrame | None = None
    keep = np.ones(len(df), dtype=bool)

    tcol = spec.time_column
    if tcol in df.columns and config.data.future_dates == "quarantine":
        fut = (df[tcol] > now).fillna(False).to_numpy()
        if fut.any():
            vals = df.loc[fut, tcol].astype(str)
            parts.append(quarantine_rows(
                table, df.loc[fut, SOURCE], df.loc[fut, LINE], tcol, vals, "future_date",
                pd.Series([t("data.validate.detail_future", column=tcol, value=v, now=now) for v in vals])))
            keep &= ~fut

    if table == "transactions" and "amount" in df.columns and not shaped:
        neg = keep & (df["amount"] < 0).fillna(False).to_numpy()
        if neg.any():
            sub = df[neg]
            if config.data.negative_amounts == "returns":
                details = [t("data.validate.detail_negative_moved", value=v, order=o)
                           for v, o in zip(sub["amount"], sub["order_id"], strict=True)]
                moved = pd.DataFrame({
                    "order_id": sub["order_id"].to_numpy(), "return_ts": sub["order_ts"].to_numpy(),
                    "amount": sub["amount"].abs().to_numpy(), "reason": "negative_amount",
                    LINE: sub[LINE].to_numpy(), SOURCE: sub[SOURCE].to_numpy(),
                }).astype({"order_id": "string", "reason": "string"})
            else:
                details = [t("data.validate.detail_negative", value=v) for v in sub["amount"]]
            parts.append(quarantine_rows(table, sub[SOURCE], sub[LINE], "amount",
                                         sub["amount"].astype(str), "negative_amount", pd.Series(details)))
            keep &= ~neg

    key = [k for k in spec.key if k in df.columns]
    if key and keep.any() and not (shaped and table == "transactions"):
        kept = df[keep]
        dup = kept.duplicated(subset=key, keep="first")
        if dup.any():
            first_line = kept.groupby(key, sort=False, dropna=False)[LINE].transform("first")
            sub = kept[dup.to_numpy()]
            keys = sub[key].astype(str).agg(" / ".join, axis=1)
            details = [t("data.validate.detail_duplicate", keys=k, first=f)
                       for k, f in zip(keys, first_line[dup.to_numpy()], strict=True)]
            parts.append(quarantine_rows(table, sub[SOURCE], sub[LINE], "/".join(key), keys,
                                         "duplicate_key", pd.Series(details)))
            keep[np.flatnonzero(keep)[dup.to_numpy()]] = False

    return Checked(df[keep].reset_index(drop=True), _concat(parts)), moved


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[QUARANTINE_COLUMNS]
