"""The loyalty-index indicators A11-A34 per customer, computed in the engine from a Dataset.

Only rows before ``as_of`` are used. A13 compares the orders of the last ``half_window`` days
with those of the ``half_window`` days before. Survey indicators are each customer's mean
answer (``mention_unprompted`` as the share of "yes"). Columns whose source is absent are not
returned (the index drops them with a note).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.indices.customer_facts import customer_facts, timestamps

SURVEY_INDICATORS = {"A21": "share_of_wallet", "A31": "mention_unprompted",
                     "A32": "price_sensitivity", "A33": "voluntary", "A34": "csat"}


def loyalty_indicators(ds: Dataset, as_of: date | None = None, half_window: int = 180) -> pd.DataFrame:
    """Indicators indexed by ``customer_id`` (customers with an order before ``as_of``), from
    the per-customer facts the excellent-customer inputs read too (one engine query for both,
    :func:`loyalscope.indices.customer_facts.customer_facts`)."""
    df = customer_facts(ds, as_of, half_window)
    out = pd.DataFrame(index=df.index)
    out["A11"] = (timestamps(df.last_ts) - timestamps(df.first_ts)).dt.total_seconds() / 86400
    out["A12"] = df["orders"].astype(float)
    out["A13"] = df["recent"].astype(float) - df["prior"].astype(float)
    if "categories" in df:
        out["A22"] = df["categories"]
    for k, v in SURVEY_INDICATORS.items():
        if v in df:
            out[k] = df[v]
    out.index.name = "customer_id"
    return out[sorted(out.columns)]  # sorted by customer: means do not depend on the engine's order
