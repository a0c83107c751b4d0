"""Conclusions and recommendations (结论与建议): the findings restated as conclusions, the
ranked actions with their targets and value at stake, and the documents' standing advice
(quality and after-sales, personal relationships, membership, education and care) tied to the
actions that this data supports."""

from __future__ import annotations

from loyalscope.data.dataset import Dataset
from loyalscope.results import Section, Text
from loyalscope.sections.context import SectionContext
from loyalscope.sections.strategy import target_phrase
from loyalscope.sections.summary import horizon_kw

SECTION_ID = "conclusion"
NEEDS = ("*",)
K = "conclusion."
MAX_ACTIONS = 5


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    found = ctx.results.get("findings") or []
    section.add(Text(K + "conclusions"))
    if not found:
        section.add(Text(K + "no_findings", style="note"))
    for i, f in enumerate(found, 1):  # the findings' sentences are numbered ("{i}. ...")
        section.add(Text(f.key, {**f.kw, "i": i}, style="p", link=f.section))
    section.add(Text(K + "recommendations"))
    recs = [r for r in (ctx.results.get("recommendations") or []) if r.customers]
    for r in recs[:MAX_ACTIONS]:
        section.add(Text(K + ("action" if r.basis == "excess_churn" else "action_spend"), {
            "rank": r.rank, "kind": f"strategy.kind.{r.strategy}", "action": f"strategy.rule.{r.rule}",
            "target": target_phrase(r.target), "customers": f"{int(r.customers or 0):,}",
            "value": f"{r.value_at_stake or 0:,.0f}", **horizon_kw(ctx),
            "basis": f"conclusion.basis.{r.basis}"}, style="finding", link="strategy"))
    if not recs:
        section.add(Text(K + "no_actions", style="note"))
    kinds = {r.strategy for r in recs}
    for kind in ("quality", "aftersales", "personalisation", "membership_points", "care_plan"):
        section.add(Text(K + ("standing_supported" if kind in kinds else "standing"),
                         {"kind": f"strategy.kind.{kind}", "advice": f"conclusion.advice.{kind}"}))
    section.add(Text(K + "monitor", style="note"))
    section.data = {"findings": [f.id for f in found], "actions": [r.rule for r in recs[:MAX_ACTIONS]]}
    return section
