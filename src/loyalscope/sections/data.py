"""Section 1, data and method: sources, period covered, row counts, mapping, quarantine."""

from __future__ import annotations

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.data.mapping import not_found
from loyalscope.data.quality import Note
from loyalscope.i18n import has_key
from loyalscope.metrics._base import money_sum
from loyalscope.results import Number, Phrase, Section, Table, Text
from loyalscope.sections.context import SectionContext

SECTION_ID = "data"


def table_key(name: str) -> str:
    """Catalogue key of a canonical table's name (tables of real exports fall back to the
    report's vocabulary)."""
    return f"schema.{name}._name" if has_key(f"schema.{name}._name") else f"report.value.table_{name}"


def column_phrase(table: str, column: str) -> Phrase:
    """A canonical column as its label (``schema.<table>.<column>``), else its id."""
    for key in (f"schema.{table}.{column}", f"report.value.{column}"):
        if has_key(key):
            return Phrase("report.column_with_id", {"label": key, "id": column})
    return Phrase("report.column_with_id", {"label": column, "id": column})


def read_notes(ds: Dataset) -> list[dict[str, object]]:
    """The loader's notes of every table (the table judged from the columns, dates read
    day-first, order lines summed, ids written as decimals, answers in words, anonymous answers
    ...), each with its source when it names one; as phrases both report languages render."""
    rows: list[dict[str, object]] = []
    for name, rep in ds.quality.tables.items():
        for note in rep.notes:
            source, text = (note.source, note.text) if isinstance(note, Note) else ("", note)
            rows.append({"table": table_key(name), "name": name, "source": source,
                         "note": Phrase.from_message(text), "text": text})
    return rows


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    section.add(Text("data_section.purpose"))
    rows = []
    for name, tbl in ds.tables.items():
        rep = ds.quality.tables.get(name)
        n = int(tbl.count().execute()) if rep is None else rep.rows_accepted
        rows.append({
            "table": table_key(name),
            "sources": ", ".join(rep.sources) if rep else "",
            "rows_read": rep.rows_read if rep else n,
            "rows_accepted": n,
            "rows_quarantined": rep.rows_quarantined if rep else 0,
            "orphans": rep.orphans if rep else 0,
        })
    counts = pd.DataFrame(rows)
    section.add(Table("data_section.tables", counts, columns={
        "table": "data_section.col.table", "sources": "data_section.col.sources",
        "rows_read": "data_section.col.rows_read", "rows_accepted": "data_section.col.rows_accepted",
        "rows_quarantined": "data_section.col.rows_quarantined", "orphans": "data_section.col.orphans",
    }, translate_values=("table",)))
    section.data["tables"] = counts.to_dict("records")

    files = [{"source": info["source"], "format": info.get("format", ""),
              "encoding": info.get("encoding", ""),
              "confidence": info.get("confidence"), "undecodable": info.get("undecodable_lines", 0)}
             for rep in ds.quality.tables.values() for info in rep.files]
    if any(f["encoding"] for f in files):  # how each file was read: encoding with its evidence
        shown = pd.DataFrame(files)
        for col in ("format", "encoding"):  # written as names are (UTF-8, GB18030, CSV) in both languages
            shown[col] = shown[col].fillna("").astype(str).str.upper()
        section.add(Table("data_section.files", shown, columns={
            "source": "data_section.col.sources", "format": "data_section.col.format",
            "encoding": "data_section.col.encoding", "confidence": "data_section.col.confidence",
            "undecodable": "data_section.col.undecodable"}))
    section.data["files"] = files
    section.data["files_not_read"] = list(ds.quality.unused)
    if ds.quality.unused:  # a file, sheet or related table read and not used: said, with why
        unused = pd.DataFrame([{"source": u["file"], "reason": Phrase.from_message(str(u["reason"]))}
                               for u in ds.quality.unused])
        section.add(Table("data_section.files_not_read", unused, columns={
            "source": "data_section.col.sources", "reason": "data_section.col.why_not_read"},
            translate_values=("reason",)))

    notes = read_notes(ds)
    section.data["read_notes"] = [{"table": r["name"], "source": r["source"], "note": r["text"]}
                                  for r in notes]
    if notes:  # how each file was read: what was judged, assumed or changed (and how to say otherwise)
        shown = pd.DataFrame(notes)[["table", "source", "note"]]
        section.add(Table("data_section.read_notes", shown, columns={
            "table": "data_section.col.table", "source": "data_section.col.sources",
            "note": "data_section.col.read_note"}, translate_values=("table", "note"),
            max_rows=200))

    if ds.quality.no_customer_reason:
        section.add(Text("data_section.no_customer", {"reason": Phrase.from_message(ds.quality.no_customer_reason)},
                         style="note"))
    if ds.has("transactions"):
        tx = ds.table("transactions", "order_ts", "amount", "customer_id")
        agg = tx.aggregate(
            orders=tx.count(), customers=tx.customer_id.nunique(), revenue=money_sum(tx.amount),
            first=tx.order_ts.min(), last=tx.order_ts.max(),
        ).execute().iloc[0]
        orders, customers, revenue = int(agg["orders"]), int(agg["customers"]), float(agg["revenue"])
        first, last = pd.Timestamp(agg["first"]).date(), pd.Timestamp(agg["last"]).date()
        section.add(
            Number("data_section.customers_with_orders", customers, "count"),
            Number("data_section.orders", orders, "count"),
            Number("data_section.revenue", revenue, "currency"),
            Number("data_section.mean_order_value", revenue / orders if orders else None, "currency",
                   numerator=revenue, denominator=orders),
            Text("data_section.period", {"first": first.isoformat(), "last": last.isoformat(),
                                         "asof": ds.analysis_date.isoformat(),
                                         "grain": ds.config.analysis.period}),
        )
        section.data.update({"orders": orders, "customers": customers, "revenue": revenue,
                             "first_order": first.isoformat(), "last_order": last.isoformat(),
                             "analysis_date": ds.analysis_date.isoformat()})

    _orders_block(ds, section)

    mapping_rows = [
        {"table": table_key(name), "canonical": column_phrase(name, col), "source": src}
        for name, rep in ds.quality.tables.items() for col, src in rep.mapping.items()
        if col.lower() != str(src).lower()
    ]
    if mapping_rows:
        section.add(Table("data_section.mapping", pd.DataFrame(mapping_rows), columns={
            "table": "data_section.col.table", "canonical": "data_section.col.canonical",
            "source": "data_section.col.source"}, translate_values=("table", "canonical")))
    _unused_columns_block(ds, section)
    q = ds.quality.quarantine
    if len(q):
        summary = (q.groupby(["table", "reason"]).size().rename("rows").reset_index()
                   .sort_values("rows", ascending=False))
        section.add(Table("data_section.quarantine", summary, columns={
            "table": "data_section.col.table", "reason": "data_section.col.reason",
            "rows": "data_section.col.rows"}), Text("data_section.quarantine_note", style="note"))
    else:
        section.add(Text("data_section.no_quarantine", style="note"))
    return section


