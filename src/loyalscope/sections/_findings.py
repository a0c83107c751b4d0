"""Candidate findings for the executive summary, and the rules that rank them.

Every candidate quotes one number with its comparison (previous period, the same period last
year, the target, a competitor, the base rate or an even split), the change, how far the number
is from normal (``z``: the change in standard errors) and the money at stake (currency over the
CLV horizon, or None when the finding has no money on it).

Ranking rules (:func:`select`)
------------------------------
1. A candidate is eligible only if it is distinguishable from normal, ``|z| >= 1.96`` (a
   two-sided 5% test), and every number it quotes passed the trust guards (:func:`quotable`:
   finite, no warning flag, sample size >= ``MIN_N``, a full period).
2. Eligible candidates are ranked by ``money x min(|z|, 6) / 1.96`` (money weighted by the
   strength of the evidence, capped so that a huge sample cannot outweigh money), then, for
   candidates without money, by ``|z|``.
3. One finding per subject (a metric's change against the previous period and against last year
   is one subject: the stronger comparison is kept); 3 to 5 findings are shown.

Two-proportion z (Newcombe 1998 for the pooled form)::

    z = (p1 - p0) / sqrt(p (1 - p) (1/n1 + 1/n0)),  p = (x1 + x0) / (n1 + n0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.metrics import REGISTRY
from loyalscope.results import Number, Phrase, Section

MIN_N = 30
"""Smallest denominator a quoted rate may have."""
Z_NORMAL = 1.96
Z_CAP = 6.0
MAX_FINDINGS = 5

LOWER_IS_BETTER = frozenset({
    "churn_rate", "complaint_rate", "complaints_per_1000_orders", "return_rate", "return_amount_rate",
    "resolution_time", "resolution_time_p90", "interpurchase_interval", "interpurchase_interval_median",
    "silent_dissatisfied",
})
ORDER_BASED = frozenset({"return_rate", "complaints_per_1000_orders"})
AMOUNT_BASED = frozenset({"return_amount_rate"})
SERIES = {"behaviour_series": "behaviour", "retention_series": "retention",
          "service_series": "service", "engagement_series": "engagement"}
"""Context results holding metric time series -> the section that shows them (the evidence)."""


@dataclass
class Finding:
    """One candidate finding; ``key`` / ``kw`` are its sentence in the catalogue."""

    id: str
    subject: str
    section: str
    key: str
    kw: dict[str, Any]
    value: float
    unit: str
    comparison: str
    reference: float | None
    change: float | None
    z: float
    money: float | None
    n: float | None
    good: bool | None = None
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def priority(self) -> tuple[float, float]:
        weight = min(abs(self.z), Z_CAP) / Z_NORMAL
        return ((self.money or 0.0) * weight, abs(self.z))

    def record(self) -> dict[str, Any]:
        """Machine-readable form for ``analysis.json`` (ids, numbers, no sentences)."""
        return {"id": self.id, "subject": self.subject, "section": self.section, "value": self.value,
                "unit": self.unit, "comparison": self.comparison, "reference": self.reference,
                "change": self.change, "z": self.z, "money": self.money, "n": self.n, "good": self.good,
                "priority": self.priority[0], **self.numbers}


def quotable(number: Number | None) -> bool:
    """The trust guards: a number the summary may quote.

    Finite, not flagged as a warning, with a sample size (``n`` or its denominator) of at least
    :data:`MIN_N`, and free of the trust flags ``results.Number`` may carry (small sample,
    partial period, weak fit).
    """
    if number is None or number.value is None or not math.isfinite(float(number.value)) or number.warn:
        return False
    if getattr(number, "flags", None):
        return False
    n = getattr(number, "n", None) or number.denominator
    return n is None or n >= MIN_N


def two_proportion_z(x1: float, n1: float, x0: float, n0: float) -> float:
    """Pooled two-proportion z statistic (0 when undefined)."""
    if n1 <= 0 or n0 <= 0:
        return 0.0
    p = (x1 + x0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    return 0.0 if se == 0 else (x1 / n1 - x0 / n0) / se


def period_label(p: Any, grain: str) -> str:
    from loyalscope.report.format import fmt_period

    return fmt_period(p, grain)


def metric_changes(ctx_results: dict[str, Any], grain: str, full_periods: dict[str, Any],
                   value_per_customer: float, order_value: float) -> list[Finding]:
    """Latest full period of each rate metric against the previous period and a year earlier."""
    out: list[Finding] = []
    lag_year = {"month": 12, "quarter": 4, "week": 52, "day": 365, "year": 1}.get(grain, 12)
    for result_key, section_id in SERIES.items():
        for mid, df in (ctx_results.get(result_key) or {}).items():
            m = REGISTRY.get(mid)
            if m is None or m.breakdown or not m.percent or df.empty or mid not in full_periods:
                continue
            s = df.dropna(subset=["value"]).sort_values("period").reset_index(drop=True)
            hit = s.index[s.period == full_periods[mid]]
            if not len(hit):
                continue
            i = int(hit[0])
            now = s.loc[i]
            for comparison, lag in (("previous_period", 1), ("last_year", lag_year)):
                if i - lag < 0:
                    continue
                before = s.loc[i - lag]
                if min(now.denominator, before.denominator) < MIN_N:
                    continue
                z = two_proportion_z(now.numerator, now.denominator, before.numerator, before.denominator)
                change = float(now.value - before.value)
                good = (change < 0) if mid in LOWER_IS_BETTER else (change > 0)
                base = order_value if mid in ORDER_BASED else 1.0 if mid in AMOUNT_BASED else value_per_customer
                money = abs(change) * float(now.denominator) * base if not good else None
                out.append(Finding(
                    id=f"{mid}.{comparison}", subject=mid, section=section_id,
                    key="summary.finding.change",
                    kw={"metric": f"metrics.{mid}.name", "value": _pct(now.value),
                        "period": period_label(now.period, grain),
                        "direction": Phrase("summary.up" if change > 0 else "summary.down",
                                            {"pp": f"{abs(change) * 100:.1f}"}),
                        "comparison": Phrase(f"summary.comparison.{comparison}",
                                             {"period": period_label(before.period, grain)}),
                        "before": _pct(before.value), "n": f"{int(now.denominator):,}",
                        "z": f"{abs(z):.1f}",
                        "judgement": "summary.better" if good else "summary.worse"},
                    value=float(now.value), unit="percent", comparison=comparison,
                    reference=float(before.value), change=change, z=z, money=money,
                    n=float(now.denominator), good=good,
                    numbers={"metric": mid, "period": str(now.period), "reference_period": str(before.period),
                             "numerator": float(now.numerator), "denominator": float(now.denominator),
                             "reference_numerator": float(before.numerator),
                             "reference_denominator": float(before.denominator)}))
    return out


def competitor_gaps(table: pd.DataFrame | None, stakes: dict[str, float]) -> list[Finding]:
    """Dimensions where the leading competitor is rated above us by the same respondents."""
    out: list[Finding] = []
    if table is None or not len(table):
        return out
    for dim, part in table[table.dimension != "nps"].groupby("dimension"):
        row = part.loc[part.gap.idxmin()]
        gap, p, n = float(row.gap), float(row.t_p), float(row.n)
        if gap >= 0 or n < MIN_N or not (0 <= p <= 1) or bool(row.get("small_sample", False)):
            continue
        z = -float(stats.norm.isf(max(p, 1e-300) / 2))
        out.append(Finding(
            id=f"competitor_gap.{dim}", subject=f"competitor_gap.{dim}", section="satisfaction",
            key="summary.finding.competitor",
            kw={"dimension": f"report.dimension.{dim}", "competitor": str(row.competitor),
                "gap": f"{abs(gap):.2f}", "ours": f"{float(row.ours):.2f}", "theirs": f"{float(row.theirs):.2f}",
                "n": f"{int(n):,}", "p": _p(p)},
            value=float(row.ours), unit="score", comparison="competitor", reference=float(row.theirs),
            change=gap, z=z, money=stakes.get(f"trail.{dim}"), n=n, good=False,
            numbers={"competitor": str(row.competitor), "dimension": str(dim), "p_value": p}))
    return out


def driver_concentration(table: pd.DataFrame | None, r2: float | None = None) -> list[Finding]:
    """A dimension that carries far more than an even share of explained loyalty."""
    if table is None or not len(table) or "relative_weight_pct" not in table:
        return []
    k = len(table)
    row = table.loc[table.relative_weight_pct.idxmax()]
    share = float(row.relative_weight_pct) / 100
    p = float(row.get("pearson_p_holm", 1.0))
    if share < 2 / k or not (0 <= p < 0.05):
        return []
    dim = str(row.driver).removeprefix("dim_")
    z = float(stats.norm.isf(max(p, 1e-300) / 2))
    return [Finding(
        id=f"driver_share.{dim}", subject=f"driver_share.{dim}", section="satisfaction",
        key="summary.finding.driver",
        kw={"dimension": f"report.dimension.{dim}", "share": _pct(share), "even": _pct(1 / k), "k": k},
        value=share, unit="percent", comparison="even_split", reference=1 / k, change=share - 1 / k,
        z=z, money=None, n=None, good=None, numbers={"dimension": dim, "p_value": p})]


def recommendations(recs: list[dict[str, Any]], horizon: dict[str, Any]) -> list[Finding]:
    """Ranked recommendations with money on them (the strategy section's top actions)."""
    from loyalscope.sections.strategy import evidence_phrase, target_phrase

    out: list[Finding] = []
    for r in recs:
        if not r.get("customers") or not r.get("value_at_stake"):
            continue
        z = min((_margin_z(e) for e in r["evidence"]), default=0.0)
        target = str(r["target"])
        # an action on a competitor gap or a driver is the same subject as that finding
        subject = (f"competitor_gap.{target[6:]}" if target.startswith("trail.") else
                   f"driver_share.{target[4:]}" if target.startswith("low.") else f"strategy.{target}")
        out.append(Finding(
            id=f"strategy.{r['rule']}", subject=subject, section="strategy",
            key="summary.finding.action" if r.get("basis") == "excess_churn" else "summary.finding.action_spend",
            kw={"target": target_phrase(r["target"]), "customers": f"{int(r['customers']):,}",
                "value": f"{r['value_at_stake']:,.0f}", **horizon, "action": f"strategy.rule.{r['rule']}",
                "evidence": [evidence_phrase(e) for e in r["evidence"]]},
            value=float(r["value_at_stake"]), unit="currency", comparison="base_rate", reference=None,
            change=None, z=z, money=float(r["value_at_stake"]), n=float(r["customers"]), good=False,
            numbers={"rule": r["rule"], "customers": r["customers"], "rank": r["rank"]}))
    return out


def _margin_z(e: dict[str, Any]) -> float:
    """How many standard errors a fired condition lies beyond its threshold (6 when exact)."""
    actual, thr, bound = float(e["actual"]), float(e["threshold"]), e.get("bound")
    if bound is None or bound == actual:
        return Z_CAP
    se = abs(actual - float(bound)) / 1.6448536269514722
    return Z_CAP if se == 0 else abs(actual - thr) / se


def select(candidates: list[Finding], quoted: Mapping[str, Number | None] | None = None) -> list[Finding]:
    """The 3-5 findings that matter most (module docstring: eligibility, ranking, one per subject)."""
    quoted = quoted or {}
    eligible = [f for f in candidates
                if abs(f.z) >= Z_NORMAL and np.isfinite(f.value) and
                (f.subject not in quoted or quotable(quoted[f.subject]))]
    eligible.sort(key=lambda f: f.priority, reverse=True)
    out: list[Finding] = []
    seen: set[str] = set()
    for f in eligible:
        if f.subject in seen:
            continue
        seen.add(f.subject)
        out.append(f)
        if len(out) == MAX_FINDINGS:
            break
    return out


def headline_numbers(sections: dict[str, Section]) -> dict[str, Number]:
    """The Number block of each metric id shown by the sections (for the trust guards)."""
    out: dict[str, Number] = {}
    for s in sections.values():
        for b in s.blocks:
            if isinstance(b, Number) and b.metric_id:
                # the last full period's number (not the whole-window one) is what a change quotes
                if b.metric_id not in out or _names_metric(b):
                    out[b.metric_id] = b
    return out


def _names_metric(b: Number) -> bool:
    """Whether ``b`` is labelled with its metric's own name (``metrics.<id>.name``, or a variant
    that fits the data, ``metrics.<id>.<variant>.name``: :func:`loyalscope.metrics.wording`)."""
    return bool(b.metric_id) and b.label.startswith(f"metrics.{b.metric_id}.") and b.label.endswith(".name")


def _pct(v: float) -> str:
    return f"{float(v) * 100:.1f}%"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"
