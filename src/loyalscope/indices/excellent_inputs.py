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

import ibis
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.indices.excellent import relationship_depth
from loyalscope.metrics._base import (
    CATEGORIES,
    category_lines,
    collect_by_customer,
    join_by_customer,
    money_sum,
)


def _by_customer(tbl: ibis.Table, **aggs: ibis.Expr) -> ibis.Table:
    return tbl.group_by("customer_id").aggregate(**aggs)


def excellent_inputs(ds: Dataset, as_of: date | None = None) -> pd.DataFrame:
    """Frame indexed by ``customer_id`` (customers with an order before ``as_of``)."""
    cut = datetime.combine(as_of or ds.analysis_date, datetime.min.time())
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    tx = tx.filter(tx.order_ts < cut)
    aggs = {"revenue": money_sum(tx.amount), "first_ts": tx.order_ts.min()}
    for col, name in (("margin", "margin"), ("channel", "channels")):
        if col in tx.columns:
            aggs[name] = money_sum(tx[col]) if col == "margin" else tx[col].nunique()
    parts: list[ibis.Table] = []
    if not ds.missing((CATEGORIES,)):  # categories of the order lines when there are any
        cl = category_lines(ds)
        cl = cl.filter(cl.order_ts < cut)
        parts.append(_by_customer(cl, categories=cl.category.nunique()))
    rec = None
    counts: list[str] = []
    if ds.has("surveys"):
        sv = ds.table("surveys", "customer_id", "answered_ts")
        sv = sv.filter(sv.answered_ts < cut)
        rec = next((c for c in ("nps", "recommend_intent") if c in sv.columns), None)
        sv_aggs = {"n_surveys": sv.count()}
        if rec is not None:
            sv_aggs["recommendation"] = sv[rec].cast("float64").mean()
        parts.append(_by_customer(sv, **sv_aggs))
        counts.append("n_surveys")
    if ds.has("complaints"):
        cp = ds.table("complaints", "customer_id", "opened_ts")
        cp = cp.filter(cp.opened_ts < cut)
        parts.append(_by_customer(cp, n_complaints=cp.count()))
        counts.append("n_complaints")
    if ds.has("interactions"):
        it = ds.table("interactions", "customer_id", "ts", "kind")
        it = it.filter((it.ts < cut) & (it.kind == "feedback"))
        parts.append(_by_customer(it, n_feedback=it.count()))
        counts.append("n_feedback")
    if ds.has("referrals"):
        rf = ds.table("referrals", "referrer_id", "referred_ts")
        rf = rf.filter(rf.referred_ts < cut)
        parts.append(rf.group_by(customer_id=rf.referrer_id).aggregate(n_referrals=rf.count()))
    base = collect_by_customer(join_by_customer(_by_customer(tx, **aggs), *parts))
    if "categories" in base:
        base["categories"] = base["categories"].fillna(0)
    out = pd.DataFrame(index=base.index)
    out["revenue_share"] = base.revenue.astype(float) / float(base.revenue.sum())
    if "margin" in base and base.margin.notna().any() and float(base.margin.sum()) != 0:
        out["margin_share"] = base.margin.astype(float) / float(base.margin.sum())
    out["tenure_days"] = (pd.Timestamp(cut) - pd.to_datetime(base.first_ts)).dt.total_seconds() / 86400
    for c in ("categories", "channels"):
        if c in base:
            out[c] = base[c].astype(float)
    out["relationship_depth"] = relationship_depth(out)
    if rec is not None:
        out["recommendation"] = base["recommendation"].astype(float)
    if "n_referrals" in base:
        out["referrals_made"] = base["n_referrals"].fillna(0).astype(float)
        used = [c for c in ("recommendation", "referrals_made") if c in out]
        out["recommendation"] = out[used].rank(pct=True, method="average").mean(axis=1)
    if counts:
        out["feedback"] = base[counts].astype(float).fillna(0).sum(axis=1).astype(float)
    out.index.name = "customer_id"
    return out


def excellent_components(ds: Dataset, loyalty: pd.Series, indicators: pd.DataFrame,
                         customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The components of :func:`loyalscope.indices.excellent.evaluate_excellent` per customer
    (index of ``indicators``): loyalty index, contribution (margin share, else revenue share),
    value (``clv``) and potential (``potential``) from the scored ``customers`` table when the
    value section ran (else potential is the frequency trend A13), recommendation, feedback,
    relationship depth, and satisfaction (A34)."""
    inp = excellent_inputs(ds)
    if not inp.index.equals(indicators.index):  # the same sorted customers, unless as_of differs
        inp = inp.reindex(indicators.index)
    comp = pd.DataFrame({"loyalty": loyalty}, index=indicators.index)
    comp["contribution"] = inp["margin_share"] if "margin_share" in inp else inp["revenue_share"]
    cols = [c for c in ("clv", "potential") if customers is not None and c in customers]
    scored = (customers.set_index("customer_id")[cols].reindex(comp.index)  # one lookup for both
              if customers is not None else pd.DataFrame())
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
