"""Simulate customers from a transaction model's own process (vectorised, no loop per customer).

Each function draws every customer's latent rates and returns the calibration summary
``frequency, recency, T`` (the model's fit input), the purchases in a following holdout of
length ``t_holdout`` (``frequency_holdout``) and whether the customer is alive at ``T``.

* BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam et al. 2007): ``lambda ~ Gamma(r,
  alpha)``, ``p ~ Beta(a, b)``. Over the window ``W = T + t_holdout`` the Poisson process would
  make ``N ~ Poisson(lambda W)`` purchases; the customer drops out right after repeat purchase
  ``D`` (``D ~ Geometric(p)`` >= 1; MBG/NBD: ``D - 1`` >= 0, i.e. possibly at the first
  purchase), so only the first ``K = min(N, D)`` happen. Given N, the number of those N
  Poisson points in ``(0, T]`` is ``Binomial(N, T/W)`` = m; ``x = min(m, K)`` fall in the
  calibration period, ``K - x`` in the holdout, and the x-th of m uniform points on ``(0, T]`` is
  ``T * Beta(x, m - x + 1)``. Alive at T means ``D > m``.
* Pareto/NBD (Schmittlein et al. 1987): ``lambda ~ Gamma(r, alpha)``, ``mu ~ Gamma(s, beta)``,
  lifetime ``tau ~ Exp(mu)``; ``x ~ Poisson(lambda min(tau, T))``, the last of x uniform points
  on that window is its length times ``U^(1/x)``; holdout purchases ``Poisson(lambda (min(tau, W) -
  min(tau, T)))``. Alive at T means ``tau > T``.
* BG/BB (Fader, Hardie & Shang 2010): ``p ~ Beta(alpha, beta)``, ``theta ~ Beta(gamma, delta)``;
  the customer is alive at opportunity i after surviving i transitions, ``G = Geometric(theta) - 1``
  of them, and transacts with probability p at each opportunity while alive. Alive "at T"
  follows the paper's P(alive): alive at opportunity ``T + 1``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _sizes(T: np.ndarray | float, size: int | None) -> np.ndarray:
    ages = np.atleast_1d(np.asarray(T, dtype=float))
    if size is not None and ages.size == 1:
        ages = np.full(int(size), float(ages[0]))
    if np.any(ages < 0) or not np.all(np.isfinite(ages)):
        raise ValueError("The 'T' argument must hold finite ages >= 0.")
    return ages


def simulate_bgnbd(theta: np.ndarray, T: np.ndarray | float, size: int | None = None, t_holdout: float = 0.0,
                   seed: int | None = None, shift: int = 0) -> pd.DataFrame:
    """Customers of a BG/NBD (``shift=0``) or MBG/NBD (``shift=1``) model with parameters (r, alpha, a, b)."""
    r, alpha, a, b = (float(v) for v in theta)
    rng = np.random.default_rng(seed)
    ages = _sizes(T, size)
    k = ages.size
    lam = rng.gamma(r, 1.0 / alpha, k)
    p = rng.beta(a, b, k)
    window = ages + t_holdout
    n_all = rng.poisson(lam * window)
    drop = rng.geometric(p) - shift  # purchases made before dropping out (repeat purchases)
    made = np.minimum(n_all, drop)
    share = np.divide(ages, window, out=np.ones_like(ages), where=window > 0)
    m = rng.binomial(n_all, share)
    x = np.minimum(m, made)
    pos = x > 0
    recency = np.zeros(k)
    recency[pos] = ages[pos] * rng.beta(x[pos], m[pos] - x[pos] + 1)
    return pd.DataFrame({"frequency": x.astype(float), "recency": recency, "T": ages,
                         "frequency_holdout": (made - x).astype(float), "alive": drop > m,
                         "purchase_rate": lam, "dropout_probability": p})


def simulate_pareto_nbd(theta: np.ndarray, T: np.ndarray | float, size: int | None = None,
                        t_holdout: float = 0.0, seed: int | None = None) -> pd.DataFrame:
    """Customers of a Pareto/NBD model with parameters (r, alpha, s, beta)."""
    r, alpha, s, beta = (float(v) for v in theta)
    rng = np.random.default_rng(seed)
    ages = _sizes(T, size)
    k = ages.size
    lam = rng.gamma(r, 1.0 / alpha, k)
    mu = rng.gamma(s, 1.0 / beta, k)
    tau = rng.exponential(1.0, k) / mu
    cal = np.minimum(tau, ages)
    hold = np.minimum(tau, ages + t_holdout) - cal
    x = rng.poisson(lam * cal)
    pos = x > 0
    recency = np.zeros(k)
    recency[pos] = cal[pos] * rng.random(int(pos.sum())) ** (1.0 / x[pos])
    return pd.DataFrame({"frequency": x.astype(float), "recency": recency, "T": ages,
                         "frequency_holdout": rng.poisson(lam * hold).astype(float), "alive": tau > ages,
                         "purchase_rate": lam, "dropout_rate": mu})


def simulate_bgbb(theta: np.ndarray, T: np.ndarray | float, size: int | None = None, t_holdout: float = 0,
                  seed: int | None = None) -> pd.DataFrame:
    """Customers of a BG/BB model with parameters (alpha, beta, gamma, delta); T = opportunities."""
    al, be, ga, de = (float(v) for v in theta)
    rng = np.random.default_rng(seed)
    ages = _sizes(T, size)
    if np.any(ages != np.round(ages)) or t_holdout != round(t_holdout):
        raise ValueError("BG/BB counts whole opportunities: 'T' and 't_holdout' must be whole numbers.")
    k = ages.size
    p = rng.beta(al, be, k)
    theta_ = rng.beta(ga, de, k)
    survived = rng.geometric(theta_) - 1  # transitions survived: alive at opportunities 1..survived
    width = int(ages.max(initial=0.0)) + int(t_holdout)
    x = np.zeros(k)
    hold = np.zeros(k)
    recency = np.zeros(k)
    for i in range(1, width + 1):  # loop over opportunities (a handful), vectorised over customers
        buy = (i <= survived) & (rng.random(k) < p)
        cal = buy & (i <= ages)
        x += cal
        recency = np.where(cal, float(i), recency)
        hold += buy & (i > ages) & (i <= ages + t_holdout)
    return pd.DataFrame({"frequency": x, "recency": recency, "T": ages, "frequency_holdout": hold,
                         "alive": survived >= ages + 1, "transaction_probability": p,
                         "dropout_probability": theta_, "survived": survived})
