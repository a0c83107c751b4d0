"""Build the diagnosis facts that the strategy rules read, from analysis results.

Every argument is optional; facts whose inputs are absent are simply not produced (and the
rules that need them stay silent).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.strategy.targets import high_risk


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
    base_rate: float | None = None,
    competitors: pd.DataFrame | None = None,
    drivers: pd.DataFrame | None = None,
    metric_n: Mapping[str, float] | None = None,
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
    the customers who complained (size = distinct customers, value = their spend);
    base_rate: churn base rate (default: mean churn probability); competitors: the competitor
    comparison table (competitor, dimension, n, gap, t_p); drivers: the key-driver table
    (driver, relative_weight_pct); metric_n: metric id -> denominator of its latest value.

    Shares come with ``n.<fact>`` (their denominator) and differences with ``se.<fact>``, so that
    the rules fire only with a confidence margin (:func:`loyalscope.strategy.engine.margin_bound`).
    """
    f: dict[str, float] = {}
    if segments is not None and len(segments):
        n = len(segments)
        for sid, grp in segments.groupby("segment_id"):
            f[f"segment_share.{sid}"] = len(grp) / n
            f[f"n.segment_share.{sid}"] = float(n)
            f[f"segment_size.{sid}"] = float(len(grp))
            f[f"segment_value.{sid}"] = _total(grp["monetary"])
        for sid in segment_ids:
            if f"segment_share.{sid}" not in f:
                f[f"segment_share.{sid}"] = f[f"segment_size.{sid}"] = f[f"segment_value.{sid}"] = 0.0
                f[f"n.segment_share.{sid}"] = float(n)
        f["segment_size.all"] = float(n)
        f["segment_value.all"] = _total(segments["monetary"])
        if previous_segments is not None and len(previous_segments):
            prev = previous_segments["segment_id"].value_counts(normalize=True)
            now = segments["segment_id"].value_counts(normalize=True)
            n_prev = len(previous_segments)
            # each segment once, in a fixed order (a set's order of texts changes from run to run)
            for sid in dict.fromkeys([*segment_ids, *now.index, *prev.index]):
                p1, p0 = float(now.get(sid, 0.0)), float(prev.get(sid, 0.0))
                f[f"segment_trend.{sid}"] = p1 - p0
                # two shares of (mostly) the same customers: the independent-samples SE, conservative
                f[f"se.segment_trend.{sid}"] = float(np.sqrt(p1 * (1 - p1) / n + p0 * (1 - p0) / n_prev))
    # each customer's spend by id, built once for the quadrant, high-risk and complainant sums
    # (each built it again: a hash of a million text ids each time)
    mon = None
    if segments is not None and "customer_id" in segments:
        mon = pd.Series(segments["monetary"].array, index=pd.Index(segments["customer_id"]),
                        name="monetary")
    if quadrant is not None:
        q = quadrant.dropna()
        counts = q.value_counts()
        for k in [*counts.index, *(k for k in quadrant_ids if k not in counts.index)]:
            c = int(counts.get(k, 0))
            f[f"quadrant_share.{k}"] = c / len(q) if len(q) else 0.0
            f[f"n.quadrant_share.{k}"] = float(len(q))
            f[f"segment_size.{k}"] = float(c)
            if mon is not None:
                f[f"segment_value.{k}"] = _total(mon.reindex(q.index[q == k]))
    if (churn_probability is not None and len(churn_probability)) or (churn_tier is not None and len(churn_tier)):
        if churn_probability is not None and len(churn_probability):
            f["churn.base_rate"] = float(churn_probability.mean()) if base_rate is None else float(base_rate)
        if churn_tier is not None and len(churn_tier):
            high = churn_tier == "high"
        else:
            assert churn_probability is not None
            high = high_risk(churn_probability, f["churn.base_rate"])
        f["churn.high_risk_share"] = float(high.mean())
        f["n.churn.high_risk_share"] = float(len(high))
        if churn_probability is not None and high.any() and churn_probability.mean() > 0:
            p = churn_probability.reindex(high.index)
            f["churn.high_risk_lift"] = float(p[high].mean() / p.mean())
        f["segment_size.high_risk"] = float(high.sum())
        if mon is not None:
            f["segment_value.high_risk"] = _total(mon.reindex(high.index[high]))
    if complaints is not None and len(complaints):
        t = complaints.set_index(["dimension", "level"])
        if ("all", "all") in t.index:
            f["complaint.repurchase_rate"] = float(t.loc[("all", "all"), "repurchase_rate"])
            f["n.complaint.repurchase_rate"] = float(t.loc[("all", "all"), "complaints"])
        if ("speed", "quick") in t.index and ("all", "all") in t.index:
            total = t.loc[("all", "all"), "complaints"]
            if total:
                f["complaint.quick_resolution_rate"] = float(t.loc[("speed", "quick"), "complaints"] / total)
                f["n.complaint.quick_resolution_rate"] = float(total)
    if complainants is not None:
        who = pd.Index(pd.unique(pd.Series(list(complainants), dtype="string").dropna()))
        f["segment_size.complainants"] = float(len(who))
        if mon is not None:
            f["segment_value.complainants"] = _total(mon.reindex(who))
    for k, v in (metrics or {}).items():
        if targets and k in targets:
            f[f"gap.{k}"] = float(v) - float(targets[k])
            n_k = (metric_n or {}).get(k)
            if n_k and 0.0 <= float(v) <= 1.0:  # a rate: binomial SE of the actual value
                f[f"se.gap.{k}"] = float(np.sqrt(float(v) * (1 - float(v)) / n_k))
    if competitors is not None and len(competitors):
        f.update(_competitor_facts(competitors))
    if drivers is not None and len(drivers) and "relative_weight_pct" in drivers:
        for d, w in zip(drivers["driver"], drivers["relative_weight_pct"], strict=True):
            f[f"driver_share.{str(d).removeprefix('dim_')}"] = float(w) / 100.0
    for k, v in (driver_gaps or {}).items():
        f[f"driver_gap.{k}"] = 1.0 if v else 0.0
    return {k: v for k, v in f.items() if v == v}


def _total(values: pd.Series) -> float:
    """Sum of the non-missing values, correctly rounded whatever their order (math.fsum), so the
    facts do not depend on the order the engine returned the customers in."""
    return float(math.fsum(values.dropna().to_numpy(dtype=float)))


def _competitor_facts(table: pd.DataFrame) -> dict[str, float]:
    """``competitor_gap.<dimension>``: our mean rating minus the best competitor's (negative =
    we trail), with ``se.`` from the paired t test's p-value and ``n.`` respondents.

    The competitor we trail by the most is the one named in ``trailing(table)``.
    """
    out: dict[str, float] = {}
    for dim, part in table[table.dimension != "nps"].groupby("dimension"):
        row = part.loc[part.gap.idxmin()]
        gap, p, n = float(row.gap), float(row.t_p), float(row.n)
        out[f"competitor_gap.{dim}"] = gap
        if n > 1 and 0 < p < 1:
            tstat = float(stats.t.isf(p / 2, n - 1))
            out[f"se.competitor_gap.{dim}"] = abs(gap) / tstat if tstat > 0 else float("inf")
    return out


def trailing(table: pd.DataFrame | None) -> dict[str, str]:
    """Dimension -> the competitor with the largest lead over us there (when one leads)."""
    if table is None or not len(table):
        return {}
    out = {}
    for dim, part in table[table.dimension != "nps"].groupby("dimension"):
        row = part.loc[part.gap.idxmin()]
        if float(row.gap) < 0:
            out[str(dim)] = str(row.competitor)
    return out
