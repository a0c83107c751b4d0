"""Survey metrics ("Satisfaction and advocacy" in ``../shared/spec/metrics.md``) over the
``surveys`` table, per period of ``answered_ts`` (and group).

Every metric counts only answers that are not missing; ``denominator`` is that count, so it
is also the sample size to compare with ``[survey] min_n``. Every metric first checks the
answers against the column's declared scale (:mod:`loyalscope.metrics.scales`: NPS 0-10,
csat 1-``csat_scale_max``, ratings 1-``rating_scale_max``, or ``[survey.scales]``) and refuses
answers outside it; the documents' indices divide by the declared scale's top.

- ``csat_top2``: answers in the top two boxes / answers (share); of a satisfaction question
  answered yes / no (scale 0-1), the yes answers / answers; of a two-point scale (1-2), the top
  box (:func:`top_boxes`). Its name and definition say which (:func:`csat_wording`); the id
  stays ``csat_top2``.
- ``satisfaction_score``: numerator = sum(csat) / scale max x 100, denominator = answers;
  value = mean / max x 100 (a 0-100 score; of a yes / no question 100 x the share of yes, unsure
  answers counted half).
- ``nps``: numerator = promoters - detractors, denominator = respondents; value is the share
  in [-1, 1] (``percent=True``: shown x 100, i.e. NPS points).
- ``recommend_index_seed`` / ``loyalty_index_seed``: as satisfaction_score on
  recommend_intent / loyalty_score.
- ``mention_rate``: respondents with mention_unprompted true / respondents who answered it.
- ``competitor_gap``: the overall gap, pooled over every competitor and dimension with both a
  ``dim_<d>`` and a ``comp_<competitor>_<d>`` rating from the same respondent: numerator = sum
  of (ours - theirs), denominator = number of such pairs; value = mean gap in rating points.
  NPS columns (``comp_<competitor>_nps``) are left out of the pooled gap (another scale).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import pandas as pd

from loyalscope.errors import SchemaError
from loyalscope.i18n import t
from loyalscope.metrics._base import with_group
from loyalscope.metrics.registry import Builder, Metric, MetricContext, Wording, register
from loyalscope.metrics.scales import (
    NPS_SCALE,
    check_scale,
    declared_scale,
    is_two_point,
    is_yes_no,
    top_boxes,
)

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset


def _surveys(ds: Dataset, ctx: MetricContext, *cols: str) -> ibis.Table:
    s = ds.table("surveys", "answered_ts", *cols)
    if ctx.window is not None:
        start, end = ctx.window
        s = s.filter((s.answered_ts >= ibis.timestamp(pd.Timestamp(start)))
                     & (s.answered_ts < ibis.timestamp(pd.Timestamp(end))))
    s = s.mutate(period=ctx.bucket(s.answered_ts))
    return with_group(ds, ctx, s)


def _agg(s: ibis.Table, ctx: MetricContext, num: ibis.Value, den: ibis.Value) -> ibis.Table:
    keys = ["period", *([ctx.by] if ctx.by else [])]
    return s.group_by(keys).aggregate(numerator=num.cast("float64"), denominator=den.cast("float64"))


def _count_if(cond: ibis.Value) -> ibis.Value:
    return cond.cast("int64").sum().fill_null(0)


def _csat_top2(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    top = top_boxes(check_scale(ds, "csat"))
    s = _surveys(ds, ctx, "csat")
    return _agg(s, ctx, _count_if(s.csat >= top), s.csat.count())


def csat_wording(ds: Dataset) -> Wording:
    """The catalogue keys of CSAT's display name and definition on ``ds``, from the satisfaction
    question's declared scale (the one :func:`_csat_top2` counts on).

    Parameters
    ----------
    ds : Dataset
        The data; its configuration declares the scale (a yes / no question is declared 0-1
        when it is read, :mod:`loyalscope.data.forms`).

    Returns
    -------
    Wording
        ``metrics.csat_top2.yes_no.*`` (share of yes) for a yes / no question,
        ``metrics.csat_top2.top_box.*`` for another two-point scale (1-2: its top box; the top
        two boxes would be every answer), else ``metrics.csat_top2.*`` (top two boxes).
    """
    scale = declared_scale(ds.config, "csat")
    if scale is not None and is_yes_no(scale):
        return Wording.of("metrics.csat_top2.yes_no")
    if scale is not None and is_two_point(scale):
        return Wording.of("metrics.csat_top2.top_box")
    return Wording.of("metrics.csat_top2")


def _mean_index(column: str) -> Builder:
    def build(ds: Dataset, ctx: MetricContext) -> ibis.Table:
        top = check_scale(ds, column).high
        s = _surveys(ds, ctx, column)
        return _agg(s, ctx, s[column].sum().fill_null(0) * (100.0 / top), s[column].count())

    return build


def _nps(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    check_scale(ds, "nps", need=NPS_SCALE)
    s = _surveys(ds, ctx, "nps")
    return _agg(s, ctx, _count_if(s.nps >= 9) - _count_if(s.nps <= 6), s.nps.count())


def _mention_rate(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    s = _surveys(ds, ctx, "mention_unprompted")
    return _agg(s, ctx, _count_if(s.mention_unprompted), s.mention_unprompted.count())


def competitor_pairs(columns: list[str]) -> list[tuple[str, str, str]]:
    """(competitor, dimension, comp column) for every ``comp_<competitor>_<d>`` column with a
    matching ``dim_<d>`` column; ``<d> = "nps"`` pairs with the ``nps`` column."""
    dims = {c[4:] for c in columns if c.startswith("dim_")}
    out = []
    for col in columns:
        if not col.startswith("comp_"):
            continue
        rest = col[5:]
        for d in sorted(dims | ({"nps"} if "nps" in columns else set()), key=len, reverse=True):
            if rest.endswith("_" + d) and len(rest) > len(d) + 1:
                out.append((rest[: -len(d) - 1], d, col))
                break
    return out


def _competitor_gap(ds: Dataset, ctx: MetricContext) -> ibis.Table:
    s = _surveys(ds, ctx)
    pairs = [p for p in competitor_pairs(list(s.columns)) if p[1] != "nps"]
    if not pairs:
        raise SchemaError(t("survey.errors.no_competitor_pairs"), fix=t("survey.errors.no_competitor_pairs_fix"))
    for _, d, col in pairs:
        check_scale(ds, f"dim_{d}")
        check_scale(ds, col)
    keys = ["period", *([ctx.by] if ctx.by else [])]
    parts = [s.select(*keys, gap=(s[f"dim_{d}"] - s[col]).cast("float64")) for _, d, col in pairs]
    long = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return _agg(long, ctx, long.gap.sum().fill_null(0), long.gap.count())


for _metric in (
    Metric("csat_top2", "satisfaction", ("surveys.csat",), _csat_top2, additive=True,
           wording=csat_wording),
    Metric("satisfaction_score", "satisfaction", ("surveys.csat",),
           _mean_index("csat"), percent=False),
    Metric("nps", "satisfaction", ("surveys.nps",), _nps, additive=True),
    Metric("recommend_index_seed", "satisfaction", ("surveys.recommend_intent",),
           _mean_index("recommend_intent"), percent=False),
    Metric("loyalty_index_seed", "satisfaction", ("surveys.loyalty_score",),
           _mean_index("loyalty_score"), percent=False),
    Metric("mention_rate", "satisfaction", ("surveys.mention_unprompted",), _mention_rate,
           additive=True),
    Metric("competitor_gap", "satisfaction", ("surveys",), _competitor_gap, percent=False),
):
    register(_metric)
