"""Satisfaction -> loyalty response: repurchase probability by satisfaction level.

The documents' dynamic model is L = O x f(S): loyalty L (here: the probability of a later
repurchase) is a response f of satisfaction S, scaled by a constraint factor O that captures
what else holds a segment back or keeps it (switching costs, alternatives, habits).

Estimates
---------
f(s): per satisfaction level s, k_s repurchasers out of n_s respondents; the posterior of the
repurchase probability is Beta(a + k_s, b + n_s - k_s) from a Beta(a, b) prior (default
Beta(1, 1)); the curve reports the raw rate k_s / n_s, the posterior mean and the equal-tailed
credible interval.

O per segment g: the segment's repurchasers over those the overall curve predicts for its
satisfaction mix, O_g = sum_s k_gs / sum_s n_gs f(s) with f(s) = k_s / n_s (the maximum
likelihood estimate of O in k_gs ~ Poisson(O n_gs f(s))). O = 1: the segment follows the
overall curve; O < 1: it repurchases less than its satisfaction predicts.

Satisfied defectors: levels in the top boxes (s >= ``top``, by default scale_max - 1: the top
two; of a yes / no question, 0-1, yes only) whose defection rate 1 - k_s / n_s exceeds
``defect_threshold`` are flagged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.base import check_fitted


def _curve(df: pd.DataFrame, keys: list[str], prior: tuple[float, float], level: float) -> pd.DataFrame:
    g = df.groupby(keys, sort=True)["y"].agg(n="size", repurchased="sum").reset_index()
    a = prior[0] + g["repurchased"]
    b = prior[1] + g["n"] - g["repurchased"]
    tail = (1 - level) / 2
    g["rate"] = g["repurchased"] / g["n"]
    g["mean"] = a / (a + b)
    g["lower"] = stats.beta.ppf(tail, a, b)
    g["upper"] = stats.beta.ppf(1 - tail, a, b)
    return g


class SatLoyaltyCurve:
    """Repurchase probability by satisfaction level, per segment, with the constraint factor.

    Parameters
    ----------
    scale_max : float, default 5
        Top of the satisfaction scale (top two boxes: ``scale_max - 1`` and ``scale_max``).
    top : float, optional
        Lowest level of the top boxes; default ``scale_max - 1``. A yes / no question (0-1) has
        one top box, yes: ``top=1`` (see :func:`loyalscope.metrics.scales.top_boxes`).
    defect_threshold : float, default 0.3
        Flag top-2-box levels whose defection rate exceeds this share.
    prior : (float, float), default (1, 1)
        Beta prior of each level's repurchase probability.
    level : float, default 0.95
        Credible interval coverage.
    min_n : int, default 30
        Levels with fewer respondents are marked ``small_sample``.
    """

    def __init__(
        self,
        scale_max: float = 5,
        defect_threshold: float = 0.3,
        prior: tuple[float, float] = (1.0, 1.0),
        level: float = 0.95,
        min_n: int = 30,
        top: float | None = None,
    ) -> None:
        self.scale_max = scale_max
        self.top = top
        self.defect_threshold = defect_threshold
        self.prior = prior
        self.level = level
        self.min_n = min_n

    def fit(self, satisfaction: Any, repurchased: Any, segment: Any = None) -> SatLoyaltyCurve:
        """``satisfaction``: level per respondent; ``repurchased``: 0/1 (bought again within
        the follow-up window); ``segment``: optional label per respondent."""
        df = pd.DataFrame({"s": np.asarray(satisfaction, dtype=float),
                           "y": np.asarray(repurchased, dtype=float)})
        df["g"] = "all" if segment is None else pd.Series(np.asarray(segment, dtype=object)).astype("string")
        df = df.dropna()
        if df.empty:
            raise InsufficientDataError(
                t("models.errors.no_sat_outcome"), fix=t("models.errors.no_sat_outcome_fix"),
            )
        self.n_ = len(df)
        curve = _curve(df, ["s"], self.prior, self.level).rename(columns={"s": "satisfaction"})
        curve["small_sample"] = curve["n"] < self.min_n
        self.curve_ = curve
        f = dict(zip(curve["satisfaction"], curve["rate"], strict=True))
        seg = _curve(df, ["g", "s"], self.prior, self.level).rename(
            columns={"g": "segment", "s": "satisfaction"})
        seg["overall_rate"] = seg["satisfaction"].map(f)
        seg["small_sample"] = seg["n"] < self.min_n
        self.segment_curves_ = seg
        expected = (seg["n"] * seg["overall_rate"]).groupby(seg["segment"]).sum()
        observed = seg.groupby("segment")["repurchased"].sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            o = observed / expected
        self.constraint_ = pd.DataFrame({
            "segment": o.index.astype(str), "O": o.to_numpy(),
            "repurchased": observed.to_numpy(), "expected": expected.to_numpy(),
            "n": seg.groupby("segment")["n"].sum().to_numpy(),
        })
        lowest = self.scale_max - 1 if self.top is None else self.top
        top = seg[seg["satisfaction"] >= lowest].copy()
        top["defect_rate"] = 1 - top["rate"]
        top["flag"] = top["defect_rate"] > self.defect_threshold
        self.satisfied_defectors_ = top[["segment", "satisfaction", "n", "defect_rate", "flag",
                                         "small_sample"]].reset_index(drop=True)
        return self

    def predict(self, satisfaction: Any, segment: Any = None) -> np.ndarray:
        """L = O x f(S): the overall curve's posterior mean at each level, times the segment's O
        (O = 1 without segment). Unseen levels give NaN."""
        check_fitted(self, "curve_")
        f = pd.Series(np.asarray(satisfaction, dtype=float)).map(
            dict(zip(self.curve_["satisfaction"], self.curve_["mean"], strict=True))).to_numpy(float)
        if segment is None:
            return f
        o = pd.Series(np.asarray(segment, dtype=object)).astype(str).map(
            dict(zip(self.constraint_["segment"], self.constraint_["O"], strict=True))).to_numpy(float)
        return o * f

    def summary(self) -> pd.DataFrame:
        """The overall curve: ``satisfaction, n, repurchased, rate, mean, lower, upper``."""
        check_fitted(self, "curve_")
        return self.curve_.copy()
