"""Geometric model of contract renewals: one churn probability for every customer.

Each customer leaves at the end of any period with the same probability p, so the period of
churn T is geometric::

    P(T = t) = p (1-p)^(t-1)        t = 1, 2, ...
    S(t)     = (1-p)^t
    r(t)     = 1 - p                (retention rate: flat)

It is the limit of the shifted-beta-geometric model (:mod:`loyalscope.models.purchase.sbg`) as
alpha, beta -> infinity with alpha / (alpha + beta) = p: no heterogeneity, so churn does not
fall with tenure. Where the sBG runs to that edge of its space (Telco's one- and two-year
contracts), this is the model the data support. With ``e`` periods survived before observation
(left truncation) each customer is at risk ``t - e`` periods, and the maximum-likelihood
estimate is p = leavers / periods at risk (for a snapshot, ``e = t - 1``: leavers / customers).
``prior`` adds that many leavers and stayers (``prior = 1/2``: the posterior mean under
Jeffreys' Beta(1/2, 1/2) prior, never 0 where nobody has left yet).

DERL, the discounted expected residual lifetime in payments of a customer about to pay for the
next period (Fader & Hardie 2010, "Customer-base valuation in a contractual setting"), is the
same at every tenure (memoryless)::

    DERL = sum_{j >= 0} (1-p)^(j+1) / (1+d)^j = (1-p)(1+d) / (d+p)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loyalscope.models.base import as_array, as_weights


class Geometric:
    """One churn probability per period for everyone (the sBG's no-heterogeneity limit).

    Parameters
    ----------
    prior : float
        Pseudo-leavers and pseudo-stayers added to the counts (0: the maximum-likelihood
        estimate; 1/2: Jeffreys' posterior mean).

    Attributes
    ----------
    params_ : dict
        ``{"p": churn probability per period}``.
    n_ : float
        Customer-periods at risk the estimate rests on.
    """

    def __init__(self, prior: float = 0.0) -> None:
        self.prior = prior

    def fit_durations(self, periods: Any, churned: Any, weights: Any = None,
                      entry: Any = None) -> Geometric:
        """Fit from contracts: ``periods`` completed (>= 1), whether the customer ``churned`` at
        the end of the last one, optional counts ``weights`` and ``entry`` (periods survived
        before observation, 0 by default); returns ``self``."""
        t = as_array("periods", periods)
        c = as_array("churned", churned)
        w = as_weights(weights, t.size)
        e = np.zeros_like(t) if entry is None else as_array("entry", entry)
        at_risk = float(w @ (t - e))
        if not at_risk > 0:
            raise ValueError("The contracts must hold at least one period at risk (periods > entry). "
                             f"Got {at_risk!r} customer-periods.")
        self.params_ = {"p": float((w @ c + self.prior) / (at_risk + 2.0 * self.prior))}
        self.n_ = at_risk
        return self

    @property
    def p(self) -> float:
        return self.params_["p"]

    def survival(self, t: Any) -> np.ndarray:
        """S(t) = (1-p)^t."""
        return (1.0 - self.p) ** as_array("t", t)

    def retention_rate(self, t: Any) -> np.ndarray:
        """r(t) = 1 - p for periods t >= 1."""
        return np.full(np.shape(as_array("t", t)), 1.0 - self.p)

    def churn_next(self, tenure: Any) -> np.ndarray:
        """P(leaving at the end of the next period | ``tenure`` periods completed) = p."""
        return np.full(np.shape(as_array("tenure", tenure)), self.p)

    def unpaid_within(self, tenure: Any, periods: int) -> np.ndarray:
        """Expected periods of the next ``periods`` not paid for, at ``tenure``:
        ``sum_{j=1..K} (1 - (1-p)^j)`` (the same at every tenure)."""
        ahead = np.arange(1, periods + 1, dtype=float)
        return np.full(np.shape(as_array("tenure", tenure)), float((1.0 - (1.0 - self.p) ** ahead).sum()))

    def derl(self, discount_rate: float, renewals: Any = 0) -> np.ndarray:
        """DERL = (1-p)(1+d)/(d+p) at any number of ``renewals`` (module doc); d > 0 per period."""
        if not discount_rate > 0:
            raise ValueError(f"The 'discount_rate' argument must be > 0 (per period). Got {discount_rate!r} instead.")
        d, p = discount_rate, self.p
        return np.full(np.shape(as_array("renewals", renewals)), (1.0 - p) * (1.0 + d) / (d + p))
