"""Declared answer scales of the survey questions, and the check every survey metric runs first.

Each survey column has a scale: NPS questions 0-10, share of wallet 0-1, CSAT
``1-[survey] csat_scale_max``, the other ratings (``recommend_intent``, ``loyalty_score``,
``dim_*``, ``comp_*``, ``imp_*`` ...) ``1-[survey] rating_scale_max``; ``[survey.scales]`` in
``loyalscope.toml`` declares any column's scale explicitly (``loyalty_score = "1-10"``, or
``"dim_*" = "1-7"`` for every column with that prefix). A metric that rescales answers by the
scale (the documents' indices: mean / scale max x 100) or needs a particular scale (NPS needs the
0-10 recommendation question) checks the data against the declared scale first and refuses with
an error that names the column, the values and the scale, where it would otherwise print a
loyalty index of 123.7 on a 0-100 scale (1-10 answers divided by a scale max of 5) or an NPS of
-100 from 1-5 star ratings (every star rating is a "detractor").

A satisfaction or intent question answered yes / no (是 / 否, Yes / No) is read on the scale 0-1
(yes 1, no 0, unsure 0.5: :mod:`loyalscope.data.forms`): its mean x 100 is the share of yes, and
what is defined by a rating scale's boxes reads the scale's own points (:func:`top_boxes`,
:func:`bottom_boxes`): CSAT's top box is yes, a dissatisfied answer is no.

A column declared by default as 0-10 for NPS but holding only answers in 1-5 (at least
``[analysis] min_n`` of them) is taken for star ratings and refused too, unless ``[survey.scales]
nps = "0-10"`` confirms it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from loyalscope.errors import ConfigError, DataQualityError
from loyalscope.i18n import t

if TYPE_CHECKING:
    from loyalscope.config import AnalysisConfig
    from loyalscope.data.dataset import Dataset

NPS_SCALE = (0.0, 10.0)
YES_NO_RANGE = (0.0, 1.0)
"""The scale of a question answered yes / no (yes 1, no 0, unsure 0.5)."""
_FIXED = {"nps": NPS_SCALE, "share_of_wallet": (0.0, 1.0)}
FIXED_SCALES = frozenset(_FIXED)
"""Columns whose scale is the measure's own (NPS 0-10, a share 0-1), never a question's."""
_RATINGS = ("recommend_intent", "repurchase_intent", "loyalty_score", "price_sensitivity", "voluntary")
_RATING_PREFIXES = ("dim_", "comp_", "imp_")


@dataclass(frozen=True)
class Scale:
    """The range answers of a column may take, and whether the user declared it."""

    low: float
    high: float
    source: Literal["config", "default"]

    def text(self) -> str:
        return f"{self.low:g}-{self.high:g}"


def is_yes_no(scale: Scale) -> bool:
    """Whether ``scale`` is that of a question answered yes / no, 0-1 (:data:`YES_NO_RANGE`)."""
    return (scale.low, scale.high) == YES_NO_RANGE


def is_two_point(scale: Scale) -> bool:
    """Whether ``scale`` has two points only (yes / no 0-1, or a 1-2 rating): its top box is one
    point, as the "top two boxes" of two points would be every answer."""
    return scale.high - scale.low <= 1


def top_boxes(scale: Scale) -> float:
    """The lowest answer in the top boxes CSAT counts on ``scale``.

    Parameters
    ----------
    scale : Scale
        The question's answer scale.

    Returns
    -------
    float
        ``high - 1`` on a rating scale (the top two boxes: 4 and 5 of 1-5, 9 and 10 of 0-10);
        ``high`` on a scale of two points (a yes / no question, 0-1: yes only; its unsure
        answers, 0.5, are no top box, and counting both "top two boxes" of two would count
        every answer).
    """
    return scale.high if is_two_point(scale) else scale.high - 1


def bottom_boxes(scale: Scale) -> float:
    """The highest answer of a dissatisfied respondent on ``scale``.

    Parameters
    ----------
    scale : Scale
        The question's answer scale.

    Returns
    -------
    float
        ``low`` on a scale of two points (a yes / no question: no, 0); else 2 on a scale up to
        5 (the bottom two boxes of 1-5), 40% of the top on a longer one (4 of 0-10).
    """
    if is_two_point(scale):
        return scale.low
    return 2.0 if scale.high <= 5 else 0.4 * scale.high


def parse_scale(text: str, column: str) -> tuple[float, float]:
    """``"1-10"`` -> (1.0, 10.0); a clear ConfigError otherwise."""
    try:
        lo, hi = (float(p) for p in str(text).split("-", 1))
    except ValueError:
        lo = hi = float("nan")
    if not lo < hi:
        raise ConfigError(t("survey.scale.bad_declaration", column=column, value=text),
                          column=f"survey.scales.{column}", value=text,
                          fix=t("survey.scale.bad_declaration_fix", column=column))
    return lo, hi


def declared_scale(config: AnalysisConfig, column: str) -> Scale | None:
    """The scale of ``column``: ``[survey.scales]`` (exact name, then ``prefix*`` patterns), else
    the default for the column; None for a column without a known scale (``q_*`` items)."""
    declared = config.survey.scales
    if column in declared:
        return Scale(*parse_scale(declared[column], column), "config")
    for pattern, text in declared.items():
        if pattern.endswith("*") and column.startswith(pattern[:-1]):
            return Scale(*parse_scale(text, column), "config")
    if column in _FIXED or (column.startswith("comp_") and column.endswith("_nps")):
        return Scale(*_FIXED.get(column, NPS_SCALE), "default")
    if column == "csat":
        return Scale(1.0, float(config.survey.csat_scale_max), "default")
    if column in _RATINGS or column.startswith(_RATING_PREFIXES):
        return Scale(1.0, float(config.survey.rating_scale_max), "default")
    return None


def check_scale(ds: Dataset, column: str, need: tuple[float, float] | None = None) -> Scale:
    """Check the answers in ``surveys.<column>`` against the column's declared scale.

    ``need``: the scale the metric requires (NPS: 0-10). Raises :class:`DataQualityError` naming
    the column, the offending values and the scale; returns the scale. Memoised per dataset.
    """
    key = ("survey_scale", column, need, tuple(sorted(ds.config.survey.scales.items())),
           ds.config.survey.csat_scale_max, ds.config.survey.rating_scale_max)
    return ds.memo(key, lambda: _check(ds, column, need))


def answer_range(ds: Dataset, column: str) -> tuple[float, float, int]:
    """The lowest and highest answer of ``surveys.<column>`` and how many there are (NaN, NaN,
    0 without answers); one engine query per column and dataset, shared by :func:`check_scale`
    and the reasons that name the answers outside a scale."""
    def build() -> tuple[float, float, int]:
        s = ds.table("surveys", column)
        stats = s.aggregate(lo=s[column].min(), hi=s[column].max(), n=s[column].count()).execute().iloc[0]
        n = int(stats["n"] or 0)
        return (float(stats["lo"]), float(stats["hi"]), n) if n else (math.nan, math.nan, 0)
    return ds.memo(("answer_range", column), build)


def _check(ds: Dataset, column: str, need: tuple[float, float] | None) -> Scale:
    scale = declared_scale(ds.config, column)
    where = f"surveys.{column}"
    if scale is None:
        raise ConfigError(t("survey.scale.unknown", column=where), column=where,
                          fix=t("survey.scale.declare_fix", column=column, scale="1-5"))
    if need is not None and (scale.low, scale.high) != need:
        raise DataQualityError(
            t("survey.scale.wrong_scale", column=where, scale=scale.text(), need=f"{need[0]:g}-{need[1]:g}"),
            column=where, fix=t("survey.scale.wrong_scale_fix", column=column))
    lo, hi, n = answer_range(ds, column)
    if n == 0:
        return scale
    if lo < scale.low or hi > scale.high:
        value = hi if hi > scale.high else lo
        raise DataQualityError(
            t("survey.scale.outside", column=where, low=f"{lo:g}", high=f"{hi:g}", n=n, scale=scale.text(),
              source=t(f"survey.scale.source_{scale.source}")),
            column=where, value=value,
            fix=t("survey.scale.declare_fix", column=column, scale=f"{math.floor(lo):g}-{math.ceil(hi):g}"))
    if (need == NPS_SCALE and scale.source == "default" and hi <= 5 and lo >= 1
            and n >= ds.config.analysis.min_n):
        raise DataQualityError(t("survey.scale.looks_like_stars", column=where, n=n, high=f"{hi:g}"),
                               column=where, value=hi, fix=t("survey.scale.looks_like_stars_fix", column=column))
    return scale

