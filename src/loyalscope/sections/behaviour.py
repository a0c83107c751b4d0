"""Section "Purchase behaviour" (购买行为): behavioural loyalty metrics and the channel mix."""

from __future__ import annotations

from loyalscope.data.dataset import Dataset
from loyalscope.results import Chart, Section
from loyalscope.sections._metrics import headline, trend_chart
from loyalscope.sections.context import SectionContext

SECTION_ID = "behaviour"
METRICS = [
    "purchase_frequency", "purchase_amount", "order_value", "repeat_purchase_rate",
    "repurchase_rate", "interpurchase_interval", "interpurchase_interval_median",
    "relationship_duration", "frequency_trend", "share_of_wallet", "cross_selling",
    "pareto_share", "channel_mix",
]


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    series = headline(ds, ctx, section, METRICS)
    chart = trend_chart(series, ["repeat_purchase_rate", "repurchase_rate", "pareto_share"], ctx.results.get("data_window"),
                        ctx.config.analysis.period)
    if chart is not None:
        section.add(chart)
    mix = series.get("channel_mix")
    if mix is not None and not mix.empty:
        section.add(Chart(
            kind="bar", title="metrics.section.channel_chart",
            frame=mix[["period", "channel", "value"]], x="period", y="value", color="channel",
            options={"barmode": "stack", "percent_y": True},
            labels={"period": "metrics.section.period", "value": "metrics.section.value"},
        ))
    ctx.results["behaviour_series"] = series
    return section
