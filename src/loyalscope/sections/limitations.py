"""Last section: limitations and next steps, from what the run could and could not do."""

from __future__ import annotations

from loyalscope.data.dataset import Dataset
from loyalscope.results import Section, Text
from loyalscope.sections import ORDER
from loyalscope.sections.context import SectionContext

SECTION_ID = "limitations"
NEEDS = ("*",)  # lists what every other section could not do


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    for sid in ORDER:
        done = ctx.sections.get(sid)
        if done is not None and done.skipped:
            section.add(Text("limits.skipped", {"section": f"report.section.{sid}",
                                                "reason": done.skipped_kw.get("reason", "")}))
    if ds.quality.rows_quarantined:
        section.add(Text("limits.quarantine", {"rows": ds.quality.rows_quarantined}))
    section.add(Text("limits.observational"), Text("limits.survey_sample"), Text("limits.next_steps"))
    return section
