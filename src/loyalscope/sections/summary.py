"""Executive summary (摘要): the 3-5 findings that matter most for this data, shown first.

Each finding is one sentence with its number, its change, its comparison and a link to the
section holding the evidence; they are chosen by the rules in :mod:`loyalscope.sections._findings`
(money at stake weighted by the distance from normal), not from a fixed list. The summary runs
after every other section (``NEEDS = ("*",)``) and quotes only numbers that passed the trust
guards.
"""

from __future__ import annotations

from typing import Any

from loyalscope.data.dataset import Dataset
from loyalscope.results import Number, Section, Text
from loyalscope.sections import _findings as F
from loyalscope.sections.context import SectionContext

SECTION_ID = "summary"
NEEDS = ("*",)
K = "summary."


def value_per_customer(ctx: SectionContext) -> float:
    """Mean value of a retained customer over the CLV horizon (CLV / P(alive)); without a CLV
    model, the mean past spend per customer (revenue / customers of the data section)."""
    cu = ctx.customers
    if cu is None or "clv" not in cu.columns:
        data = ctx.sections.get("data")
        if data is not None and data.data.get("customers"):
            return float(data.data.get("revenue", 0.0)) / float(data.data["customers"])
        return 0.0
    v = cu["clv"].astype(float)
    if "p_alive" in cu.columns:
        v = v / cu["p_alive"].astype(float).clip(lower=1e-3)
    return float(v.mean()) if len(v) else 0.0


def horizon_kw(ctx: SectionContext) -> dict[str, Any]:
    return {"horizon": f"{float(ctx.config.value.horizon):g}",
            "unit": f"report.unit.{ctx.config.value.time_unit}s"}


def candidates(ds: Dataset, ctx: SectionContext) -> list[F.Finding]:
    """Every candidate finding the earlier sections' results support."""
    data = ctx.sections.get("data")
    orders = float(data.data.get("orders", 0)) if data is not None else 0.0
    revenue = float(data.data.get("revenue", 0)) if data is not None else 0.0
    order_value = revenue / orders if orders else 0.0
    out = F.metric_changes(ctx.results, ctx.config.analysis.period, ctx.results.get("metric_period", {}),
                           value_per_customer(ctx), order_value)
    recs = ctx.sections.get("strategy")
    rec_data = recs.data.get("recommendations", []) if recs is not None else []
    stakes = {r["target"]: float(r["value_at_stake"]) for r in rec_data if r.get("value_at_stake")}
    out += F.competitor_gaps(ctx.results.get("competitors"), stakes)
    out += F.driver_concentration(ctx.results.get("drivers"))
    out += F.recommendations(rec_data, horizon_kw(ctx))
    return out


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    found = F.select(candidates(ds, ctx), F.headline_numbers(ctx.sections))
    data = ctx.sections.get("data")
    if data is not None and "customers" in data.data:
        section.add(Text(K + "scope", {"customers": f"{int(data.data['customers']):,}",
                                       "orders": f"{int(data.data['orders']):,}",
                                       "first": data.data["first_order"], "last": data.data["last_order"]},
                         style="note"))
    if not found:
        section.add(Text(K + "none", style="note"))
    for i, f in enumerate(found, start=1):
        section.add(Text(f.key, {**f.kw, "i": i}, style="finding", link=f.section))
    strategy = ctx.sections.get("strategy")
    if strategy is not None and strategy.data.get("value_at_stake_total") and \
            strategy.data.get("basis") == "excess_churn":
        d = strategy.data
        section.add(Number(K + "value_at_stake", float(d["value_at_stake_total"]), "currency",
                           label_kw=horizon_kw(ctx), denominator=float(d["customers_targeted"]),
                           note=K + "value_at_stake_note",
                           note_kw={"actions": sum(1 for r in d["recommendations"] if r.get("customers"))}))
    section.add(Text(K + "method", {"z": F.Z_NORMAL, "min_n": F.MIN_N}, style="note"))
    section.data = {"findings": [f.record() for f in found]}
    ctx.results["findings"] = found
    return section
