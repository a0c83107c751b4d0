"""Shifted-beta-geometric (sBG) model of contract renewals (Fader & Hardie 2007, "How to project
customer retention", Journal of Interactive Marketing 21(1); DERL from Fader & Hardie 2010,
"Customer-base valuation in a contractual setting: the perils of ignoring heterogeneity").

Each customer churns at the end of any period with probability theta ~ Beta(alpha, beta), so the
period of churn T is shifted-geometric::

    P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)        t = 1, 2, ...
    S(t)     = P(T > t) = B(alpha, beta+t) / B(alpha, beta)
    r(t)     = S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1)   (retention rate, rises with t)

A cohort with ``survivors`` n_0, n_1, ..., n_k (active at the start of periods 1..k+1) contributes
``sum_t (n_{t-1} - n_t) ln P(T=t) + n_k ln S(k)``. Time is in renewal periods (e.g. years).

Left truncation: a customer seen only because they were still a customer ``e`` periods after
joining (``entry``) contributes ``ln P(T=t) - ln S(e)`` or ``ln S(t) - ln S(e)``, the likelihood
given survival to ``e``. A snapshot of current customers with their tenure and whether they left
in the last period (IBM's Telco sample: tenure in months, "Churn" = left within the last month)
has ``e = t - 1`` for everyone: those who left earlier are not in it, and the plain likelihood
would read the survivors' low churn as everyone's. Each such customer contributes the hazard
``1 - r(t) = alpha / (alpha+beta+t-1)`` or the retention rate ``r(t)`` (Klein & Moeschberger 2003,
section 3.4, on left-truncated survival data).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.integrate import IntegrationWarning, quad
from scipy.special import betaln, digamma, hyp2f1

from loyalscope.models.base import Data, MLEModel, as_array, as_weights
from loyalscope.models.status import FitIssue


class ShiftedBetaGeometric(MLEModel):
    """sBG model; ``fit(survivors)`` from a cohort's survivor counts or ``fit_durations`` from contracts."""

    _param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")

    def fit(self, survivors: Any, initial_params: Any = None) -> ShiftedBetaGeometric:
        """Fit from survivor counts ``n_0 >= n_1 >= ... >= n_k`` of one cohort (n_0 = cohort size)."""
        n = as_array("survivors", survivors)
        if n.size < 2 or np.any(np.diff(n) > 0):
            raise ValueError("The 'survivors' argument must be a non-increasing sequence of at least two counts "
                             f"(active customers at the start of each period). Got {n.tolist()!r}.")
        k = n.size - 1
        periods = np.concatenate([np.arange(1, k + 1), [k]]).astype(float)
        churned = np.concatenate([np.ones(k), [0.0]])
        weights = np.concatenate([-np.diff(n), [n[-1]]])
        return self.fit_durations(periods, churned, weights, initial_params)

    def fit_durations(self, periods: Any, churned: Any, weights: Any = None,
                      initial_params: Any = None, entry: Any = None) -> ShiftedBetaGeometric:
        """Fit from contracts: ``periods`` completed (>= 1) and whether the customer ``churned`` at
        the end of the last one (1) or is still active (0, censored); optional counts ``weights``.

        ``entry`` (optional): periods each customer had already survived when they came under
        observation (left truncation, module doc); 0 by default. A snapshot of customers with
        their tenure ``t`` and a flag for leaving in its last period has ``entry = t - 1``.
        """
        t = as_array("periods", periods)
        c = as_array("churned", churned)
        e = as_array("entry", 0.0 if entry is None else entry)
        t, c, e = np.broadcast_arrays(t, c, e)
        if np.any(t != np.round(t)) or np.any((t < 1) & (c == 1)):
            raise ValueError("The 'periods' argument must hold whole numbers of periods (>= 1 for churned contracts).")
        if not np.all(np.isin(c, (0.0, 1.0))):
            raise ValueError("The 'churned' argument must be 0 (still active) or 1 (churned).")
        if np.any(e != np.round(e)) or np.any(e > t) or np.any((e == t) & (c == 1)):
            raise ValueError("The 'entry' argument must hold whole numbers of periods survived before "
                             "observation, at most 'periods' (less than 'periods' for churned contracts).")
        w = as_weights(weights, t.size)
        keep = w > 0
        data = (t[keep], c[keep]) if entry is None else (t[keep], c[keep], e[keep])
        return self._fit_mle(data, w[keep], initial_params)  # type: ignore[return-value]

    def _model_issues(self, data: Any, weights: np.ndarray) -> list[FitIssue]:
        """One renewal period observed (no customer reached a second term): the data give one
        retention rate, r(1) = beta / (alpha + beta), and cannot separate alpha from beta."""
        periods = int(np.max(data[0], initial=0))
        return [FitIssue("one_renewal_period", {"periods": periods})] if periods <= 1 else []

    def _negloglik_grad(self, log_params: np.ndarray, data: Data, weights: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_params)
        al, be = theta
        t, c = data[0], data[1]
        base_a, base_b = digamma(al + be) - digamma(al), digamma(al + be) - digamma(be)
        s_end = digamma(al + be + t)
        tb = np.where(c == 1, be + t - 1, be + t)
        ll = np.where(c == 1, betaln(al + 1, be + t - 1), betaln(al, be + t)) - betaln(al, be)
        d_al = np.where(c == 1, digamma(al + 1), digamma(al)) - s_end + base_a
        d_be = digamma(tb) - s_end + base_b
        if len(data) > 2:  # left truncation: minus ln S(e) = betaln(al, be+e) - betaln(al, be)
            e = data[2]
            ll = ll - (betaln(al, be + e) - betaln(al, be))
            s_entry = digamma(al + be + e)
            d_al = d_al + s_entry - digamma(al + be)
            d_be = d_be - (digamma(be + e) - s_entry - digamma(be) + digamma(al + be))
        grad = np.array([weights @ d_al, weights @ d_be]) * theta
        return -float(weights @ ll), -grad

    def survival(self, t: Any) -> np.ndarray:
        """S(t) = P(still a customer after t periods) = B(alpha, beta+t) / B(alpha, beta)."""
        al, be = self._theta()
        return np.exp(betaln(al, be + as_array("t", t)) - betaln(al, be))

    def retention_rate(self, t: Any) -> np.ndarray:
        """r(t) = S(t)/S(t-1) = (beta+t-1)/(alpha+beta+t-1) for periods t >= 1."""
        al, be = self._theta()
        tt = as_array("t", t)
        return (be + tt - 1) / (al + be + tt - 1)

    def churn_next(self, tenure: Any) -> np.ndarray:
        """P(leaving at the end of the next period | ``tenure`` periods completed)
        = 1 - r(tenure + 1) = alpha / (alpha + beta + tenure)."""
        al, be = self._theta()
        return al / (al + be + as_array("tenure", tenure))

    def unpaid_within(self, tenure: Any, periods: int) -> np.ndarray:
        """Expected periods of the next ``periods`` not paid for, at ``tenure``:
        ``sum_{j=1..K} (1 - S(t+j) / S(t))`` with ``S(t+j) / S(t) = B(alpha, beta+t+j) / B(alpha, beta+t)``."""
        al, be = self._theta()
        t = as_array("tenure", tenure)[:, None]
        ahead = np.arange(1, periods + 1, dtype=float)
        return (1.0 - np.exp(betaln(al, be + t + ahead) - betaln(al, be + t))).sum(axis=1)

    def predict_survivors(self, cohort_size: float, periods: int) -> np.ndarray:
        """Expected active customers at the start of periods 1..periods+1: cohort_size * S(0..periods)."""
        return cohort_size * self.survival(np.arange(periods + 1))

    def derl(self, discount_rate: float, renewals: Any = 0) -> np.ndarray:
        """Discounted expected residual lifetime, in payments, of a customer who has made ``renewals``
        renewals and is about to pay for the next period (the next payment is not discounted)::

            DERL = sum_{t > renewals} S(t) / S(renewals) / (1+d)^(t - renewals - 1)
                 = (beta+n)/(alpha+beta+n) 2F1(1, beta+n+1; alpha+beta+n+1; 1/(1+d)),  n = renewals

        ``discount_rate`` d is per period (a yearly rate for yearly contracts) and must be > 0.
        """
        if not discount_rate > 0:
            raise ValueError(f"The 'discount_rate' argument must be > 0 (per period). Got {discount_rate!r} instead.")
        al, be = self._theta()
        n = as_array("renewals", renewals)
        z = 1.0 / (1.0 + discount_rate)
        out = (be + n) / (al + be + n) * hyp2f1(1.0, be + n + 1, al + be + n + 1, z)
        bad = ~np.isfinite(out)  # scipy's 2F1 fails (NaN) once alpha + beta + n passes ~200
        for v in np.unique(n[bad]):
            out[n == v] = (be + v) / (al + be + v) * _mean_inverse(be + v + 1, al, z)
        return out


