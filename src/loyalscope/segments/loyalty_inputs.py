"""Per-customer inputs of the loyalty-type rules and loyalty dimensions, from a Dataset.

- satisfaction = mean CSAT rescaled ``(x - low) / (high - low)`` on the question's declared scale
  (:mod:`loyalscope.metrics.scales`: ``[survey] csat_scale_max`` or ``[survey.scales]``);
- price_sensitivity = mean answer rescaled the same way on its own scale (a rating,
  ``[survey] rating_scale_max``); answers outside a declared scale are refused
  (:class:`~loyalscope.errors.DataQualityError`);
- promo_share = share of a customer's orders with ``is_promo`` true;
- alternatives = mean number of alternatives named in surveys;
- is_employee from customers; repurchase_intent, csat, nps as answered (for the dimensions).

Only rows before ``as_of`` count. Absent columns are simply missing (rules on them stay silent).
"""

from __future__ import annotations

from datetime import date, datetime

import ibis
import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.metrics._base import collect_by_customer, join_by_customer
from loyalscope.metrics.scales import check_scale
from loyalscope.segments.dimensions import rescale


def loyalty_inputs(ds: Dataset, as_of: date | None = None, scale_max: float | None = None) -> pd.DataFrame:
    """Frame indexed by customer_id (buyers before ``as_of``) with the columns available.

    ``scale_max``: top of the CSAT scale; default: the declared scale (:func:`check_scale`)."""
    cut = datetime.combine(as_of or ds.analysis_date, datetime.min.time())
    tx = ds.table("transactions", "customer_id", "order_ts")
    tx = tx.filter(tx.order_ts < cut)
    aggs = {"n_orders": tx.count()}
    if "is_promo" in tx.columns:
        aggs["promo_share"] = tx.is_promo.fill_null(False).cast("float64").mean()
    parts = []
    if ds.has("surveys"):
        sv = ds.linked_answers("answered_ts")
        sv = sv.filter(sv.answered_ts < cut)
        cols = [c for c in ("csat", "nps", "price_sensitivity", "alternatives", "repurchase_intent")
                if c in sv.columns]
        if cols:
            parts.append(sv.group_by("customer_id").aggregate(**{c: sv[c].cast("float64").mean() for c in cols}))
    employee = ds.has("customers", "is_employee")
    if employee:
        cu = ds.table("customers", "customer_id", "is_employee")
        parts.append(cu.select("customer_id", "is_employee", in_customers=ibis.literal(True)))
    # one query: the per-customer aggregates joined in the engine, collected once through
    # Arrow (:func:`collect_by_customer`: Ibis's ``to_pandas`` made a Python object of every
    # value of a column holding a missing value), sorted by id as the RFM table is (code
    # point order), whose reindex is then a comparison, not a lookup of every id; the ids are
    # the text objects earlier per-customer frames hold
    out = collect_by_customer(join_by_customer(tx.group_by("customer_id").aggregate(**aggs), *parts), ds)
    out = out.drop(columns=["n_orders"])
    if employee:  # as answered; missing (NaN) for a buyer not in the customers table
        known = out.pop("in_customers").notna().to_numpy()
        out["is_employee"] = np.where(known, out["is_employee"].astype(object).to_numpy(), np.nan)
    if "csat" in out:
        csat = check_scale(ds, "csat")
        out["satisfaction"] = rescale(out["csat"], csat.low, scale_max or csat.high)
    if "price_sensitivity" in out:
        price = check_scale(ds, "price_sensitivity")
        out["price_sensitivity"] = rescale(out["price_sensitivity"], price.low, price.high)
    out.index.name = "customer_id"
    return out
