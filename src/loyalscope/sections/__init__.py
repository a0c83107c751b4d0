"""Report sections: each module turns a Dataset (and earlier sections' results) into a Section.

A section module defines ``SECTION_ID`` and ``build(ds, ctx) -> Section``. ``ORDER`` is the
report order (the documents' outline: data and method, results, strategies, limitations).
Modules not yet present are skipped, so areas land independently.
"""

from __future__ import annotations

ORDER: tuple[str, ...] = (
    "data",
    "behaviour",
    "retention",
    "value",
    "contracts",
    "satisfaction",
    "survey_model",
    "service",
    "engagement",
    "segments",
    "loyalty_index",
    "churn",
    "strategy",
    "limitations",
    "monitoring",
)