def _mean_inverse(b: float, a: float, z: float) -> float:
    """``E[1 / (1 - z T)]`` for ``T ~ Beta(b, a)``: Euler's integral of ``2F1(1, b; a + b; z)``,
    by quadrature over the mass of the Beta (50 standard deviations either side of its mean),
    for the parameters where :func:`scipy.special.hyp2f1` returns NaN. Agrees with the direct
    series ``sum_j z^j S(n+1+j) / S(n)`` to ~1e-10 relative, and tends to the geometric limit
    ``(1 - p)(1 + d) / (d + p)`` as alpha, beta grow."""
    lb = betaln(b, a)

    def density_over(t: float) -> float:
        return float(np.exp((b - 1) * np.log(t) + (a - 1) * np.log1p(-t) - lb) / (1 - z * t))

    mean, sd = b / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    lo, hi = max(0.0, mean - 50 * sd), min(1.0, mean + 50 * sd)
    mode = (b - 1) / (a + b - 2) if a > 1 and b > 1 else None
    points = [mode] if mode is not None and lo < mode < hi else None
    with warnings.catch_warnings():  # a roundoff warning where the tolerance is tighter than needed
        warnings.simplefilter("ignore", IntegrationWarning)
        return float(quad(density_over, lo, hi, points=points, limit=500, epsabs=0, epsrel=1e-12)[0])


