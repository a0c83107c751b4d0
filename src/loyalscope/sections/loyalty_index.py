"""Report section "Composite loyalty index": weights, index distribution, excellent-customer tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.indices.excellent import COMPONENTS, evaluate_excellent
from loyalscope.indices.excellent_inputs import excellent_components
from loyalscope.indices.indicators import loyalty_indicators
from loyalscope.indices.loyalty_index import loyalty_index
from loyalscope.results import Chart, Number, Section, Table, Text
from loyalscope.sections.context import SectionContext

SECTION_ID = "loyalty_index"
# The last section of a run to read the per-customer facts of the indicators and the excellent-customer components: the analysis forgets them after it
# (Dataset.forget; hundreds of MB per million customers otherwise held to the end).
LAST_READER_OF = ("customer_facts",)
K = "segments.report.index."


def build(ds: Dataset, ctx: SectionContext) -> Section:
    ind = loyalty_indicators(ds)
    scored, weights, notes = loyalty_index(ind, ctx.config.segments.index_weights, ctx.config.locale)
    li = scored["loyalty_index"]
    section = Section(SECTION_ID)
    section.add(Number(K + "mean", float(li.mean()), unit="score", denominator=float(li.notna().sum())),
                Text(K + "method", {"weights": ctx.config.segments.index_weights}, style="note"))
    for c in ("A11", "A12", "A13", "A21", "A22", "A31", "A32", "A33", "A34"):
        if c not in weights:
            section.add(Text("indices.loyalty.dropped", {"indicator": c}, style="warning"))
    wt = pd.DataFrame({"indicator": [f"{K}ind.{k}" for k in weights], "weight": list(weights.values())})
    section.add(Table(K + "weights", wt, {"indicator": K + "col.indicator", "weight": K + "col.weight"},
                      percent_columns=("weight",), translate_values=("indicator",)))
    edges = np.arange(0, 110, 10)
    hist = pd.cut(li.dropna(), edges, include_lowest=True, right=False).value_counts().sort_index()
    section.add(Chart("bar", K + "distribution",
                      pd.DataFrame({"band": [f"{int(i.left)}-{int(i.right)}" for i in hist.index],
                                    "customers": hist.to_numpy()}),
                      x="band", y="customers", labels={"band": K + "col.band", "customers": K + "col.customers"}))
    tiers, used, dropped = _excellent(ds, ctx, li, ind)
    for c in dropped:
        section.add(Text("indices.excellent.dropped", {"component": f"indices.excellent.component.{c}"},
                         style="warning"))
    tt = tiers.tier.value_counts().reindex(["A", "B", "C", "D"], fill_value=0).rename_axis("tier").reset_index(name="customers")
    tt["share"] = tt.customers / tt.customers.sum()
    section.add(Table(K + "tiers", tt, {"tier": K + "col.tier", "customers": K + "col.customers",
                                        "share": K + "col.share"}, percent_columns=("share",),
                      note=K + "tiers_note"))
    out = pd.DataFrame({"customer_id": scored.index.astype(str), "loyalty_index": li.to_numpy(),
                        "excellent_tier": tiers.tier.to_numpy()})
    ctx.add_customer_columns(out)  # no other copy kept: no later section reads them but from ctx.customers
    section.data = {"weights": weights, "notes": notes, "mean": float(li.mean()),
                    "excellent_weights": used, "excellent_dropped": dropped}
    return section


def _excellent(ds: Dataset, ctx: SectionContext, li: pd.Series, ind: pd.DataFrame
               ) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """Excellent-customer tiers over the management-evaluation components the data provides."""
    cu = ctx.customers
    scored = (ctx.customer_values([c for c in ("clv", "potential") if c in cu], ind.index)
              if cu is not None else None)
    comp = excellent_components(ds, li, ind, scored)
    tiers, used, _ = evaluate_excellent(comp.astype(float))
    dropped = [c for c in COMPONENTS if c not in used]
    return tiers, used, dropped
