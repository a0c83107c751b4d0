"""Per-customer inputs of the excellent-customer evaluation, computed in the engine.

Only rows before ``as_of`` count. Columns (absent when their source is absent):

- ``revenue_share`` = customer's order amount / all customers' order amount;
- ``margin_share`` = customer's margin / all margin (``transactions.margin``);
- ``recommendation`` = mean NPS answer (0-10), else mean ``recommend_intent``; with a
  ``referrals`` table, ``referrals_made`` (referrals a customer made, 0 for none) and
  recommendation becomes the mean percentile rank of the answer and the referrals made (of the
  one a customer has, when they gave no answer);
- ``feedback`` = survey answers + complaints + interactions of kind ``feedback`` given
  (0 for a customer who gave none, when at least one of those tables exists);
- ``tenure_days`` (first order -> ``as_of``), ``categories`` and ``channels`` (distinct ones
  bought), and ``relationship_depth`` from them (:func:`relationship_depth`).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.indices.customer_facts import customer_facts, timestamps
from loyalscope.indices.excellent import relationship_depth


def excellent_inputs(ds: Dataset, as_of: date | None = None) -> pd.DataFrame:
    """Frame indexed by ``customer_id`` (customers with an order before ``as_of``), from the
    per-customer facts the loyalty-index indicators read too (one engine query for both,
    :func:`loyalscope.indices.customer_facts.customer_facts`)."""
    as_of = as_of or ds.analysis_date
    ds.table("transactions", "customer_id", "order_ts", "amount")  # a clear error without amounts
    cut = datetime.combine(as_of, datetime.min.time())
    base = customer_facts(ds, as_of)
    out = pd.DataFrame(index=base.index)
    out["revenue_share"] = base.revenue.astype(float) / float(base.revenue.sum())
    if "margin" in base and base.margin.notna().any() and float(base.margin.sum()) != 0:
        out["margin_share"] = base.margin.astype(float) / float(base.margin.sum())
    out["tenure_days"] = (pd.Timestamp(cut) - timestamps(base.first_ts)).dt.total_seconds() / 86400
    for c in ("categories", "channels"):
        if c in base:
            out[c] = base[c].astype(float)
    out["relationship_depth"] = relationship_depth(out)
    if "recommendation" in base:
        out["recommendation"] = base["recommendation"].astype(float)
    if "n_referrals" in base:
        out["referrals_made"] = base["n_referrals"].fillna(0).astype(float)
        used = [c for c in ("recommendation", "referrals_made") if c in out]
        out["recommendation"] = out[used].rank(pct=True, method="average").mean(axis=1)
    counts = [c for c in ("n_surveys", "n_complaints", "n_feedback") if c in base]
    if counts:
        out["feedback"] = base[counts].astype(float).fillna(0).sum(axis=1).astype(float)
    out.index.name = "customer_id"
    return out


def excellent_components(ds: Dataset, loyalty: pd.Series, indicators: pd.DataFrame,
                         scored: pd.DataFrame | None = None) -> pd.DataFrame:
    """The components of :func:`loyalscope.indices.excellent.evaluate_excellent` per customer
    (index of ``indicators``): loyalty index, contribution (margin share, else revenue share),
    value (``clv``) and potential (``potential``) from ``scored`` (the scored customers' columns
    indexed as ``indicators``, :meth:`~loyalscope.sections.context.SectionContext.customer_values`)
    when the value section ran (else potential is the frequency trend A13), recommendation,
    feedback, relationship depth, and satisfaction (A34)."""
    inp = excellent_inputs(ds)
    if not inp.index.equals(indicators.index):  # the same sorted customers, unless as_of differs
        inp = inp.reindex(indicators.index)
    comp = pd.DataFrame({"loyalty": loyalty}, index=indicators.index)
    comp["contribution"] = inp["margin_share"] if "margin_share" in inp else inp["revenue_share"]
    if scored is None:
        scored = pd.DataFrame()
    elif not scored.index.equals(comp.index):
        scored = scored.reindex(comp.index)
    if "clv" in scored:
        comp["value"] = scored["clv"]
    for c in ("recommendation", "feedback", "relationship_depth"):
        if c in inp:
            comp[c] = inp[c]
    if "A34" in indicators:
        comp["satisfaction"] = indicators["A34"]
    if "potential" in scored:  # predicted next-horizon spend minus trailing spend
        comp["potential"] = scored["potential"]
    elif "A13" in indicators:  # without a value model: the frequency trend
        comp["potential"] = indicators["A13"]
    return comp.astype(float)
