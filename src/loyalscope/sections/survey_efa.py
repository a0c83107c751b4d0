"""Exploratory factor analysis of survey items outside the satisfaction model's blocks.

Added to the satisfaction section (one call from :func:`loyalscope.sections.satisfaction.build`)
when the surveys hold at least :data:`MIN_ITEMS` rating items that no model block uses: the
``dim_*`` dimension ratings and any ``q_*`` item the ECSI / ACSI model does not take. Factors by
Kaiser's criterion (eigenvalues > 1), minres extraction, varimax rotation, with KMO and
Bartlett's test (:mod:`loyalscope.models.survey.factor_analysis`). Respondents with a missing
item are left out (the count is in the note).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalscope.errors import LoyalscopeError
from loyalscope.metrics._base import in_fixed_order
from loyalscope.models.survey.factor_analysis import FactorAnalysis, kmo_label, suggest_factors
from loyalscope.results import Section, Table, Text
from loyalscope.sections.survey_model import choose_model, find_items

MIN_ITEMS = 3
MIN_PER_ITEM = 5
"""At least this many complete answers per item (and 50 in all)."""
K = "survey.efa."


def items_outside_model(columns: list[str], preferred: str | None = None) -> list[str]:
    """``dim_*`` columns and the ``q_*`` items not in the ECSI / ACSI model's blocks."""
    found = find_items(columns)
    try:
        _, blocks = choose_model(found, preferred)
        used = {c for cols in blocks.values() for c in cols}
    except LoyalscopeError:
        used = set()
    q_items = [c for cols in found.values() for c in cols if c not in used]
    other_q = [c for c in columns if c.startswith("q_") and c not in used and c not in q_items]
    return [c for c in columns if c.startswith("dim_")] + q_items + other_q


def add_efa(section: Section, surveys: Any, ctx: Any) -> None:
    """Add the EFA of the items outside the model to ``section`` (nothing when there are too few)."""
    items = items_outside_model(list(surveys.columns), ctx.config.survey.model)
    if len(items) < MIN_ITEMS:
        return
    answers = in_fixed_order(surveys, items).execute().apply(pd.to_numeric, errors="coerce")
    answers = answers.loc[:, answers.nunique() > 1]
    complete = answers.dropna()
    if answers.shape[1] < MIN_ITEMS or len(complete) < max(50, MIN_PER_ITEM * answers.shape[1]):
        return
    x = complete.to_numpy(float)
    k = suggest_factors(np.corrcoef(x, rowvar=False))
    try:
        fa = FactorAnalysis(k).fit(x, names=list(answers.columns))
    except (LoyalscopeError, np.linalg.LinAlgError):
        return
    table = fa.summary()
    chi2, df, p = fa.bartlett_
    section.add(Text(K + "section_note", {"items": answers.shape[1], "n": fa.n_, "kmo": f"{fa.kmo_:.2f}",
                                          "label": K + "kmo." + kmo_label(fa.kmo_), "chi2": f"{chi2:,.1f}",
                                          "df": df, "p": f"{p:.2g}"}, style="note"),
                Table(K + "section_title", table,
                      columns={"item": K + "col_item", "communality": K + "col_communality", "kmo": K + "col_kmo",
                               "uniqueness": K + "col_uniqueness"}))
    if fa.kmo_ < 0.6:
        section.add(Text(K + "section_weak", style="warning"))
    section.data["efa"] = {"items": list(answers.columns), "n": fa.n_, "factors": k, "kmo": fa.kmo_,
                           "bartlett": {"chi2": chi2, "df": df, "p": p}, "loadings": table.to_dict("records")}
