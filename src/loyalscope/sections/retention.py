"""Section "Retention and churn" (留存与流失): rates, cohort heatmap, lifecycle, retention curve."""

from __future__ import annotations

from loyalscope.data.dataset import Dataset
from loyalscope.metrics.cohorts import cohort_matrix, lifecycle, survival_curve
from loyalscope.results import Chart, Section
from loyalscope.sections._metrics import headline, trend_chart
from loyalscope.sections.context import SectionContext

SECTION_ID = "retention"
METRICS = [
    "retention_rate_std", "retention_rate_seed", "churn_rate", "join_rate", "renewal_rate",
    "renewal_rate_seed", "clv_simple",
]
MAX_COHORTS = 24


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    grain = ctx.config.analysis.period
    series = headline(ds, ctx, section, METRICS)
    chart = trend_chart(series, ["retention_rate_std", "churn_rate"], ctx.results.get("data_window"),
                        ctx.config.analysis.period)
    if chart is not None:
        section.add(chart)
    cohorts = cohort_matrix(ds, grain)
    recent = sorted(set(cohorts.cohort))[-MAX_COHORTS:]
    heat = cohorts[cohorts.cohort.isin(recent)][
        ["cohort", "k", "cohort_size", "share", "share_or_later", "cum_revenue_per_member"]
    ]
    section.add(Chart(
        kind="heatmap", title="metrics.section.cohort_heatmap", frame=heat, x="k", y="cohort",
        options={"z": "share", "percent_z": True},
        labels={"k": "metrics.cohort.k", "cohort": "metrics.cohort.cohort",
                "share": "metrics.cohort.share"},
    ))
    states = lifecycle(ds, grain)
    states = states.assign(customers=states.customers.where(states.state != "dormant", -states.customers),
                           state="metrics.lifecycle_state." + states.state)
    section.add(Chart(
        kind="bar", title="metrics.section.lifecycle_chart", frame=states, x="period",
        y="customers", color="state", options={"barmode": "relative"},
        translate_values=("state",),
        labels={"period": "metrics.section.period", "customers": "metrics.lifecycle_state.customers"},
    ))
    curve = survival_curve(ds)
    section.add(Chart(
        kind="line", title="metrics.survival_curve.name", frame=curve[["days", "survival"]],
        x="days", y="survival", options={"percent_y": True, "shape": "hv"},
    ))
    section.data["cohorts"] = len(set(cohorts.cohort))
    ctx.results["cohort_matrix"] = cohorts
    ctx.results["retention_series"] = series
    return section
