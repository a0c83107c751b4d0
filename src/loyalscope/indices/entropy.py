"""Entropy weight method (熵权法): objective weights from how much each indicator varies.

For ``n`` objects and ``m`` indicators:

1. min-max normalise each column, direction-aware: ``x' = (x - min) / (max - min)`` for a
   positive indicator, ``(max - x) / (max - min)`` for a negative one;
2. ``p_ij = x'_ij / sum_i x'_ij``;
3. entropy ``e_j = -(1 / ln n) * sum_i p_ij ln p_ij`` with ``0 ln 0 = 0``;
4. ``d_j = 1 - e_j``; weight ``w_j = d_j / sum_j d_j``.

A constant column carries no information and gets weight 0. Rows with a missing value are
left out.

Reference: Zou, Z., Yun, Y. & Sun, J. (2006). Entropy method for determination of weight of
evaluating indicators in fuzzy synthetic evaluation. *J. Environmental Sciences* 18(5).
"""

from __future__ import annotations

import numpy as np

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t


def minmax(x: np.ndarray, positive: bool = True) -> np.ndarray:
    """Direction-aware min-max scaling of a vector to 0-1 (a constant vector -> zeros)."""
    lo, hi = np.nanmin(x), np.nanmax(x)
    if hi == lo:
        return np.zeros_like(x, dtype=float)
    z = (x - lo) / (hi - lo)
    return z if positive else 1.0 - z


def entropy_weights(x: np.ndarray, positive: np.ndarray | list[bool] | None = None) -> np.ndarray:
    """Entropy weights of the columns of ``x`` (n x m); ``positive[j]`` False = lower is better."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    n, m = x.shape
    if n < 2:
        raise InsufficientDataError(
            t("models.errors.entropy_too_few", n=n), fix=t("models.errors.entropy_too_few_fix"),
        )
    pos = np.ones(m, dtype=bool) if positive is None else np.asarray(positive, dtype=bool)
    z = np.column_stack([minmax(x[:, j], bool(pos[j])) for j in range(m)])
    d = np.zeros(m)
    for j in range(m):
        s = z[:, j].sum()
        if s == 0:
            continue  # constant column: no information
        p = z[:, j] / s
        nz = p[p > 0]
        e = -(nz * np.log(nz)).sum() / np.log(n)
        d[j] = 1.0 - e
    if d.sum() == 0:
        return np.full(m, 1.0 / m)
    return d / d.sum()
