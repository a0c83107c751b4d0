"""Build the diagnosis facts that the strategy rules read, from analysis results.

Every argument is optional; facts whose inputs are absent are simply not produced (and the
rules that need them stay silent).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd


def diagnosis_facts(
    segments: pd.DataFrame | None = None,
    previous_segments: pd.DataFrame | None = None,
    quadrant: pd.Series | None = None,
    churn_tier: pd.Series | None = None,
    churn_probability: pd.Series | None = None,
    complaints: pd.DataFrame | None = None,
    metrics: Mapping[str, float] | None = None,
    targets: Mapping[str, float] | None = None,
    driver_gaps: Mapping[str, bool] | None = None,
    segment_ids: Iterable[str] = (),
    quadrant_ids: Iterable[str] = (),
    complainants: Iterable[str] | None = None,
) -> dict[str, float]:
    """Facts for :func:`loyalscope.strategy.engine.recommend`.

    segments / previous_segments: RFM frames with ``segment_id`` and ``monetary``;
    quadrant: quadrant per customer; churn_tier: risk tier per customer ("high", "elevated",
    "usual": by rank, see :func:`loyalscope.segments.churn.risk_tiers`) and churn_probability
    (the high tier's mean probability over everyone's is ``churn.high_risk_lift``);
    complaints: :func:`post_complaint_repurchase` table; metrics and targets: metric id ->
    value (gap = metric - target); driver_gaps: dimension -> high importance & low performance;
    segment_ids / quadrant_ids: every segment of the scheme / every quadrant, so that an empty
    one has share, size and value 0 (a known zero, not a missing fact); complainants: ids of
    the customers who complained (size = distinct customers, value = their spend).
    """
    f: dict[str, float] = {}
    if segments is not None and len(segments):
        n = len(segments)
        for sid, grp in segments.groupby("segment_id"):
            f[f"segment_share.{sid}"] = len(grp) / n
            f[f"segment_size.{sid}"] = float(len(grp))
            f[f"segment_value.{sid}"] = _total(grp["monetary"])
        for sid in segment_ids:
            if f"segment_share.{sid}" not in f:
                f[f"segment_share.{sid}"] = f[f"segment_size.{sid}"] = f[f"segment_value.{sid}"] = 0.0
        f["segment_size.all"] = float(n)
        f["segment_value.all"] = _total(segments["monetary"])
        if previous_segments is not None and len(previous_segments):
            prev = previous_segments["segment_id"].value_counts(normalize=True)
            now = segments["segment_id"].value_counts(normalize=True)
            for sid in set(prev.index) | set(now.index) | set(segment_ids):
                f[f"segment_trend.{sid}"] = float(now.get(sid, 0.0) - prev.get(sid, 0.0))
    if quadrant is not None:
        q = quadrant.dropna()
        mon = None
        if segments is not None and "customer_id" in segments:
            mon = segments.set_index("customer_id")["monetary"]
        counts = q.value_counts()
        for k in [*counts.index, *(k for k in quadrant_ids if k not in counts.index)]:
            c = int(counts.get(k, 0))
            f[f"quadrant_share.{k}"] = c / len(q) if len(q) else 0.0
            f[f"segment_size.{k}"] = float(c)
            if mon is not None:
                f[f"segment_value.{k}"] = _total(mon.reindex(q.index[q == k]))
    if churn_tier is not None and len(churn_tier):
        high = churn_tier == "high"
        f["churn.high_risk_share"] = float(high.mean())
        if churn_probability is not None and high.any() and churn_probability.mean() > 0:
            p = churn_probability.reindex(churn_tier.index)
            f["churn.high_risk_lift"] = float(p[high].mean() / p.mean())
        f["segment_size.high_risk"] = float(high.sum())
        if segments is not None and "customer_id" in segments:
            mon = segments.set_index("customer_id")["monetary"]
            f["segment_value.high_risk"] = _total(mon.reindex(churn_tier.index[high]))
    if complaints is not None and len(complaints):
        t = complaints.set_index(["dimension", "level"])
        if ("all", "all") in t.index:
            f["complaint.repurchase_rate"] = float(t.loc[("all", "all"), "repurchase_rate"])
        if ("speed", "quick") in t.index and ("all", "all") in t.index:
            total = t.loc[("all", "all"), "complaints"]
            if total:
                f["complaint.quick_resolution_rate"] = float(t.loc[("speed", "quick"), "complaints"] / total)
    if complainants is not None:
        who = pd.Index(pd.unique(pd.Series(list(complainants), dtype="string").dropna()))
        f["segment_size.complainants"] = float(len(who))
        if segments is not None and "customer_id" in segments:
            mon = segments.set_index("customer_id")["monetary"]
            f["segment_value.complainants"] = _total(mon.reindex(who))
    for k, v in (metrics or {}).items():
        if targets and k in targets:
            f[f"gap.{k}"] = float(v) - float(targets[k])
    for k, v in (driver_gaps or {}).items():
        f[f"driver_gap.{k}"] = 1.0 if v else 0.0
    return {k: v for k, v in f.items() if v == v}


def _total(values: pd.Series) -> float:
    """Sum of the non-missing values, correctly rounded whatever their order (math.fsum), so the
    facts do not depend on the order the engine returned the customers in."""
    return float(math.fsum(values.dropna().to_numpy(dtype=float)))
