"""Churn reason analysis and post-complaint repurchase.

Churned vs retained (churned = no order in the last ``inactivity_days`` before ``as_of``):

- numeric features: means of each group and Cohen's ``d = (m1 - m0) / s_pooled`` with
  ``s_pooled = sqrt(((n1-1) s1^2 + (n0-1) s0^2) / (n1 + n0 - 2))``;
- "any" flags (had a complaint, a return ...): odds ratio ``(a d) / (b c)`` with 0.5 added to
  every cell (Haldane-Anscombe) so empty cells do not divide by zero;
- ``customers.churn_reason`` codes: counts and shares among churned customers.

Post-complaint repurchase: the share of complaints followed by an order within ``horizon``
days of opening, by severity, by resolution, and by speed (resolved within ``quick_days``),
beside the documents' benchmarks: about 4% of customers with a major complaint buy again,
53% with a minor one, and 52-95% when the complaint is resolved quickly (TARP studies as
quoted in the source documents). Only complaints opened at least ``horizon`` days before
``as_of`` count, so every outcome is observed.

Reference: Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.indices.customer_facts import timestamps
from loyalscope.metrics.window import inactivity_days as window_days
from loyalscope.segments.churn import churn_features

BENCHMARKS = {"major": (0.04, 0.04), "minor": (0.53, 0.53), "quick": (0.52, 0.95)}


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's d of ``a`` over ``b`` with the pooled standard deviation."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    n1, n0 = len(a), len(b)
    if n1 < 2 or n0 < 2:
        return float("nan")
    s = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n0 - 1) * b.var(ddof=1)) / (n1 + n0 - 2))
    return float((a.mean() - b.mean()) / s) if s > 0 else float("nan")


def odds_ratio(flag: np.ndarray, churned: np.ndarray) -> float:
    """Odds of churn with the flag over without it, 0.5 added to each cell; NaN (undefined)
    when nobody or everybody churned, where the correction alone would make a ratio (109 with no
    churned customer at all)."""
    flag, churned = flag.astype(bool), churned.astype(bool)
    if not churned.any() or churned.all():
        return float("nan")
    a = (flag & churned).sum() + 0.5
    b = (flag & ~churned).sum() + 0.5
    c = (~flag & churned).sum() + 0.5
    d = (~flag & ~churned).sum() + 0.5
    return float(a * d / (b * c))


def _mean_known(x: np.ndarray) -> float:
    """Mean of the known (non-NaN) values; NaN when there is none (without NumPy's "Mean of
    empty slice" warning on the user's console: the table shows it as not available)."""
    return float(np.nanmean(x)) if (~np.isnan(x)).any() else np.nan


def churn_reasons(ds: Dataset, as_of: date | None = None, inactivity_days: int | None = None) -> pd.DataFrame:
    """One row per feature: mean_churned, mean_retained, cohens_d, odds_ratio (for count
    features, of having at least one)."""
    as_of = as_of or ds.analysis_date
    inactivity_days = inactivity_days or window_days(ds)
    f = churn_features(ds, as_of, deep=False)  # reads and adds columns only
    churned = (f.recency_days > inactivity_days).to_numpy()
    rows = []
    for c in f.columns:
        if c in ("recency_days",):
            continue  # defines churn
        x = f[c].to_numpy(float)
        row = {"feature": c, "mean_churned": _mean_known(x[churned]),
               "mean_retained": _mean_known(x[~churned]),
               "cohens_d": cohens_d(x[churned], x[~churned])}
        if c in ("complaints", "unresolved_complaints", "returns", "interactions"):
            row["odds_ratio"] = odds_ratio(x > 0, churned)
        rows.append(row)
    return pd.DataFrame(rows).set_index("feature")


def reason_codes(ds: Dataset) -> pd.DataFrame:
    """Counts and shares of ``customers.churn_reason`` among customers who gave one."""
    cu = ds.table("customers", "customer_id", "churn_reason")
    given = cu.filter(cu.churn_reason.notnull())
    df = given.group_by("churn_reason").aggregate(n=given.count()).to_pandas()
    df["share"] = df.n / df.n.sum() if len(df) else []
    return df.sort_values(["n", "churn_reason"], ascending=[False, True]).reset_index(drop=True)


def post_complaint_repurchase(
    ds: Dataset, as_of: date | None = None, horizon: int = 90, quick_days: float = 1.0
) -> pd.DataFrame:
    """Repurchase rate after a complaint by severity, resolution and speed, with benchmarks.

    Columns: dimension, level, complaints, repurchase_rate, benchmark_low, benchmark_high.
    """
    as_of = as_of or ds.analysis_date
    last_open = datetime.combine(as_of - timedelta(days=horizon), datetime.min.time())
    cp = ds.table("complaints", "complaint_id", "customer_id", "opened_ts")
    cp = cp.filter(cp.opened_ts < last_open)
    tx = ds.table("transactions", "customer_id", "order_ts")
    j = cp.left_join(tx, (cp.customer_id == tx.customer_id) & (tx.order_ts > cp.opened_ts)
                     & (tx.order_ts < cp.opened_ts + timedelta(days=horizon)))
    keep = [c for c in ("severity", "resolved", "closed_ts") if c in cp.columns]
    agg = j.group_by(["complaint_id", "opened_ts", *keep]).aggregate(bought=j.order_ts.count() > 0).to_pandas()
    rows = []

    def add(dim: str, level: str, mask: pd.Series, bench: tuple[float, float] | None) -> None:
        n = int(mask.sum())
        rows.append({"dimension": dim, "level": level, "complaints": n,
                     "repurchase_rate": float(agg.bought[mask].mean()) if n else np.nan,
                     "benchmark_low": bench[0] if bench else np.nan,
                     "benchmark_high": bench[1] if bench else np.nan})

    add("all", "all", pd.Series(True, index=agg.index), None)
    if "severity" in agg:
        for lvl in sorted(agg.severity.dropna().unique()):
            add("severity", str(lvl), agg.severity == lvl, BENCHMARKS.get(str(lvl)))
    if "resolved" in agg:
        res = agg.resolved.fillna(False).astype(bool)
        add("resolution", "resolved", res, None)
        add("resolution", "unresolved", ~res, None)
        if "closed_ts" in agg:
            days = (timestamps(agg.closed_ts) - timestamps(agg.opened_ts)).dt.total_seconds() / 86400
            quick = res & (days <= quick_days)
            add("speed", "quick", quick, BENCHMARKS["quick"])
            add("speed", "slow", res & ~quick, None)
    return pd.DataFrame(rows)
