"""Report section "Strategies" (提升策略): rules fired by the diagnoses of earlier sections,
each with its target customers, their value at stake over the CLV horizon and the evidence,
ranked by value at stake with no customer targeted twice (:mod:`loyalscope.strategy.value`).

The target lists go into the scored-customer table (``target_of``, ``target_rank``,
``value_at_stake``), from which the workbook and ``targets/*.csv`` export them for a CRM import.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.i18n import has_key
from loyalscope.metrics.window import inactivity_days
from loyalscope.results import Chart, Number, Phrase, Section, Table, Text
from loyalscope.sections.context import SectionContext
from loyalscope.segments.quadrant import QUADRANTS
from loyalscope.segments.rfm import from_member_totals, rfm_segments
from loyalscope.strategy.engine import Recommendation, recommend
from loyalscope.strategy.facts import diagnosis_facts, trailing
from loyalscope.strategy.targets import members
from loyalscope.strategy.value import StakeInputs, rank

SECTION_ID = "strategy"
NEEDS = ("segments", "value", "churn", "satisfaction", "service")
# The last section of a run to read these per-customer results: the analysis drops them after it
# (the segments, earlier segments, quadrants and churn scores: ~0.3 KB per customer held to the end)
LAST_READER_OF_RESULTS = ("rfm", "rfm_previous", "quadrant", "churn")
K = "strategy.section."


def build(ds: Dataset, ctx: SectionContext) -> Section:
    seg = ctx.results.get("rfm")
    scheme = ctx.results.get("rfm_scheme")
    prev = None
    if seg is not None and scheme is not None and not from_member_totals(ds):  # a list: now only
        earlier = ds.analysis_date - timedelta(days=inactivity_days(ds))
        prev = (ctx.results.get("rfm_previous") or {}).get(earlier)  # the segments section's, same date
        if prev is None:
            try:
                prev = rfm_segments(ds, scheme, earlier)
            except (KeyError, ValueError):
                prev = None
    churn = ctx.results.get("churn")
    p = churn.scores["churn_probability"] if churn is not None else None
    tier = churn.scores["churn_tier"] if churn is not None and "churn_tier" in churn.scores else None
    if p is not None:
        p = p.set_axis(p.index.astype(str))
    if tier is not None:
        tier = tier.set_axis(tier.index.astype(str))
    base_rate = getattr(churn, "base_rate", None) if churn is not None else None
    complainants = _complainants(ds)
    competitors = ctx.results.get("competitors")
    facts = diagnosis_facts(
        segments=seg, previous_segments=prev, quadrant=ctx.results.get("quadrant"),
        churn_tier=tier, churn_probability=p, complaints=ctx.results.get("complaint_repurchase"),
        metrics=ctx.results.get("metric_values"),
        targets=ctx.results.get("metric_targets") or ctx.config.analysis.targets,
        driver_gaps=ctx.results.get("driver_gaps"),
        segment_ids=[s.id for s in scheme.segments] if seg is not None and scheme is not None else (),
        quadrant_ids=QUADRANTS, complainants=complainants, base_rate=base_rate,
        competitors=competitors, drivers=ctx.results.get("drivers"), metric_n=ctx.results.get("metric_n"),
    )
    recs = recommend(facts)
    section = Section(SECTION_ID)
    if not recs:
        section.add(Text(K + "none"))
        section.data = {"facts": facts, "recommendations": []}
        return section
    inputs = _stake_inputs(ctx, seg, p, tier, facts.get("churn.base_rate"), complainants, competitors,
                           {r.target for r in recs})
    ranked, assigned = rank(recs, inputs)
    h = float(ctx.config.value.horizon)
    horizon = {"horizon": f"{h:g}", "unit": f"report.unit.{ctx.config.value.time_unit}s"}
    if inputs.basis == "excess_churn":
        section.add(Text(K + "method", {**horizon, "base_rate": f"{inputs.base():.1%}"}, style="note"))
    else:
        section.add(Text(K + "method_spend", style="warning"))
    total = sum(r.value_at_stake or 0.0 for r in ranked)
    spend_basis = "" if inputs.basis == "excess_churn" else "_spend"  # no model: past spend, said so
    section.add(
        Number(K + "value_total" + spend_basis, total, "currency", label_kw=horizon,
               denominator=float(len(assigned)), note=K + "value_total_note" + spend_basis),
        Number(K + "customers_targeted", float(len(assigned)), "count",
               denominator=float(n_stake) if (n_stake := len(inputs.stake())) else None),
    )
    section.add(Table(K + "table", _frame(ranked), {c: K + "col." + c for c in _COLUMNS},
                      translate_values=("strategy", "recommendation", "target", "evidence"),
                      units={"customers": "count", "value_at_stake": "currency", "spend": "currency",
                             "eligible": "count"},
                      note=K + "note"))
    shown = [r for r in ranked if r.customers]
    chart = pd.DataFrame({"action": [Phrase(K + "chart_label", {"rank": r.rank, "kind": f"strategy.kind.{r.strategy}"})
                                     for r in shown],
                          "value_at_stake": [r.value_at_stake for r in shown]})
    if len(chart):
        section.add(Chart("hbar", K + "chart", chart, x="action", y="value_at_stake",
                          labels={"action": K + "col.recommendation",
                                  "value_at_stake": K + "col.value_at_stake"},
                          options={"unit_y": "currency", "height": 140 + 36 * len(chart)},
                          translate_values=("action",)))
    for r in ranked[:3]:
        if r.customers:
            section.add(Text(K + "top" + spend_basis, _top_kw(r, horizon), style="finding", link="strategy"))
    _customer_columns(ctx, assigned, inputs, ranked)
    section.data = {"facts": facts, "basis": inputs.basis, "base_rate": inputs.base(),
                    "horizon": ctx.config.value.horizon, "time_unit": ctx.config.value.time_unit,
                    "value_at_stake_total": total, "customers_targeted": len(assigned),
                    "recommendations": [_record(r) for r in ranked]}
    ctx.results["recommendations"] = ranked
    return section


_COLUMNS = ("rank", "strategy", "recommendation", "target", "eligible", "customers", "value_at_stake",
            "spend", "evidence")


def _frame(ranked: list[Recommendation]) -> pd.DataFrame:
    return pd.DataFrame({
        "rank": [r.rank for r in ranked],
        "strategy": [f"strategy.kind.{r.strategy}" for r in ranked],
        "recommendation": [f"strategy.rule.{r.rule}" for r in ranked],
        "target": [target_phrase(r.target) for r in ranked],
        "eligible": [r.size for r in ranked],
        "customers": [r.customers for r in ranked],
        "value_at_stake": [r.value_at_stake for r in ranked],
        "spend": [r.spend for r in ranked],
        "evidence": [[evidence_phrase(e) for e in r.evidence] for r in ranked],
    })


def _top_kw(r: Recommendation, horizon: dict[str, Any]) -> dict[str, Any]:
    return {"rank": r.rank, "action": f"strategy.rule.{r.rule}", "target": target_phrase(r.target),
            "customers": f"{int(r.customers or 0):,}", "value": f"{r.value_at_stake or 0:,.0f}", **horizon,
            "evidence": [evidence_phrase(e) for e in r.evidence]}


def _record(r: Recommendation) -> dict[str, Any]:
    out = r.to_dict()
    out.pop("text", None)  # the sentence is in the catalogue under strategy.rule.<rule>
    return out


def _stake_inputs(ctx: SectionContext, seg: pd.DataFrame | None, p: pd.Series | None, tier: pd.Series | None,
                  base: float | None,
                  complainants: list[str] | None, competitors: pd.DataFrame | None,
                  targets: set[str]) -> StakeInputs:
    cu = ctx.customers
    clv = None
    if cu is not None and "clv" in cu.columns:
        c = cu[[col for col in ("customer_id", "clv", "p_alive") if col in cu.columns]]
        c = c.set_index(c.customer_id.astype(str))  # the columns used, not a copy of the whole table
        clv = c["clv"].astype(float)
        if "p_alive" in c.columns:  # the value a churn takes away: CLV given the customer stays
            clv = clv / c["p_alive"].astype(float).clip(lower=1e-3)
    spend = (pd.Series(seg["monetary"].to_numpy(), index=seg.customer_id.astype(str), name="monetary").astype(float)
             if seg is not None else None)
    groups = members(targets, rfm=seg, quadrant=ctx.results.get("quadrant"), churn=p, tier=tier, base_rate=base,
                     complainants=complainants, answers=ctx.results.get("survey_answers"),
                     trailing=trailing(competitors), scale_max=float(ctx.config.survey.rating_scale_max))
    return StakeInputs(clv=clv, churn_probability=p if clv is not None else None, base_rate=base,
                       spend=spend, members=groups)


def _customer_columns(ctx: SectionContext, assigned: pd.Series, inputs: StakeInputs,
                      ranked: list[Recommendation]) -> None:
    if ctx.customers is None or not len(assigned):
        return
    rank_of = {r.rule: r.rank for r in ranked}
    frame = pd.DataFrame({"customer_id": assigned.index.astype(str),
                          "target_of": assigned.astype(str).to_numpy().astype(object)})
    frame["target_rank"] = frame.target_of.map(rank_of).astype(float)  # NaN: not targeted
    frame["value_at_stake"] = inputs.stake().reindex(frame.customer_id).fillna(0.0).to_numpy()
    ctx.add_customer_columns(frame)


def target_phrase(target: str) -> Phrase:
    """The target group as a translatable phrase (an RFM segment, a quadrant, raters ...)."""
    if target in QUADRANTS:
        return Phrase(f"segments.report.quadrant.{target}")
    if has_key(f"segments.name.{target}"):
        return Phrase(f"segments.name.{target}")
    if target.startswith(("low.", "trail.")):
        kind, dim = target.split(".", 1)
        return Phrase(f"strategy.target.{kind}", {"dimension": dimension_key(dim)})
    return Phrase(f"strategy.target.{target}")


def dimension_key(dim: str) -> str:
    """Catalogue key of a survey dimension (``dim_quality`` / ``quality``)."""
    d = dim.removeprefix("dim_")
    return f"report.dimension.{d}" if has_key(f"report.dimension.{d}") else d


def fact_phrase(fact: str) -> Phrase:
    """A diagnosis fact as a translatable phrase: ``segment_share.cant_lose`` -> "share of
    customers in Can't Lose Them"."""
    kind, _, arg = fact.partition(".")
    if kind in ("segment_share", "segment_trend", "segment_size", "segment_value"):
        return Phrase(f"strategy.fact.{kind}", {"segment": target_phrase(arg)})
    if kind == "quadrant_share":
        return Phrase("strategy.fact.quadrant_share", {"quadrant": f"segments.report.quadrant.{arg}"})
    if kind == "gap":
        return Phrase("strategy.fact.gap", {"metric": f"metrics.{arg}.name"})
    if kind in ("driver_gap", "driver_share", "competitor_gap"):
        return Phrase(f"strategy.fact.{kind}", {"dimension": dimension_key(arg)})
    return Phrase(f"strategy.fact.{fact.replace('.', '_')}")


