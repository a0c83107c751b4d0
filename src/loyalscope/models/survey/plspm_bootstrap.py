"""Bootstrap confidence intervals for a fitted :class:`~loyalscope.models.survey.plspm.PLSPM`.

Resamples respondents with replacement and refits the whole model (weights included) on every
resample. PLS-PM and PLSc depend on the data only through the indicators' covariance matrix, so
a resample is its ``p x p`` covariance, computed from the resample's counts for a batch of
resamples in one matrix product (:mod:`loyalscope.models.survey.moments`), and the refits run
batched on the stack of those matrices (:meth:`PLSPM.fit_moments`): the cost is linear in the
respondents and the memory bounded by blocks, never a resamples x respondents x items array.
Intervals (Efron & Tibshirani 1993, ch. 13-14):

- percentile: the ``alpha/2`` and ``1 - alpha/2`` quantiles of the bootstrap estimates;
- BCa: quantiles at ``Phi(z0 + (z0 + z_q) / (1 - a (z0 + z_q)))``, with bias correction
  ``z0 = Phi^-1(#{theta_b < theta_hat} / B)`` and acceleration from the jackknife,
  ``a = sum(d^3) / (6 (sum d^2)^1.5)``, ``d = mean(theta_(i)) - theta_(i)`` (the ``n``
  leave-one-out covariances are the full sums minus one respondent's products).

The resamples are the rows of ``numpy.random.default_rng(seed).integers(0, n, size=(B, n))``
(drawn a few rows at a time), so a loop of refits on ``data[draws[b]]`` reproduces each one.
Resamples on which the iterations did not converge, or (under PLSc) whose estimates are
inadmissible, are dropped (their count is in ``attrs["n_failed"]``; cSEM's
``.handle_inadmissibles = "drop"``). Under PLSc the paths, loadings and R squared are the
consistent ones, and rho_A of each mode A block is bootstrapped too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.survey.moments import Moments, bootstrap_counts

if TYPE_CHECKING:
    from loyalscope.models.survey.plspm import PLSPM
    from loyalscope.models.survey.plspm_core import Estimates, WeightsResult

_FIT_CELLS = 4_000_000
"""Covariance cells per batched refit (about 32 MB per intermediate array)."""


def _param_names(model: PLSPM) -> list[tuple[str, str]]:
    names = [("path", f"{a} -> {b}") for a, b in model._edges]
    names += [("weight", mv) for mv in model._mvs]
    names += [("loading", mv) for mv in model._mvs]
    names += [("r2", lv) for lv in model.r2_.index]
    names.append(("gof", "GoF"))
    names += [("rho_a", lv) for lv, mode in zip(model._lvs, model._modes, strict=True) if mode == "A"]
    return names


def _params(model: PLSPM, est: Estimates, res: WeightsResult) -> tuple[np.ndarray, np.ndarray]:
    """Parameters (B, k) in :func:`_param_names` order and whether each sample is usable (B,)."""
    lvs = model._lvs
    src = np.array([lvs.index(a) for a, _ in model._edges])
    dst = np.array([lvs.index(b) for _, b in model._edges])
    endo = np.array([lvs.index(lv) for lv in model.r2_.index], dtype=int)
    mode_a = np.array([j for j, mode in enumerate(model._modes) if mode == "A"], dtype=int)
    weights = (est.weights * model._odm).sum(axis=2)
    assert est.plsc is not None
    params = np.concatenate([est.path_coefs[:, dst, src], weights, est.loadings,
                             est.r2[:, endo], est.gof[:, None], est.plsc.rho_a[:, mode_a]], axis=1)
    return params, res.converged & (est.plsc.admissible if model.consistent_ else True)


def _fit_params(model: PLSPM, covs: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Refit on every covariance matrix of ``covs`` (blocks of (K, p, p)); (params, usable)."""
    out, ok = [], []
    for cov in covs:
        step = max(1, _FIT_CELLS // cov[0].size)
        for start in range(0, cov.shape[0], step):
            params, good = _params(model, *model.fit_moments(cov[start:start + step]))
            out.append(params)
            ok.append(good)
    return np.concatenate(out), np.concatenate(ok)


def resample_covariances(model: PLSPM, n_boot: int, seed: int | None) -> np.ndarray:
    """Raw covariance matrices (n_boot, p, p) of the bootstrap resamples of the model's data.

    With a seed the result is kept on the model, so the path bootstrap and the HTMT interval
    of the same seed and size share one pass over the data.
    """
    cache: dict[tuple[int, int], np.ndarray] = model._resample_cache_
    key = (n_boot, seed) if seed is not None else None
    if key is not None and key in cache:
        return cache[key]
    moments = Moments(model._raw_)
    rng = np.random.default_rng(seed)
    n = moments.n
    covs = np.concatenate([moments.weighted(c, n) for c in bootstrap_counts(rng, n, n_boot, moments.batch_size())])
    if key is not None:
        cache.clear()
        cache[key] = covs
    return covs


def _jackknife(model: PLSPM) -> np.ndarray:
    params, _ = _fit_params(model, Moments(model._raw_).jackknife())
    return params


def bootstrap(model: PLSPM, n_boot: int = 1000, seed: int | None = None, level: float = 0.95,
              bca: bool = True) -> pd.DataFrame:
    """Bootstrap a fitted model.

    Parameters
    ----------
    model : PLSPM
        A fitted model; its data are resampled.
    n_boot : int
        Number of resamples.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the same seed gives the same table.
    level : float
        Confidence level of the intervals.
    bca : bool
        Also compute BCa intervals (needs ``n`` jackknife refits).

    Returns
    -------
    DataFrame
        Indexed by (kind, name) with kind in path, weight, loading, r2, gof; columns
        estimate, boot_mean, std_error, perc_lo, perc_hi, bca_lo, bca_hi.

    Raises
    ------
    InsufficientDataError
        If no resample converged to an admissible estimate.
    """
    boot, ok = _fit_params(model, [resample_covariances(model, n_boot, seed)])
    if not ok.any():
        raise InsufficientDataError(t("survey_model.errors.boot_all_failed", n=n_boot),
                                    fix=t("survey_model.errors.boot_all_failed_fix"))
    boot = boot[ok]
    theta = _params(model, *model.fit_stack(model._raw_[None]))[0][0]
    alpha = (1 - level) / 2
    table = pd.DataFrame({
        "estimate": theta,
        "boot_mean": boot.mean(axis=0),
        "std_error": boot.std(axis=0, ddof=1),
        "perc_lo": np.quantile(boot, alpha, axis=0),
        "perc_hi": np.quantile(boot, 1 - alpha, axis=0),
    }, index=pd.MultiIndex.from_tuples(_param_names(model), names=["kind", "name"]))
    if bca:
        prop = (boot < theta).mean(axis=0) + 0.5 * (boot == theta).mean(axis=0)
        z0 = ndtri(np.clip(prop, 1 / (len(boot) + 1), 1 - 1 / (len(boot) + 1)))
        jack = _jackknife(model)
        d = jack.mean(axis=0) - jack
        denom = 6 * (d ** 2).sum(axis=0) ** 1.5
        accel = np.divide((d ** 3).sum(axis=0), denom, out=np.zeros_like(denom), where=denom > 0)
        for col, q in (("bca_lo", alpha), ("bca_hi", 1 - alpha)):
            zq = ndtri(q)
            adj = ndtr(z0 + (z0 + zq) / (1 - accel * (z0 + zq)))
            table[col] = [np.quantile(boot[:, k], adj[k]) for k in range(boot.shape[1])]
    table.attrs["n_boot"] = int(ok.sum())
    table.attrs["n_failed"] = int((~ok).sum())
    table.attrs["level"] = level
    return table
