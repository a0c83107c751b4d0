"""Batched numerical core of PLS path modelling (Lohmöller's algorithm), on covariance matrices.

With mode A or B blocks and the centroid, factorial or path scheme, everything PLS-PM estimates
(outer weights, loadings, cross-loadings, construct correlations, inner paths, R squared, GoF)
is a function of the ``(p, p)`` covariance matrix ``C = X'X / n`` of the treated data ``X``
(centred, or standardised), not of the ``n`` rows themselves: with ``W`` the outer weights and
``Y = X W`` the composites,

- ``var(Y_l) = W_l' C W_l`` and ``cor(Y) = W' C W`` for unit-variance composites;
- mode A: ``w_j = X_j' Z_j / n = (C W E)_j`` with ``Z = Y E`` the inner estimate;
- mode B: ``w_j = (X_j' X_j)^-1 X_j' Z_j = C_jj^-1 (C W E)_j``;
- cross-loadings ``cor(x_i, Y_l) = (C W)_il / sqrt(C_ii)``.

So every function works on a *stack* of covariance matrices ``(B, p, p)``: the same code fits
one model (``B = 1``), the bootstrap resamples, the jackknife samples and the permutations of a
group test, each a ``p x p`` problem whatever the number of respondents (the resamples' moments
come from :mod:`loyalscope.models.survey.moments`). The estimator in
:mod:`loyalscope.models.survey.plspm` wraps it and adds the respondents' scores ``X W``.

Conventions (as in R ``plspm``, Sanchez 2013):

- ``odm`` is the ``(p, L)`` outer design matrix: ``odm[i, j] = 1`` when manifest ``i`` belongs
  to block ``j``;
- ``path`` is the ``(L, L)`` inner design matrix: ``path[i, j] = 1`` means ``j -> i``;
- variances are population ones (divisor ``n``), as plspm's ``sdv`` correction.

Reference: Lohmöller, J.-B. (1989), *Latent Variable Path Modeling with Partial Least
Squares*; Sanchez, G. (2013), *PLS Path Modeling with R*, ch. 4 and the plspm sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from loyalscope.models.survey.plsc import Consistent

SCHEMES = ("centroid", "factorial", "path")


def _popsd(a: np.ndarray) -> np.ndarray:
    """Population standard deviation over axis 1 (the respondents), keeping dims."""
    sd = np.sqrt(np.mean((a - a.mean(axis=1, keepdims=True)) ** 2, axis=1, keepdims=True))
    return np.where(sd > 0, sd, 1.0)


def treat_data(x: np.ndarray, scaled: bool) -> np.ndarray:
    """Centre each manifest variable; when ``scaled`` also divide by its population sd.

    ``scaled=False`` is plspm's ``scaled = FALSE``: the variables are only centred.
    """
    xc = x - x.mean(axis=1, keepdims=True)
    return xc / _popsd(xc) if scaled else xc


def cross_product(x: np.ndarray) -> np.ndarray:
    """``X'X / n`` of a stack ``(B, n, p)``: the covariance matrices of centred data (BLAS)."""
    return np.matmul(x.transpose(0, 2, 1), x) / x.shape[1]


def _sd(cov: np.ndarray) -> np.ndarray:
    """Standard deviations (B, p) from covariances (B, p, p); 1 for a constant variable."""
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    return np.where(sd > 0, sd, 1.0)


def treat_cov(cov: np.ndarray, scaled: bool) -> np.ndarray:
    """The covariance of the treated data (:func:`treat_data`) from the raw covariance (B, p, p).

    Centring leaves a covariance unchanged; standardising turns it into the correlation matrix
    (a constant variable keeps its zero row, as ``treat_data`` divides it by 1).
    """
    if not scaled:
        return cov
    sd = _sd(cov)
    return cov / sd[:, :, None] / sd[:, None, :]