def _orders_block(ds: Dataset, section: Section) -> None:
    """Order-level figures of real exports (``data.shapes``): all orders, sales, guests, gross
    and net revenue, returns, orders that are not sales; and the status values seen."""
    o = ds.quality.orders
    if not o:
        return
    gross, ret = float(o["gross_revenue"]), float(o["returns_amount"])
    sale = int(o["sale_orders"])
    section.add(
        Number("data_section.orders_all", int(o["orders_total"]), "count"),
        Number("data_section.sale_orders", sale, "count", numerator=sale,
               denominator=int(o["orders_total"])),
        Number("data_section.not_sale_orders", int(o["not_sale_orders"]), "count"),
        Number("data_section.gross_revenue", gross, "currency", denominator=sale),
        Number("data_section.returns", int(o["returns"]), "count"),
        Number("data_section.returns_amount", ret, "currency", numerator=ret, denominator=gross),
        Number("data_section.net_revenue", gross - ret, "currency"),
        Number("data_section.guest_orders", int(o["guest_orders"]), "count", numerator=int(o["guest_orders"]),
               denominator=sale),
        Number("data_section.guest_revenue", float(o["guest_revenue"]), "currency",
               numerator=float(o["guest_revenue"]), denominator=gross),
    )
    section.data["orders_summary"] = dict(o)
    rep = ds.quality.tables.get("transactions")
    if rep is not None and rep.statuses:
        section.add(Table("data_section.statuses", pd.DataFrame(rep.statuses), columns={
            "value": "data_section.col.status", "class": "data_section.col.status_class",
            "orders": "data_section.col.rows"}))
        section.data["statuses"] = list(rep.statuses)
    refunds = ds.quality.tables.get("returns")
    if refunds is not None and refunds.statuses:  # a refund report's status: which rows are returns
        frame = pd.DataFrame(refunds.statuses)
        frame["class"] = "data_section.return_class." + frame["class"]
        section.add(Table("data_section.return_statuses", frame, columns={
            "value": "data_section.col.status", "class": "data_section.col.status_class",
            "orders": "data_section.col.rows"}, translate_values=("class",)))
        section.data["return_statuses"] = list(refunds.statuses)
    joins = [j for r in ds.quality.tables.values() for j in r.joins]
    if joins:
        section.data["joins"] = joins
    if ds.quality.unused:
        section.data["unused_files"] = list(ds.quality.unused)


def _unused_columns_block(ds: Dataset, section: Section) -> None:
    """The columns of each source that no canonical column took: read, used by no number (a
    churn flag or a tenure the user expected to count has to be mapped, or is not analysed)."""
    rows = [{"table": table_key(name), "source": u["source"], "count": len(u["columns"]),
             "columns": ", ".join(u["columns"]),
             "not_found": [column_phrase(name, c) for c in not_found(name, rep.mapping)]}
            for name, rep in ds.quality.tables.items() for u in rep.unused_columns]
    if not rows:
        return
    section.add(Table("data_section.unused_columns", pd.DataFrame(rows), columns={
        "table": "data_section.col.table", "source": "data_section.col.sources",
        "count": "data_section.col.count", "columns": "data_section.col.columns",
        "not_found": "data_section.col.not_found"},
        translate_values=("table", "not_found")),
        Text("data_section.unused_columns_note", style="note"))
    section.data["unused_columns"] = [
        {"table": name, **u} for name, rep in ds.quality.tables.items() for u in rep.unused_columns]
