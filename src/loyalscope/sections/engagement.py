"""Section "Engagement" (互动与参与): interactions, events, feedback channels, points, referrals."""

from __future__ import annotations

from loyalscope.data.dataset import Dataset
from loyalscope.results import Chart, Section
from loyalscope.sections._metrics import headline
from loyalscope.sections.context import SectionContext

SECTION_ID = "engagement"
METRICS = [
    "interaction_frequency", "participation_rate", "feedback_channel_utilisation",
    "program_redemption_rate", "referral_rate", "referral_conversion_rate", "switching_rate",
]


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    series = headline(ds, ctx, section, METRICS)
    fb = series.get("feedback_channel_utilisation")
    if fb is not None and not fb.empty:
        by_channel = fb.groupby("channel", as_index=False)[["numerator", "denominator"]].sum()
        by_channel["value"] = by_channel.numerator / by_channel.denominator
        section.add(Chart(
            kind="bar", title="metrics.feedback_channel_utilisation.name", frame=by_channel,
            x="channel", y="value", options={"percent_y": True},
            labels={"value": "metrics.section.value"},
        ))
    ctx.results["engagement_series"] = series
    return section
