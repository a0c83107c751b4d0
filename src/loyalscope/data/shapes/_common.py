"""Helpers shared by the shapes: quarantine rows as Ibis expressions, join reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis

from loyalscope.data import schema, sqlcache
from loyalscope.i18n import t

LINE, SOURCE = "_line", "_source"
BAD = "_bad_"
"""Prefix of the columns in which validation keeps an unreadable value of a row-optional column."""
WHY = "_why_"
"""Prefix of the columns beside ``_bad_<column>`` that say why the value cannot be read (``a day
number, not a date: set day_one ...``), translated; the shapes put it in the quarantine detail."""
LINE_COLUMNS = ("quantity", "unit_price", "product_id", "category")
"""Transactions columns that make a file an order-line file."""


MARK = "\u00a7\u00a7"
"""A value's place in a translated message (printable, so that ``{value!r}`` keeps it as is)."""


def template(text: str, *values: ibis.Value) -> ibis.Value:
    """``text`` (a translated message holding one :data:`MARK` per value) with ``values`` in
    place of the marks, in order."""
    head, *pieces = text.split(MARK)
    out = ibis.literal(head)
    for value, piece in zip(values, pieces, strict=True):
        out = out.concat(value.cast("string")).concat(ibis.literal(piece))
    return out


def unreadable_detail(tbl: ibis.Table, col: str, dtype: str) -> ibis.Value:
    """The quarantine detail of a row whose ``col`` value (``_bad_<col>``) cannot be read as
    ``dtype``, with validation's reason (``_why_<col>``) when it gave one: "order_ts: cannot
    read '5' as timestamp (a day number, not a date: set day_one under [data] ...)"."""
    value = tbl[f"{BAD}{col}"]
    plain = template(t("data.validate.detail_unparseable", column=col, value=MARK, dtype=dtype), value)
    if f"{WHY}{col}" not in tbl.columns:
        return plain
    why = tbl[f"{WHY}{col}"]
    told = template(t("data.validate.detail_unparseable_why", column=col, value=MARK, dtype=dtype,
                      why=MARK), value, why)
    return ibis.ifelse(why.isnull(), plain, told)


def source_names(code: ibis.IntegerValue, names: Sequence[str]) -> ibis.StringValue:
    """The file name of each row from its index ``code`` in ``names`` (NULL for another code):
    rows carry the small index, the name is made where it is read."""
    return ibis.cases(*[(code == i, n) for i, n in enumerate(names)],
                      else_=ibis.null().cast("string"))


def row_optional_columns(table: str, mapping: Mapping[str, str]) -> tuple[str, ...]:
    """Required columns that one row of ``table`` may leave empty; the shapes judge the order.

    ``customer_id`` and ``amount`` of transactions (guest orders; amounts from quantity x unit
    price, payments or order items), and in an order-line file also ``order_ts`` (a Shopify
    export fills the order's fields on its first line only). An order with no time on any line
    is quarantined by the shapes (``missing_required``).
    """
    cols = schema.INPUT_OPTIONAL.get(table, ())
    if table == "transactions" and set(LINE_COLUMNS) & set(mapping):
        cols += ("order_ts",)
    return cols


def quarantine(tbl: ibis.Table, table: str, column: str | None, value: ibis.Value | None,
               reason: str, detail: str | ibis.Value) -> ibis.Table:
    """Quarantine rows (columns of ``QUARANTINE_COLUMNS``) for every row of ``tbl``.

    ``tbl`` keeps the ``_line`` / ``_source`` columns of its rows (the source file and line).
    """
    return tbl.select(
        table=ibis.literal(table),
        source_file=tbl[SOURCE].cast("string"),
        line=tbl[LINE].cast("int64"),
        column=ibis.literal(column, type="string"),
        value=(value.cast("string") if value is not None else ibis.null("string")),
        reason=ibis.literal(reason),
        detail=detail if isinstance(detail, ibis.Value) else ibis.literal(detail),
    )


@dataclass
class Join:
    """One join of related exports on a shared key: how many rows matched, how many did not."""

    left: str
    right: str
    key: str
    matched: int
    unmatched: int
    action: str
    """What happened to unmatched rows: "quarantined" or "kept"."""

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "right": self.right, "key": self.key, "matched": self.matched,
                "unmatched": self.unmatched, "unmatched_rows": self.action}


@dataclass
class ShapeLog:
    """What the shapes did, for the quality report and ``validate``."""

    joins: list[Join] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    return_statuses: list[dict[str, Any]] = field(default_factory=list)
    """The returns file's status values, their class and rows (when it has a status)."""
    orders: dict[str, Any] = field(default_factory=dict)
    unused: list[tuple[str, str]] = field(default_factory=list)
    no_customer_reason: str | None = None
    views: set[str] = field(default_factory=set)
    """Outputs that are filters of the stored orders table: stored as views, not copies."""

    def note(self, table: str, text: str) -> None:
        self.notes.setdefault(table, []).append(text)


def count(expr: ibis.Table) -> int:
    return sqlcache.count(expr)