def _composite_sd(cov: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Population sd (B, 1, L) of the composites ``X w``: ``sqrt(w_l' C w_l)``; 1 when zero."""
    var = np.einsum("bpl,bpl->bl", w, cov @ w)
    sd = np.sqrt(np.clip(var, 0.0, None))
    return np.where(sd > 0, sd, 1.0)[:, None, :]


def _inner_weights(corr: np.ndarray, path: np.ndarray, scheme: str) -> np.ndarray:
    """Inner weight matrices ``E`` (B, L, L) so that the inner estimate is ``Z = Y E``."""
    adj = path + path.T
    if scheme == "centroid":
        return np.sign(corr) * adj
    if scheme == "factorial":
        return corr * adj
    # path weighting: predecessors of k get the coefficients of regressing Y_k on them,
    # successors of k get their correlation with Y_k
    e = np.zeros_like(corr)
    for k in range(path.shape[0]):
        pred = np.flatnonzero(path[k] == 1)
        succ = np.flatnonzero(path[:, k] == 1)
        if pred.size:
            rpp = corr[:, pred[:, None], pred[None, :]]
            rpk = corr[:, pred, k]
            e[:, pred, k] = np.linalg.solve(rpp, rpk[..., None])[..., 0]
        if succ.size:
            e[:, succ, k] = corr[:, k, succ]
    return e


@dataclass
class WeightsResult:
    """Outer weights (B, p, L) normalised so that ``X W`` has unit population variance."""

    w: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def outer_weights(
    cov: np.ndarray,
    odm: np.ndarray,
    path: np.ndarray,
    modes: list[str],
    scheme: str,
    tol: float,
    maxiter: int,
) -> WeightsResult:
    """Iterate outer and inner estimation until the weights change by less than ``tol``.

    ``cov`` (B, p, p) is ``X'X / n`` of the treated data. With ``Y = X W / sd`` standardised,
    ``R = cor(Y)`` and ``E`` the scheme's inner weights, mode A gives ``W_new = C W E / sd`` on
    each block and mode B ``C_jj^-1 (C W E / sd)_j``. Stops a sample when
    ``sum((|w_old| - |w_new|)^2) < tol`` (plspm's criterion); a sample that has not met it after
    ``maxiter`` iterations is marked not converged.
    """
    b = cov.shape[0]
    n_lv = odm.shape[1]
    w = np.broadcast_to(odm, (b, *odm.shape)).astype(float).copy()
    w /= _composite_sd(cov, w)
    w_old = w.sum(axis=2)
    iterations = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.arange(b)
    mode_b = [j for j in range(n_lv) if modes[j] == "B"]
    for it in range(1, maxiter + 1):
        ca = cov[active]
        wa = w[active]
        cw = ca @ wa
        sd = _composite_sd(ca, wa)
        ws = wa / sd
        cws = cw / sd
        corr = np.matmul(ws.transpose(0, 2, 1), cws)
        target = cws @ _inner_weights(corr, path, scheme)  # X'Z / n
        w_new = target * odm
        for j in mode_b:
            cols = np.flatnonzero(odm[:, j])
            gram = ca[:, cols[:, None], cols[None, :]]
            w_new[:, cols, j] = np.linalg.solve(gram, target[:, cols, j][..., None])[..., 0]
        flat = w_new.sum(axis=2)
        dif = ((np.abs(w_old[active]) - np.abs(flat)) ** 2).sum(axis=1)
        w[active] = w_new
        w_old[active] = flat
        iterations[active] = it
        done = dif < tol
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    w /= _composite_sd(cov, w)
    return WeightsResult(w=w, iterations=iterations, converged=converged)


@dataclass
class Estimates:
    """Everything estimated from the weights, each with a leading sample axis B."""

    weights: np.ndarray  # (B, p, L), zero outside the block
    lv_corr: np.ndarray  # (B, L, L)
    cross_loadings: np.ndarray  # (B, p, L) correlations of every manifest with every LV
    loadings: np.ndarray  # (B, p) correlation of each manifest with its own LV
    path_coefs: np.ndarray  # (B, L, L), [i, j] = direct effect of j on i
    r2: np.ndarray  # (B, L), NaN for exogenous LVs
    gof: np.ndarray  # (B,)
    scores: np.ndarray | None = None  # (B, n, L), mean 0, population variance 1, when fitted on rows
    pls: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # plain PLS (path_coefs, r2, loadings)
    plsc: Consistent | None = None  # PLSc estimates (rho_A, admissibility ...)


def estimate(cov: np.ndarray, w: np.ndarray, odm: np.ndarray, path: np.ndarray) -> Estimates:
    """Loadings, construct correlations, inner-model OLS, R squared and GoF from outer weights ``w``.

    ``cov`` (B, p, p) is ``X'X / n`` of the treated data, ``w`` the unit-variance weights.
    Cross-loadings are ``(C W)_il / sqrt(C_ii)``, construct correlations ``W' C W``. Path
    coefficients of each endogenous LV are the OLS coefficients of its standardised score on the
    scores of its predecessors, ``beta = R_PP^{-1} r_P``, with ``R^2 = beta' r_P``. GoF
    (Tenenhaus et al. 2004) is ``sqrt(mean communality x mean R^2)``, the communalities averaged
    over the manifests of blocks with more than one indicator and ``R^2`` over the endogenous LVs.
    """
    b = cov.shape[0]
    n_lv = odm.shape[1]
    cw = cov @ w
    cross = cw / _sd(cov)[..., None]
    # sign indeterminacy: make most indicators correlate positively with their LV (plspm)
    sign = np.sign(np.sign(cross * odm).sum(axis=1))
    sign[sign == 0] = -1
    w = w * sign[:, None, :]
    cross = cross * sign[:, None, :]
    loadings = (cross * odm).sum(axis=2)
    lv_corr = np.matmul(w.transpose(0, 2, 1), cw * sign[:, None, :])
    coefs = np.zeros((b, n_lv, n_lv))
    r2 = np.full((b, n_lv), np.nan)
    for i in range(n_lv):
        pred = np.flatnonzero(path[i] == 1)
        if pred.size == 0:
            continue
        rpp = lv_corr[:, pred[:, None], pred[None, :]]
        rpi = lv_corr[:, pred, i]
        beta = np.linalg.solve(rpp, rpi[..., None])[..., 0]
        coefs[:, i, pred] = beta
        r2[:, i] = (beta * rpi).sum(axis=1)
    multi = odm[:, odm.sum(axis=0) > 1].sum(axis=1) > 0
    endo = path.sum(axis=1) > 0
    mean_comm = (loadings[:, multi] ** 2).mean(axis=1)
    gof = np.sqrt(mean_comm * r2[:, endo].mean(axis=1))
    return Estimates(w, lv_corr, cross, loadings, coefs, r2, gof)


def total_effects(path_coefs: np.ndarray) -> np.ndarray:
    """Total effects ``(I - B)^{-1} - I`` of a recursive model, ``[..., i, j]`` = j on i."""
    n_lv = path_coefs.shape[-1]
    eye = np.eye(n_lv)
    return np.linalg.inv(eye - path_coefs) - eye
