"""Table-wide checks on the accepted rows of all sources of one canonical table (engine
expressions). Each rule is one function ``rule(tbl, ...) -> (kept, quarantined)`` so that
``loyalscope.data.shapes`` can take a rule over (order lines, cancellations):

- :func:`future_date_rule`: time column after now (unless ``[data] future_dates = "accept"``);
- :func:`negative_amount_rule`: transactions with amount < 0, quarantined, or under
  ``[data] negative_amounts = "returns"`` (default) moved to returns: same ``order_id``,
  ``return_ts`` = the order time, ``amount`` = ``abs(amount)``, ``reason`` = ``"negative_amount"``;
- :func:`duplicate_key_rule`: rows repeating the table's key; the first occurrence (first
  source, then lowest line) is kept.

Quarantined rows keep ``_line``, ``_src`` and carry ``_q_reason``, ``_q_column``, ``_q_value``,
``_q_detail`` like the per-source quarantine of :mod:`loyalscope.data.validate`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from loyalscope.config import AnalysisConfig
from loyalscope.data import schema
from loyalscope.data.messages import sql_t

LINE, END, SRC = "_line", "_line_end", "_src"
_SHIFT = 1 << 40  # (source, line) packed into one orderable int64


def _q(tbl: ir.Table, reason: str, column: str, value: ir.Value, detail: ir.StringValue) -> ir.Table:
    return tbl.select(LINE, END, SRC, _q_reason=ibis.literal(reason), _q_column=ibis.literal(column),
                      _q_value=value.cast("string"), _q_detail=detail)


def now_text(now: pd.Timestamp) -> str:
    """The text of "now" (naive) in the future-date rule's SQL (``2026-11-30 02:33:18.123456``):
    a string literal cast to a timestamp, so that :mod:`loyalscope.data.sqlcache` binds it late
    like a file name and the run's statements are compiled once, not once per run."""
    return str(now)


def future_date_rule(tbl: ir.Table, table: str, config: AnalysisConfig,
                     now: pd.Timestamp) -> tuple[ir.Table, ir.Table | None]:
    tcol = schema.table(table).time_column
    if tcol is None or tcol not in tbl.columns or config.data.future_dates != "quarantine":
        return tbl, None
    now_lit = ibis.literal(now_text(now))  # a string: bound late in the cached SQL (sqlcache)
    fut = tbl[tcol] > now_lit.cast("timestamp")
    bad = tbl.filter(fut)
    shown = bad[tcol].cast("string")
    q = _q(bad, "future_date", tcol, shown,
           sql_t("data.validate.detail_future", column=tcol, value=shown, now=now_lit))
    return tbl.filter(~fut.fill_null(False)), q


def negative_amount_rule(tx: ir.Table, config: AnalysisConfig,
                         ) -> tuple[ir.Table, ir.Table | None, ir.Table | None]:
    """Transactions with a negative amount: ``(kept, quarantined, moved_returns)``.

    ``moved_returns`` (under ``negative_amounts = "returns"``) has the returns columns plus
    ``_line`` / ``_line_end`` / ``_src`` of the transaction row.
    """
    if "amount" not in tx.columns:
        return tx, None, None
    neg = tx.amount < 0
    bad = tx.filter(neg)
    shown = bad.amount.cast("string")
    if config.data.negative_amounts == "returns":
        detail = sql_t("data.validate.detail_negative_moved", value=shown, order=bad.order_id)
        moved = bad.select(order_id=bad.order_id, return_ts=bad.order_ts, amount=bad.amount.abs(),
                           reason=ibis.literal("negative_amount"), _line=bad[LINE],
                           _line_end=bad[END], _src=bad[SRC])
    else:
        detail = sql_t("data.validate.detail_negative", value=shown)
        moved = None
    return tx.filter(~neg.fill_null(False)), _q(bad, "negative_amount", "amount", shown, detail), moved


def duplicate_key_rule(tbl: ir.Table, table: str) -> tuple[ir.Table, ir.Table | None]:
    """Rows repeating the key (else the table's fallback key: a returns file without refund
    ids repeats a return when order, time and amount repeat); the first occurrence (lowest
    source, then line) is kept."""
    spec = schema.table(table)
    key = ([k for k in spec.key if k in tbl.columns]
           or [k for k in spec.fallback_key if k in tbl.columns])
    if not key:
        return tbl, None
    order = tbl[SRC] * _SHIFT + tbl[LINE]
    tbl = tbl.mutate(_ord=order)
    counts = tbl.group_by(key).aggregate(_n=tbl.count(), _min=tbl._ord.min())
    dups = counts.filter(counts._n > 1).select(*key, "_min")
    joined = tbl.left_join(dups, key)
    joined = joined.select(*tbl.columns, _min=joined._min)
    is_dup = joined._min.notnull() & (joined._ord != joined._min)
    kept = joined.filter(~is_dup).drop("_ord", "_min")
    bad = joined.filter(is_dup)
    keys = bad[key[0]].cast("string")
    for k in key[1:]:
        keys = keys + " / " + bad[k].cast("string")
    first = bad._min % _SHIFT
    q = _q(bad, "duplicate_key", "/".join(key), keys,
           sql_t("data.validate.detail_duplicate", keys=keys, first=first))
    return kept, q