def _shown(fact: str, value: float) -> str:
    kind = fact.partition(".")[0]
    if kind in ("segment_share", "quadrant_share", "driver_share") or fact in (
            "churn.high_risk_share", "complaint.repurchase_rate", "complaint.quick_resolution_rate"):
        return f"{value:.1%}"
    if kind == "segment_trend":
        return f"{value * 100:+.1f} pp"
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def evidence_phrase(e: dict[str, Any]) -> Phrase:
    """One condition that fired: "share of X 27.6% >= 25% (95% bound 24.1%, n = 434)"."""
    fact = str(e["fact"])
    kw: dict[str, Any] = {"fact": fact_phrase(fact), "op": _OPS.get(str(e["op"]), str(e["op"])),
                          "actual": _shown(fact, float(e["actual"])),
                          "threshold": _shown(fact, float(e["threshold"]))}
    if "bound" not in e:
        return Phrase("strategy.evidence", kw)
    kw["bound"] = _shown(fact, float(e["bound"]))
    if "n" in e:
        kw["n"] = f"{int(e['n']):,}"
        return Phrase("strategy.evidence_n", kw)
    return Phrase("strategy.evidence_margin", kw)


_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}


def _complainants(ds: Dataset) -> list[str] | None:
    """Customers with a complaint opened before the analysis date (None without complaints)."""
    if not ds.has("complaints"):
        return None
    cp = ds.table("complaints", "customer_id", "opened_ts")
    cut = datetime.combine(ds.analysis_date, datetime.min.time())
    ids = cp.filter(cp.opened_ts < cut).select("customer_id").distinct().to_pandas()
    return sorted(ids.customer_id.astype(str))

