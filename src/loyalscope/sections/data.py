"""Section 1, data and method: sources, period covered, row counts, mapping, quarantine."""

from __future__ import annotations

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.metrics._base import money_sum
from loyalscope.results import Number, Section, Table, Text
from loyalscope.sections.context import SectionContext

SECTION_ID = "data"


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    section.add(Text("data_section.purpose"))
    rows = []
    for name, tbl in ds.tables.items():
        rep = ds.quality.tables.get(name)
        n = int(tbl.count().execute()) if rep is None else rep.rows_accepted
        rows.append({
            "table": f"schema.{name}._name",
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

    mapping_rows = [
        {"table": f"schema.{name}._name", "canonical": col, "source": src}
        for name, rep in ds.quality.tables.items() for col, src in rep.mapping.items()
        if col.lower() != str(src).lower()
    ]
    if mapping_rows:
        section.add(Table("data_section.mapping", pd.DataFrame(mapping_rows), columns={
            "table": "data_section.col.table", "canonical": "data_section.col.canonical",
            "source": "data_section.col.source"}, translate_values=("table",)))
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
