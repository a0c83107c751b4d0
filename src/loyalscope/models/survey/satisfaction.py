"""Satisfaction and advocacy statistics on answer arrays (pure NumPy / pandas).

Every function returns its sample size ``n`` (answers that are not missing) and a
``small_sample`` flag, true below ``min_n`` (``[survey] min_n`` in ``loyalscope.toml``,
default 30). Scales are 1..N unless said otherwise.

Formulas (``../shared/spec/metrics.md``, "Satisfaction and advocacy"):

- CSAT top-2-box = answers in {N - 1, N} / answers.
- satisfaction score, recommendation index, loyalty index (the documents' form) =
  mean score / scale maximum x 100.
- weighted satisfaction index = sum_d w_d (mean_d - 1) / (N - 1) x 100 with sum_d w_d = 1;
  weights given, or Johnson relative weights of the dimensions on an outcome.
- mention rate = respondents mentioning the brand unprompted / respondents.
- competitor gap = our mean minus the competitor's mean, per dimension, from the same
  respondents; paired t-test and Wilcoxon signed-rank test on the per-respondent differences.
  For the dimension ``"nps"`` (0-10 answers) each answer is scored +1 / 0 / -1 and the gap is
  in NPS points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.survey.drivers import relative_weights

MIN_N = 30


@dataclass(frozen=True)
class Estimate:
    """A survey statistic with its sample size."""

    value: float
    n: int
    small_sample: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _answers(values: Any, scale_max: float | None = None, scale_min: float = 1.0) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        raise InsufficientDataError(t("models.errors.no_answers"), fix=t("models.errors.no_answers_fix"))
    if scale_max is not None:
        bad = arr[(arr < scale_min) | (arr > scale_max)]
        if bad.size:
            raise ValueError(
                f"Answers must lie in {scale_min:g}..{scale_max:g}. Got {bad[0]!r} instead; "
                "set the scale maximum ([survey] csat_scale_max) to the questionnaire's."
            )
    return arr


def _est(value: float, n: int, min_n: int) -> Estimate:
    return Estimate(float(value), int(n), n < min_n)


def csat_top2(scores: Any, scale_max: int = 5, min_n: int = MIN_N) -> Estimate:
    """Share of answers in the top two boxes (N - 1 and N) of a 1..N scale, in [0, 1]."""
    arr = _answers(scores, scale_max)
    return _est(float(np.mean(arr >= scale_max - 1)), arr.size, min_n)


def mean_index(scores: Any, scale_max: float, min_n: int = MIN_N) -> Estimate:
    """Mean score / scale maximum x 100: the satisfaction score and the documents'
    recommendation and loyalty indices."""
    arr = _answers(scores, scale_max, scale_min=0.0)
    return _est(100.0 * arr.mean() / scale_max, arr.size, min_n)


satisfaction_score = mean_index
recommend_index = mean_index
loyalty_index = mean_index


def mention_rate(mentioned: Any, min_n: int = MIN_N) -> Estimate:
    """Share of respondents who mention the brand unprompted (missing answers ignored)."""
    s = pd.Series(mentioned).dropna().astype(bool)
    if s.empty:
        raise InsufficientDataError(t("models.errors.no_mentions"), fix=t("models.errors.no_mentions_fix"))
    return _est(s.mean(), s.size, min_n)


def satisfaction_index(
    dimensions: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    outcome: Any = None,
    scale_max: float = 5,
    scale_min: float = 1,
    min_n: int = MIN_N,
) -> tuple[Estimate, pd.DataFrame]:
    """Weighted satisfaction index over dimension columns, 0-100.

    Weights: ``weights`` (normalised to sum 1); else relative weights of the dimensions on
    ``outcome`` (Johnson 2000) when given; else equal. Returns the index and a table
    ``dimension, mean, score (0-100), weight``; n counts respondents with every dimension.
    """
    cols = list(dimensions.columns)
    full = dimensions.dropna()
    if full.empty:
        raise InsufficientDataError(t("models.errors.no_complete_dims"),
                                    fix=t("models.errors.no_complete_dims_fix"))
    if weights is not None:
        w = np.array([float(weights[c]) for c in cols])
    elif outcome is not None:
        y = np.asarray(outcome, dtype=float)[dimensions.notna().all(axis=1).to_numpy()]
        w = relative_weights(full.to_numpy(float), y)
    else:
        w = np.ones(len(cols))
    w = w / w.sum()
    means = full.mean().to_numpy()
    scores = 100.0 * (means - scale_min) / (scale_max - scale_min)
    table = pd.DataFrame({"dimension": cols, "mean": means, "score": scores, "weight": w})
    return _est(float(scores @ w), len(full), min_n), table


def _nps_points(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))


def competitor_comparison(
    ours: pd.DataFrame, competitors: Mapping[str, pd.DataFrame], min_n: int = MIN_N
) -> pd.DataFrame:
    """Our rating minus each competitor's, per dimension, from the same respondents (rows).

    ``ours`` has one column per dimension; ``competitors[name]`` the same respondents' ratings
    of competitor ``name`` (columns: a subset of ours). Returns ``competitor, dimension, n,
    ours, theirs, gap, t_p, wilcoxon_p, small_sample``; NPS (dimension ``"nps"``) in points.
    """
    rows = []
    for comp, frame in competitors.items():
        for dim in frame.columns:
            if dim not in ours.columns:
                continue
            a = ours[dim].to_numpy(float)
            b = frame[dim].to_numpy(float)
            keep = np.isfinite(a) & np.isfinite(b)
            a, b = a[keep], b[keep]
            if dim == "nps":
                a, b = 100 * _nps_points(a), 100 * _nps_points(b)
            d = a - b
            n = d.size
            t_p = w_p = np.nan
            if n >= 2 and np.any(d != d[0]):
                t_p = float(stats.ttest_rel(a, b).pvalue)
            if n >= 1 and np.any(d != 0):
                w_p = float(stats.wilcoxon(d).pvalue)
            rows.append({
                "competitor": comp, "dimension": dim, "n": n,
                "ours": a.mean() if n else np.nan, "theirs": b.mean() if n else np.nan,
                "gap": d.mean() if n else np.nan, "t_p": t_p, "wilcoxon_p": w_p,
                "small_sample": n < min_n,
            })
    return pd.DataFrame(rows, columns=["competitor", "dimension", "n", "ours", "theirs", "gap",
                                       "t_p", "wilcoxon_p", "small_sample"])
