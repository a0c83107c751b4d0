"""Bootstrap confidence intervals for a fitted :class:`~loyalscope.models.survey.plspm.PLSPM`.

Resamples respondents with replacement and refits the whole model (weights included) on all
resamples at once with the batched core. Intervals (Efron & Tibshirani 1993, ch. 13-14):

- percentile: the ``alpha/2`` and ``1 - alpha/2`` quantiles of the bootstrap estimates;
- BCa: quantiles at ``Phi(z0 + (z0 + z_q) / (1 - a (z0 + z_q)))``, with bias correction
  ``z0 = Phi^-1(#{theta_b < theta_hat} / B)`` and acceleration from the jackknife,
  ``a = sum(d^3) / (6 (sum d^2)^1.5)``, ``d = mean(theta_(i)) - theta_(i)``.

Resamples on which the iterations did not converge, or (under PLSc) whose estimates are
inadmissible, are dropped (their count is in ``attrs["n_failed"]``; cSEM's
``.handle_inadmissibles = "drop"``). Under PLSc the paths, loadings and R squared are the
consistent ones, and rho_A of each mode A block is bootstrapped too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

if TYPE_CHECKING:
    from loyalscope.models.survey.plspm import PLSPM

_CHUNK_CELLS = 4_000_000  # data cells per batched fit, bounds memory (about 32 MB per array)


def _param_names(model: PLSPM) -> list[tuple[str, str]]:
    names = [("path", f"{a} -> {b}") for a, b in model._edges]
    names += [("weight", mv) for mv in model._mvs]
    names += [("loading", mv) for mv in model._mvs]
    names += [("r2", lv) for lv in model.r2_.index]
    names.append(("gof", "GoF"))
    names += [("rho_a", lv) for lv, mode in zip(model._lvs, model._modes, strict=True) if mode == "A"]
    return names


def _stack_params(model: PLSPM, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit every data set of the stack ``raw`` (B, n, p); return (params (B, k), converged (B,))."""
    lvs = model._lvs
    src = np.array([lvs.index(a) for a, _ in model._edges])
    dst = np.array([lvs.index(b) for _, b in model._edges])
    endo = np.array([lvs.index(lv) for lv in model.r2_.index], dtype=int)
    mode_a = np.array([j for j, mode in enumerate(model._modes) if mode == "A"], dtype=int)
    chunk = max(1, _CHUNK_CELLS // (raw.shape[1] * raw.shape[2]))
    out, ok = [], []
    for start in range(0, raw.shape[0], chunk):
        est, res = model.fit_stack(raw[start:start + chunk])
        weights = (est.weights * model._odm).sum(axis=2)
        assert est.plsc is not None
        out.append(np.concatenate([est.path_coefs[:, dst, src], weights, est.loadings,
                                   est.r2[:, endo], est.gof[:, None], est.plsc.rho_a[:, mode_a]], axis=1))
        ok.append(res.converged & (est.plsc.admissible if model.consistent_ else True))
    return np.concatenate(out), np.concatenate(ok)


def _jackknife(model: PLSPM, raw: np.ndarray) -> np.ndarray:
    n = raw.shape[0]
    keep = ~np.eye(n, dtype=bool)
    idx = np.nonzero(keep)[1].reshape(n, n - 1)
    params, _ = _stack_params(model, raw[idx])
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
    """
    raw = model._raw_
    n = raw.shape[0]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_boot, n))
    boot, ok = _stack_params(model, raw[draws])
    boot = boot[ok]
    theta, _ = _stack_params(model, raw[None])
    theta = theta[0]
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
        jack = _jackknife(model, raw)
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
