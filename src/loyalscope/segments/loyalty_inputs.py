"""Per-customer inputs of the loyalty-type rules and loyalty dimensions, from a Dataset.

- satisfaction = mean CSAT rescaled ``(x - 1) / (max - 1)`` (``max`` = ``[survey] csat_scale_max``);
- price_sensitivity = mean answer rescaled the same way;
- promo_share = share of a customer's orders with ``is_promo`` true;
- alternatives = mean number of alternatives named in surveys;
- is_employee from customers; repurchase_intent, csat, nps as answered (for the dimensions).

Only rows before ``as_of`` count. Absent columns are simply missing (rules on them stay silent).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.segments.dimensions import rescale


def loyalty_inputs(ds: Dataset, as_of: date | None = None, scale_max: float = 5.0) -> pd.DataFrame:
    """Frame indexed by customer_id (buyers before ``as_of``) with the columns available."""
    cut = datetime.combine(as_of or ds.analysis_date, datetime.min.time())
    tx = ds.table("transactions", "customer_id", "order_ts")
    tx = tx.filter(tx.order_ts < cut)
    aggs = {"n_orders": tx.count()}
    if "is_promo" in tx.columns:
        aggs["promo_share"] = tx.is_promo.fill_null(False).cast("float64").mean()
    out = tx.group_by("customer_id").aggregate(**aggs).to_pandas()
    out = out.set_index(out.customer_id.astype(str)).drop(columns=["customer_id", "n_orders"])
    if ds.has("surveys"):
        sv = ds.table("surveys", "customer_id", "answered_ts")
        sv = sv.filter(sv.answered_ts < cut)
        cols = [c for c in ("csat", "nps", "price_sensitivity", "alternatives", "repurchase_intent")
                if c in sv.columns]
        if cols:
            s = sv.group_by("customer_id").aggregate(**{c: sv[c].cast("float64").mean() for c in cols}).to_pandas()
            out = out.join(s.set_index(s.customer_id.astype(str)).drop(columns="customer_id"), how="left")
    if ds.has("customers", "is_employee"):
        cu = ds.table("customers", "customer_id", "is_employee").to_pandas()
        out = out.join(cu.set_index(cu.customer_id.astype(str)).is_employee.astype(object), how="left")
    if "csat" in out:
        out["satisfaction"] = rescale(out["csat"], 1.0, scale_max)
    if "price_sensitivity" in out:
        out["price_sensitivity"] = rescale(out["price_sensitivity"], 1.0, scale_max)
    out.index.name = "customer_id"
    return out
