"""Section "Service, complaints and returns" (服务、投诉与退换货)."""

from __future__ import annotations

from loyalscope.data.dataset import Dataset
from loyalscope.results import Section
from loyalscope.sections._metrics import headline, trend_chart
from loyalscope.sections.context import SectionContext

SECTION_ID = "service"
METRICS = [
    "complaint_rate", "complaints_per_1000_orders", "return_rate", "return_amount_rate",
    "complaint_resolution_rate", "resolution_time", "resolution_time_p90",
    "post_complaint_repurchase", "silent_dissatisfied",
]


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    series = headline(ds, ctx, section, METRICS)
    chart = trend_chart(series, ["complaint_rate", "return_rate", "complaint_resolution_rate"], ctx.results.get("data_window"),
                        ctx.config.analysis.period)
    if chart is not None:
        section.add(chart)
    ctx.results["service_series"] = series
    return section
