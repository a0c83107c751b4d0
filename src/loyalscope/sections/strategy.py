"""Report section "Strategy recommendations": rules fired by the diagnoses of earlier sections."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.i18n import has_key
from loyalscope.metrics.window import inactivity_days
from loyalscope.results import Section, Table, Text
from loyalscope.sections.context import SectionContext
from loyalscope.segments.quadrant import QUADRANTS
from loyalscope.segments.rfm import rfm_segments
from loyalscope.strategy.engine import recommend
from loyalscope.strategy.facts import diagnosis_facts

SECTION_ID = "strategy"
K = "segments.report.strategy."


def build(ds: Dataset, ctx: SectionContext) -> Section:
    seg = ctx.results.get("rfm")
    prev = None
    if seg is not None and "rfm_scheme" in ctx.results:
        earlier = ds.analysis_date - timedelta(days=inactivity_days(ds))
        try:
            prev = rfm_segments(ds, ctx.results["rfm_scheme"], earlier)
        except (KeyError, ValueError):
            prev = None
    churn = ctx.results.get("churn")
    scheme = ctx.results.get("rfm_scheme")
    facts = diagnosis_facts(
        segments=seg, previous_segments=prev, quadrant=ctx.results.get("quadrant"),
        churn_tier=churn.scores["churn_tier"] if churn is not None else None,
        churn_probability=churn.scores["churn_probability"] if churn is not None else None,
        complaints=ctx.results.get("complaint_repurchase"),
        metrics=ctx.results.get("metric_values"), targets=ctx.results.get("metric_targets") or ctx.config.analysis.targets,
        driver_gaps=ctx.results.get("driver_gaps"),
        segment_ids=[s.id for s in scheme.segments] if seg is not None and scheme is not None else (),
        quadrant_ids=QUADRANTS, complainants=_complainants(ds),
    )
    recs = recommend(facts)
    section = Section(SECTION_ID)
    if not recs:
        section.add(Text(K + "none"))
    else:
        frame = pd.DataFrame({
            "strategy": [K + "kind." + r.strategy for r in recs],
            "recommendation": ["strategy.rule." + r.rule for r in recs],
            "target": [_target_key(r.target) for r in recs],
            "customers": [r.size for r in recs],
            "value_at_stake": [r.value_at_stake for r in recs],
            "evidence": ["; ".join(f"{e['fact']} = {e['actual']:.3g} {e['op']} {e['threshold']:g}" for e in r.evidence)
                         for r in recs],
        })
        section.add(Table(K + "table", frame, {c: K + "col." + c for c in frame.columns},
                          translate_values=("strategy", "recommendation", "target"), note=K + "note"))
    section.data = {"facts": facts, "recommendations": [r.to_dict() for r in recs]}
    return section


def _complainants(ds: Dataset) -> list[str] | None:
    """Customers with a complaint opened before the analysis date (None without complaints)."""
    if not ds.has("complaints"):
        return None
    cp = ds.table("complaints", "customer_id", "opened_ts")
    cut = datetime.combine(ds.analysis_date, datetime.min.time())
    ids = cp.filter(cp.opened_ts < cut).select("customer_id").distinct().to_pandas()
    return sorted(ids.customer_id.astype(str))


def _target_key(target: str) -> str:
    """i18n key of a rule's target: an RFM segment, a quadrant, or a group named by the rules."""
    if target in QUADRANTS:
        return f"segments.report.quadrant.{target}"
    if has_key(f"segments.name.{target}"):
        return f"segments.name.{target}"
    return f"segments.report.strategy.target.{target}"
