"""The documents' survey indices in the satisfaction section: satisfaction score, recommendation
index, loyalty index (mean / scale max x 100) and the weighted satisfaction index.

Each is computed over every answer in the data (the whole analysis window), after the answers
are checked against the question's declared scale (:mod:`loyalscope.metrics.scales`); a column
whose answers do not fit its scale is refused with a warning that names the column and the
scale, never shown as 123.7 on a 0-100 scale. Numbers from fewer than ``[survey] min_n``
answers are flagged ``small_sample``.

Weighted satisfaction index (满意度指数, metrics.md ``satisfaction_index``): the dimension ratings
``dim_<d>`` rescaled to 0-100, ``100 (mean_d - low) / (high - low)``, weighted by the customers'
stated importance ``imp_<d>`` (mean importance per dimension, normalised to sum 1) when every
dimension has one; else by the dimensions' relative weights (Johnson) on the loyalty outcome
(``loyalty_score``, ``recommend_intent`` or ``nps``); else equally. The table says which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalscope.errors import DataQualityError, InsufficientDataError
from loyalscope.metrics._base import in_fixed_order
from loyalscope.metrics.scales import check_scale
from loyalscope.models.survey.satisfaction import satisfaction_index
from loyalscope.results import Number, Phrase, Section, Table, Text
from loyalscope.sections._trust import sample_flags

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset
    from loyalscope.sections.context import SectionContext

K = "survey.indices."
#: metric id -> survey column of the documents' mean / max x 100 indices.
MEAN_INDICES = {"satisfaction_score": "csat", "recommend_index_seed": "recommend_intent",
                "loyalty_index_seed": "loyalty_score"}


def refused(section: Section, metric_key: str, exc: DataQualityError) -> None:
    """A warning in place of a number whose input does not fit its scale."""
    section.add(Text(K + "refused", {"metric": metric_key, "reason": Phrase.from_message(exc.message),
                                     "fix": Phrase.from_message(exc.fix or "")},
                     style="warning"))
    section.data.setdefault("refused", {})[metric_key] = {"reason": exc.message, "column": exc.column}


def documents_indices(ds: Dataset, ctx: SectionContext, section: Section) -> None:
    """Add the three mean indices and the weighted satisfaction index (module doc)."""
    columns = set(ds.table("surveys").columns)
    min_n = ctx.config.survey.min_n
    out: dict[str, dict] = {}
    for metric, column in MEAN_INDICES.items():
        if column not in columns:
            continue
        try:
            scale = check_scale(ds, column)
        except DataQualityError as exc:
            refused(section, f"metrics.{metric}.name", exc)
            continue
        s = ds.table("surveys", column)
        agg = s.aggregate(total=s[column].sum(), n=s[column].count()).execute().iloc[0]
        n = int(agg["n"] or 0)
        if n == 0:
            continue
        value = 100.0 * float(agg["total"]) / n / scale.high
        section.add(Number(f"metrics.{metric}.name", value, unit="score", metric_id=metric,
                           numerator=float(agg["total"]) * 100.0 / scale.high, denominator=n, n=n,
                           flags=sample_flags(n, min_n), note=K + "scale_note",
                           note_kw={"column": f"surveys.{column}", "scale": scale.text()}))
        out[metric] = {"value": value, "n": n, "scale": scale.text()}
        ctx.results.setdefault("metric_values", {})[metric] = value
    dims = sorted(c for c in columns if c.startswith("dim_"))
    if dims:
        _weighted(ds, ctx, section, dims, columns, out)
    section.data["documents_indices"] = out


def _weighted(ds: Dataset, ctx: SectionContext, section: Section, dims: list[str], columns: set[str],
              out: dict[str, dict]) -> None:
    try:
        scales = {d: check_scale(ds, d) for d in dims}
    except DataQualityError as exc:
        refused(section, "metrics.satisfaction_index.name", exc)
        return
    lows, highs = {s.low for s in scales.values()}, {s.high for s in scales.values()}
    imps = [f"imp_{d[4:]}" for d in dims]
    outcome_col = next((c for c in ("loyalty_score", "recommend_intent", "nps") if c in columns), None)
    wanted = dims + [c for c in imps if c in columns] + ([outcome_col] if outcome_col else [])
    answers = in_fixed_order(ds.table("surveys", *wanted), wanted).execute()
    if len(lows) > 1 or len(highs) > 1:  # rescale each dimension by its own scale first
        for d, s in scales.items():
            answers[d] = 1.0 + (answers[d] - s.low) / (s.high - s.low)
        low, high = 1.0, 2.0
    else:
        low, high = lows.pop(), highs.pop()
    weights, source = None, "equal"
    if all(c in answers for c in imps) and answers[imps].notna().any().all():
        weights = {d: float(answers[i].mean()) for d, i in zip(dims, imps, strict=True)}
        source = "importance"
    elif outcome_col is not None and len(dims) >= 2:
        source = "relative_weights"
    try:
        est, table = satisfaction_index(
            answers[dims], weights=weights,
            outcome=answers[outcome_col] if source == "relative_weights" else None,
            scale_max=high, scale_min=low, min_n=ctx.config.survey.min_n)
    except (InsufficientDataError, ValueError, ZeroDivisionError):
        return
    table["dimension"] = table.dimension.str.removeprefix("dim_")
    section.add(Number("metrics.satisfaction_index.name", est.value, unit="score", metric_id="satisfaction_index",
                       denominator=est.n, n=est.n, flags=sample_flags(est.n, ctx.config.survey.min_n),
                       note=K + f"weights_{source}", note_kw={"outcome": outcome_col or ""}),
                Table(K + "table", table, {c: K + "col." + c for c in table.columns}))
    out["satisfaction_index"] = {"value": est.value, "n": est.n, "weights": source,
                                 "table": table.to_dict("records")}
    ctx.results.setdefault("metric_values", {})["satisfaction_index"] = est.value


__all__ = ["documents_indices", "refused"]
