"""Consistent PLS (PLSc; Dijkstra & Henseler 2015), batched over a stack of data sets.

PLS path coefficients are attenuated when the constructs are common factors measured with
error: the composite ``Y_j = X_j w_j`` is not the factor. PLSc corrects the construct
correlations with each common factor's reliability and re-estimates the inner model on them.

For a block treated as a common factor, with mode A weights ``w`` scaled so that the composite
has unit variance (``w' S w = 1``, ``S`` the indicator correlation matrix of the block)::

    c^2   = w' (S - diag S) w / w' (w w' - diag(w w')) w
    rho_A = (w' w)^2 c^2                                   (Dijkstra-Henseler's rho_A)
    lambda = c w                                           (consistent loadings)

and the construct correlations are ``r*_ij = r_ij / sqrt(Q_i Q_j)`` with ``Q = rho_A`` for common
factors and ``Q = 1`` for composites (mode B blocks, and single-indicator blocks). Path
coefficients are OLS on ``r*``: ``beta = R*_PP^-1 r*_P``, ``R^2 = beta' r*_P``.

An estimate is *inadmissible* (cSEM's ``verify``) when a reliability exceeds 1, a standardised
loading exceeds 1 in absolute value or the corrected construct correlation matrix is not
positive definite.

Reference: Dijkstra, T. K. & Henseler, J. (2015). Consistent partial least squares path
modeling. MIS Quarterly 39(2), 297-316.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Consistent:
    """PLSc estimates with a leading sample axis B."""

    rho_a: np.ndarray  # (B, L): rho_A of every block (1 for single-indicator blocks)
    reliability: np.ndarray  # (B, L): Q used in the correction (rho_A or 1)
    loadings: np.ndarray  # (B, p): consistent loadings (common factors), PLS loadings otherwise
    construct_corr: np.ndarray  # (B, L, L)
    path_coefs: np.ndarray  # (B, L, L)
    r2: np.ndarray  # (B, L), NaN for exogenous constructs
    admissible: np.ndarray  # (B,)


def inner_ols(corr: np.ndarray, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficients ``[b, i, j]`` (j on i) and R squared from construct correlations (B, L, L)."""
    b, n_lv = corr.shape[0], corr.shape[1]
    coefs = np.zeros((b, n_lv, n_lv))
    r2 = np.full((b, n_lv), np.nan)
    for i in range(n_lv):
        pred = np.flatnonzero(path[i] == 1)
        if pred.size == 0:
            continue
        rpp = corr[:, pred[:, None], pred[None, :]]
        rpi = corr[:, pred, i]
        try:
            beta = np.linalg.solve(rpp, rpi[..., None])[..., 0]
        except np.linalg.LinAlgError:
            beta = np.full(rpi.shape, np.nan)
        coefs[:, i, pred] = beta
        r2[:, i] = (beta * rpi).sum(axis=1)
    return coefs, r2


def consistent(cov: np.ndarray, weights: np.ndarray, lv_corr: np.ndarray, pls_loadings: np.ndarray,
               odm: np.ndarray, path: np.ndarray, common: np.ndarray) -> Consistent:
    """PLSc from the PLS estimates of a stack.

    Parameters
    ----------
    cov : (B, p, p) ``X'X / n`` of the data the weights apply to (centred, or standardised).
    weights : (B, p, L) outer weights (zero outside the block), composites ``X @ w`` of unit variance.
    lv_corr : (B, L, L) correlations of the composites.
    pls_loadings : (B, p) PLS loadings (kept for composites).
    odm : (p, L) outer design matrix; path : (L, L) inner design matrix.
    common : (L,) bool, the blocks treated as common factors.
    """
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))  # (B, p)
    sd = np.where(sd > 0, sd, 1.0)
    s = cov / sd[:, :, None] / sd[:, None, :]  # indicator correlations (B, p, p)
    w = weights * sd[:, :, None] * odm  # weights on standardised indicators
    var = (w * (s @ w)).sum(axis=1)
    w = w / np.sqrt(np.where(var > 0, var, 1.0))[:, None, :]
    diag = np.diagonal(s, axis1=1, axis2=2)  # (B, p)
    wsw = (w * (s @ w)).sum(axis=1)
    off_s = wsw - np.einsum("bpl,bp->bl", w ** 2, diag)
    ww = (w ** 2).sum(axis=1)  # w'w (B, L)
    off_w = ww ** 2 - (w ** 4).sum(axis=1)
    multi = odm.sum(axis=0) > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        c2 = np.where(multi, off_s / np.where(off_w > 0, off_w, np.nan), np.nan)
    c = np.sqrt(np.where(c2 > 0, c2, np.nan))
    rho_a = np.where(multi, ww ** 2 * c2, 1.0)
    use = common & multi
    q = np.where(use, rho_a, 1.0)
    consistent_loadings = (w * np.where(use, c, 0.0)[:, None, :]).sum(axis=2)
    own_common = (odm * use).sum(axis=1) > 0  # indicators of corrected blocks
    loadings = np.where(own_common, consistent_loadings, pls_loadings)
    with np.errstate(invalid="ignore"):
        scale = np.sqrt(q[:, :, None] * q[:, None, :])
        corr = lv_corr / scale
    idx = np.arange(corr.shape[1])
    corr[:, idx, idx] = 1.0
    coefs, r2 = inner_ols(np.nan_to_num(corr, nan=0.0), path)
    finite = np.all(np.isfinite(q), axis=1) & np.all(np.isfinite(corr), axis=(1, 2))
    eig_ok = np.zeros(corr.shape[0], dtype=bool)
    eig_ok[finite] = np.linalg.eigvalsh(corr[finite]).min(axis=1) > 0
    admissible = (finite & eig_ok & np.all(q <= 1.0 + 1e-12, axis=1)
                  & np.all(np.abs(np.nan_to_num(loadings, nan=2.0)) <= 1.0 + 1e-12, axis=1))
    return Consistent(rho_a, q, loadings, corr, coefs, r2, admissible)
