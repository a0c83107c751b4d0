"""Net Promoter Score with three intervals (normal, bootstrap, Bayesian).

Answers on the 0-10 "how likely are you to recommend" scale are promoters (9-10), passives
(7-8) or detractors (0-6) (Reichheld 2003, "The one number you need to grow", HBR).
Scoring each answer +1 / 0 / -1,

    NPS = p_P - p_D                      (share; x 100 gives points from -100 to 100)
    Var(NPS) = [p_P + p_D - (p_P - p_D)^2] / n

Intervals
---------
normal
    NPS +/- z * sqrt(Var(NPS)), clipped to [-100, 100] (small samples can overshoot).
bootstrap
    The three counts resampled from Multinomial(n, p_hat) ``n_boot`` times (equivalent to
    resampling respondents, vectorised); percentile interval.
bayes
    Posterior Dirichlet(alpha + counts) of (p_P, p_0, p_D) from a Dirichlet(alpha) prior
    (default (1, 1, 1)); equal-tailed interval of p_P - p_D over seeded draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.base import check_fitted


def nps_counts(scores: Any) -> tuple[int, int, int]:
    """Counts of (promoters, passives, detractors) among 0-10 answers; NaN answers are ignored.

    Raises ``ValueError`` naming the bad value when an answer lies outside 0..10.
    """
    arr = np.asarray(scores, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    bad = arr[(arr < 0) | (arr > 10)]
    if bad.size:
        raise ValueError(f"NPS answers must lie in 0..10. Got {bad[0]!r} instead.")
    promoters = int(np.sum(arr >= 9))
    detractors = int(np.sum(arr <= 6))
    return promoters, int(arr.size) - promoters - detractors, detractors


class NPS:
    """Net Promoter Score estimator.

    Parameters
    ----------
    level : float, default 0.95
        Coverage of the intervals.
    n_boot : int, default 2000
        Bootstrap resamples.
    n_draws : int, default 20000
        Posterior draws of the Bayesian interval.
    prior : tuple of 3 floats, default (1, 1, 1)
        Dirichlet prior on (promoter, passive, detractor) shares.
    seed : int or None, default 0
        Seed of the bootstrap and posterior draws.
    min_n : int, default 30
        Below this many answers ``small_sample_`` is True.

    Examples
    --------
    >>> m = NPS().fit([10, 9, 9, 8, 7, 6, 3, 10, 10, 2])
    >>> round(m.nps_, 1)
    20.0
    """

    def __init__(
        self,
        level: float = 0.95,
        n_boot: int = 2000,
        n_draws: int = 20000,
        prior: tuple[float, float, float] = (1.0, 1.0, 1.0),
        seed: int | None = 0,
        min_n: int = 30,
    ) -> None:
        self.level = level
        self.n_boot = n_boot
        self.n_draws = n_draws
        self.prior = prior
        self.seed = seed
        self.min_n = min_n

    def fit(self, scores: Any = None, *, counts: tuple[int, int, int] | None = None) -> NPS:
        """Fit from 0-10 answers, or from ``counts`` = (promoters, passives, detractors)."""
        if counts is None:
            counts = nps_counts(scores)
        c = np.asarray(counts, dtype=np.int64)
        if c.shape != (3,) or np.any(c < 0):
            raise ValueError(f"counts must be 3 non-negative integers. Got {counts!r} instead.")
        n = int(c.sum())
        if n == 0:
            raise InsufficientDataError(
                t("models.errors.no_nps_answers"), fix=t("models.errors.no_nps_answers_fix")
            )
        self.promoters_, self.passives_, self.detractors_ = (int(x) for x in c)
        self.n_ = n
        p = c / n
        self.share_ = float(p[0] - p[2])
        self.nps_ = 100.0 * self.share_
        self.variance_ = float((p[0] + p[2] - (p[0] - p[2]) ** 2) / n)
        self.se_ = 100.0 * np.sqrt(self.variance_)
        self.small_sample_ = n < self.min_n
        alpha = 1.0 - self.level
        z = stats.norm.ppf(1.0 - alpha / 2.0)
        qs = [100 * alpha / 2, 100 * (1 - alpha / 2)]
        rng = np.random.default_rng(self.seed)
        boot = rng.multinomial(n, p, size=self.n_boot)
        boot_nps = 100.0 * (boot[:, 0] - boot[:, 2]) / n
        draws = rng.dirichlet(np.asarray(self.prior, dtype=float) + c, size=self.n_draws)
        bayes_nps = 100.0 * (draws[:, 0] - draws[:, 2])
        self.intervals_: dict[str, tuple[float, float]] = {
            "normal": (max(self.nps_ - z * self.se_, -100.0), min(self.nps_ + z * self.se_, 100.0)),
            "bootstrap": _pair(np.percentile(boot_nps, qs)),
            "bayes": _pair(np.percentile(bayes_nps, qs)),
        }
        self.posterior_mean_ = float(
            100.0 * ((c[0] + self.prior[0]) - (c[2] + self.prior[2])) / (n + sum(self.prior))
        )
        return self

    def to_dict(self) -> dict[str, Any]:
        """``{"nps", "n", "promoters", "passives", "detractors", "intervals", "small_sample"}``
        with NPS and intervals in points (-100..100)."""
        check_fitted(self, "nps_")
        return {
            "nps": self.nps_,
            "n": self.n_,
            "promoters": self.promoters_,
            "passives": self.passives_,
            "detractors": self.detractors_,
            "intervals": {k: [float(v[0]), float(v[1])] for k, v in self.intervals_.items()},
            "small_sample": bool(self.small_sample_),
        }

    def summary(self) -> pd.DataFrame:
        """One row per interval method: ``method, nps, lower, upper, n``."""
        check_fitted(self, "nps_")
        return pd.DataFrame(
            [
                {"method": k, "nps": self.nps_, "lower": lo, "upper": hi, "n": self.n_}
                for k, (lo, hi) in self.intervals_.items()
            ]
        )


def _pair(v: np.ndarray) -> tuple[float, float]:
    """(lower, upper) of a two-element percentile array."""
    return float(v[0]), float(v[1])