def contract_durations(terms: Any, last_renewed: Any, last_ended: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer (periods, churned) for :meth:`ShiftedBetaGeometric.fit_durations` from contracts.

    Parameters
    ----------
    terms : number of contract terms each customer started (>= 1).
    last_renewed : whether the last term was renewed (True, or unknown treated as False when ended).
    last_ended : whether the last term has ended by the analysis date.

    A customer whose last term ended without renewal churned after ``terms`` periods; one whose
    last term is still running has survived ``terms - 1`` renewals (censored); one whose last term
    ended with a renewal not yet in the data has survived ``terms`` (censored).
    """
    n = as_array("terms", terms)
    renewed = np.asarray(last_renewed, dtype=bool)
    ended = np.asarray(last_ended, dtype=bool)
    if np.any(n < 1):
        raise ValueError("The 'terms' argument must be >= 1 for every customer.")
    churned = ended & ~renewed
    periods = np.where(ended, n, n - 1)
    return periods.astype(float), churned.astype(float)


def contracts_to_durations(customer_id: Any, start: Any, end: Any, renewed: Any = None,
                           as_of: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-customer ``(periods, churned, first_start)`` from a contracts table (one row per term).

    Parameters
    ----------
    customer_id : array of customer ids, one per contract term.
    start, end : arrays of the term's start and end dates (anything ``np.datetime64`` accepts).
    renewed : optional array, whether the term was renewed (1/True, 0/False, NaN unknown). A
        last term with an unknown decision is censored like a running one (the customer survived
        ``terms - 1`` renewals); without the column, an ended last term counts as not renewed.
    as_of : the analysis date; terms starting after it are left out and a term ending after it is
        still running. Default: the latest start date in the data.

    Returns
    -------
    periods, churned : float arrays for :meth:`ShiftedBetaGeometric.fit_durations` (see
        :func:`contract_durations`: the number of terms a customer started, the last one's renewal
        flag and whether it has ended by ``as_of``).
    first_start : the start of each customer's first term (``datetime64[D]``), for cohorts.
    """
    ids = np.asarray(customer_id).astype(str)
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    ren = np.zeros(ids.size) if renewed is None else _flags(renewed)
    if ids.size == 0:
        raise ValueError("The contracts table is empty: no contract terms to fit.")
    if np.isnat(s).any() or np.isnat(e).any():
        raise ValueError("Every contract term needs a 'start_date' and an 'end_date'. Got a missing date.")
    if np.any(e < s):
        raise ValueError("Every contract term must end on or after its start ('end_date' >= 'start_date').")
    day = s.max() if as_of is None else np.datetime64(pd.Timestamp(as_of).date(), "D")
    keep = s <= day
    ids, s, e, ren = ids[keep], s[keep], e[keep], ren[keep]
    order = np.lexsort((s, ids))
    ids, s, e, ren = ids[order], s[order], e[order], ren[order]
    first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    last = np.r_[first[1:], ids.size] - 1
    # an unknown renewal decision on the last term (NA: e.g. a term still running at the end of
    # the data, its end date capped there) is censored like a running term
    decided = ~np.isnan(ren[last]) if renewed is not None else np.ones(last.size, dtype=bool)
    periods, churned = contract_durations(last - first + 1, ren[last] == 1.0, (e[last] <= day) & decided)
    return periods, churned, s[first]


def _flags(values: Any) -> np.ndarray:
    """1.0 / 0.0 / NaN from booleans, numbers or text (true/false, yes/no, 1/0; else unknown)."""
    text = pd.Series(values, dtype="object").map(lambda v: str(v).strip().lower() if v is not None else "")
    return text.map({"true": 1.0, "1": 1.0, "1.0": 1.0, "yes": 1.0, "y": 1.0,
                     "false": 0.0, "0": 0.0, "0.0": 0.0, "no": 0.0, "n": 0.0}).to_numpy(dtype=float)


def life_table(periods: Any, churned: Any, weights: Any = None, entry: Any = None) -> pd.DataFrame:
    """Observed retention by period from (possibly censored) contract durations.

    Returns one row per period ``t = 1..max(periods)``: ``at_risk`` (customers who started period
    t: ``periods >= t``; with ``entry``, only those observed by then, ``entry < t <= periods``),
    ``churned`` (churned at its end), ``retention`` ``= 1 - churned/at_risk`` and ``survival``, the
    Kaplan-Meier product of the retention rates (for one fully observed cohort it is the survivor
    count ``n_t / n_0``; with delayed entry, the product-limit estimate of Klein & Moeschberger
    2003, section 4.6). A period nobody was at risk in has no retention (NaN) and leaves the
    survival where it was.
    """
    t = as_array("periods", periods)
    c = as_array("churned", churned)
    w = as_weights(weights, t.size)
    k = int(t.max(initial=0))
    idx = t.astype(int)
    at_risk = np.cumsum(np.bincount(idx, weights=w, minlength=k + 1)[::-1])[::-1][1:]
    if entry is not None:  # minus those who came under observation at t or later
        e = np.minimum(as_array("entry", entry), k).astype(int)
        at_risk = at_risk - np.cumsum(np.bincount(e, weights=w, minlength=k + 1)[::-1])[::-1][1:]
    lost = np.bincount(idx, weights=w * (c == 1), minlength=k + 1)[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        retention = np.where(at_risk > 0, 1.0 - lost / at_risk, np.nan)
    return pd.DataFrame({"period": np.arange(1, k + 1), "at_risk": at_risk, "churned": lost,
                         "retention": retention, "survival": np.cumprod(np.nan_to_num(retention, nan=1.0))})
