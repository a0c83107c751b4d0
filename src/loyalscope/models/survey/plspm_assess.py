"""Assessment of a fitted PLS path model beyond reliability: inner-model VIF, HTMT with its
bootstrap interval, Q-squared by blindfolding and PLSpredict (what SmartPLS reports).

- **Inner VIF** of predictor k of construct i: ``VIF_k = [R_PP^-1]_kk`` from the construct
  correlations of i's predictors (disattenuated under PLSc), i.e. ``1 / (1 - R^2_k)`` of k on the
  other predictors (Hair et al. 2017: values above 5 signal collinearity; 3 as a stricter cut).
- **HTMT** (Henseler, Ringle & Sarstedt 2015) on every bootstrap resample of the respondents
  (from the resample's indicator correlation matrix, built from its counts without copying the
  rows; the resamples of :func:`~loyalscope.models.survey.plspm_bootstrap.bootstrap` with the
  same seed and size): percentile interval; discriminant validity is supported when the upper
  bound is below 1 (HTMT_inference) or below 0.85 / 0.90.
- **Q-squared** (Stone 1974, Geisser 1974), cross-validated redundancy by blindfolding with
  omission distance D (default 7): in round d the data points ``k = i * K + m`` (respondent i,
  item m of the K items of an endogenous block) with ``k mod D = d`` are replaced by the item
  mean, the model is re-estimated, and each omitted point is predicted from its construct's
  predecessors, ``x_hat = mean + sd * loading * sum_j beta_j Y_j`` (PLS estimates, standardised
  scores). ``Q^2 = 1 - SSE / SSO`` with ``SSO`` the squared deviations from the item mean.
- **PLSpredict** (Shmueli et al. 2016; Shmueli et al. 2019): k-fold cross-validation; in each
  fold the model is fitted on the training folds, the exogenous constructs' scores of the test
  cases are built from their items with the training weights, the endogenous scores predicted
  with the total effects of the exogenous constructs (the "earliest antecedents" approach), and
  each endogenous item predicted by its training regression on its construct. The benchmark
  (LM) regresses each endogenous item on all exogenous items. Per item: RMSE and MAE of both,
  and ``Q^2_predict = 1 - SSE_PLS / SSE_mean`` against the training mean.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from loyalscope.models.survey.plspm_bootstrap import resample_covariances
from loyalscope.models.survey.plspm_core import cross_product, treat_cov, treat_data

if TYPE_CHECKING:
    from loyalscope.models.survey.plspm import PLSPM


def inner_vif(model: PLSPM) -> pd.DataFrame:
    """Columns target, source, vif (one row per path of a construct with two or more predictors)."""
    model._check()
    corr = model.construct_corr_
    rows = []
    for target in model._lvs:
        preds = [a for a, b in model._edges if b == target]
        if len(preds) < 2:
            continue
        inv = np.linalg.inv(corr.loc[preds, preds].to_numpy())
        rows += [{"target": target, "source": p, "vif": float(inv[k, k])} for k, p in enumerate(preds)]
    return pd.DataFrame(rows, columns=["target", "source", "vif"])


def _htmt_stack(corr: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """HTMT (B, L, L) from indicator correlation matrices (B, p, p); NaN on the diagonal and for
    single-item blocks."""
    b, n_lv = corr.shape[0], len(groups)
    mono = np.full((b, n_lv), np.nan)
    for i, g in enumerate(groups):
        if g.size > 1:
            sub = corr[:, g[:, None], g[None, :]]
            mono[:, i] = (sub.sum(axis=(1, 2)) - np.trace(sub, axis1=1, axis2=2)) / (g.size * (g.size - 1))
    out = np.full((b, n_lv, n_lv), np.nan)
    for i in range(n_lv):
        for j in range(n_lv):
            if i != j:
                hetero = corr[:, groups[i][:, None], groups[j][None, :]].mean(axis=(1, 2))
                prod = mono[:, i] * mono[:, j]
                out[:, i, j] = np.where(prod > 0, hetero / np.sqrt(np.where(prod > 0, prod, 1.0)), np.nan)
    return out


def htmt_interval(model: PLSPM, n_boot: int = 500, seed: int | None = None, level: float = 0.90) -> pd.DataFrame:
    """HTMT of every pair of constructs with a bootstrap percentile interval.

    ``level`` 0.90 gives the one-sided 95% upper bound of HTMT_inference (Henseler et al. 2015).
    Columns: lv_1, lv_2, htmt, lower, upper, below_1, below_085, below_090 (upper bound tests).
    """
    model._check()
    raw = model._raw_
    groups = [np.flatnonzero(model._odm[:, j]) for j in range(len(model._lvs))]

    point = _htmt_stack(cross_product(treat_data(raw[None], True)), groups)[0]
    # the resamples' correlation matrices from their counts (shared with a path bootstrap of the
    # same seed and size); HTMT is a function of the correlation matrix alone
    boot = _htmt_stack(treat_cov(resample_covariances(model, n_boot, seed), True), groups)
    a = (1 - level) / 2
    with warnings.catch_warnings():  # the diagonal (and single-item blocks) are all NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanquantile(boot, a, axis=0), np.nanquantile(boot, 1 - a, axis=0)
    rows = []
    for i, li in enumerate(model._lvs):
        for j in range(i + 1, len(model._lvs)):
            up = float(hi[j, i])
            rows.append({"lv_1": li, "lv_2": model._lvs[j], "htmt": float(point[j, i]), "lower": float(lo[j, i]),
                         "upper": up, "below_1": up < 1.0, "below_085": up < 0.85, "below_090": up < 0.90})
    out = pd.DataFrame(rows)
    out.attrs.update(n_boot=n_boot, level=level, seed=seed)
    return out


def _omitted(n: int, k: int, distance: int, d: int) -> np.ndarray:
    """Boolean (n, k) mask of the data points omitted in blindfolding round d."""
    return (np.arange(n * k).reshape(n, k) % distance) == d


def q2_blindfolding(model: PLSPM, distance: int = 7) -> pd.DataFrame:
    """Construct cross-validated redundancy Q-squared of every endogenous construct.

    Columns: lv, sse, sso, q2. ``distance`` (D) must not divide the number of respondents
    (every round must omit points of every item; SmartPLS' rule) and lies in 5..12 typically.
    """
    model._check()
    raw = model._raw_
    n = raw.shape[0]
    if distance < 2 or n % distance == 0:
        raise ValueError(f"The omission distance must be >= 2 and must not divide the number of respondents ({n}). "
                         f"Got {distance}.")
    rows = []
    endo = [lv for lv in model._lvs if any(b == lv for _, b in model._edges)]
    for lv in endo:
        j = model._lvs.index(lv)
        cols = np.flatnonzero(model._odm[:, j])
        block = raw[:, cols]
        stack = np.repeat(raw[None], distance, axis=0)
        masks = np.stack([_omitted(n, cols.size, distance, d) for d in range(distance)])
        for d in range(distance):
            kept_mean = np.array([block[~masks[d][:, m], m].mean() for m in range(cols.size)])
            stack[d][:, cols] = np.where(masks[d], kept_mean, block)
        est, _ = model.fit_stack(stack)
        assert est.pls is not None and est.scores is not None
        coefs, _, loadings = est.pls
        preds = np.flatnonzero(model._path[j] == 1)
        y_hat = np.einsum("bnk,bk->bn", est.scores[:, :, preds], coefs[:, j, preds])  # (D, n)
        mu = stack[:, :, cols].mean(axis=1)  # (D, K) item means of each round's data
        sd = stack[:, :, cols].std(axis=1)
        x_hat = mu[:, None, :] + sd[:, None, :] * loadings[:, cols][:, None, :] * y_hat[:, :, None]
        err = np.where(masks, (block[None] - x_hat) ** 2, 0.0).sum()
        sso = np.where(masks, (block[None] - block.mean(axis=0)) ** 2, 0.0).sum()
        rows.append({"lv": lv, "sse": float(err), "sso": float(sso), "q2": float(1.0 - err / sso)})
    out = pd.DataFrame(rows, columns=["lv", "sse", "sso", "q2"])
    out.attrs["distance"] = distance
    return out


def pls_predict(model: PLSPM, folds: int = 10, repeats: int = 1, seed: int | None = None) -> pd.DataFrame:
    """PLSpredict: per endogenous item, rmse_pls, mae_pls, rmse_lm, mae_lm, q2_predict.

    Predictions use the plain PLS estimates of each training fit (weights, total effects).
    """
    from loyalscope.models.survey.plspm import PLSPM as _PLSPM

    model._check()
    raw = model._raw_
    n = raw.shape[0]
    if not 2 <= folds <= n // 2:
        raise ValueError(f"The 'folds' argument must be between 2 and n/2 ({n // 2}). Got {folds}.")
    lvs = model._lvs
    endo = [j for j, lv in enumerate(lvs) if any(b == lv for _, b in model._edges)]
    exo = [j for j in range(len(lvs)) if j not in endo]
    endo_items = np.flatnonzero(model._odm[:, endo].sum(axis=1) > 0)
    exo_items = np.flatnonzero(model._odm[:, exo].sum(axis=1) > 0)
    lv_of = model._odm.argmax(axis=1)
    rng = np.random.default_rng(seed)
    err_pls, err_lm, err_mean = (np.zeros((repeats, n, endo_items.size)) for _ in range(3))
    settings = {k: getattr(model, k) for k in ("blocks", "paths", "modes", "scheme", "scaled", "tol", "maxiter")}
    for r in range(repeats):
        fold = rng.permutation(n) % folds
        for f in range(folds):
            train, test = raw[fold != f], raw[fold == f]
            fitted = _PLSPM(**settings, consistent=False)
            fitted._setup()
            est, _ = fitted.fit_stack(train[None])
            assert est.pls is not None
            x_train = treat_data(train[None], fitted.scaled)[0]
            centre = train.mean(axis=0)
            scale = train.std(axis=0) if fitted.scaled else np.ones(train.shape[1])
            scale = np.where(scale > 0, scale, 1.0)
            x_test = (test - centre) / scale
            w = est.weights[0]
            y_exo = x_test @ w[:, exo]
            total = np.linalg.inv(np.eye(len(lvs)) - est.pls[0][0]) - np.eye(len(lvs))
            y_hat = y_exo @ total[np.ix_(endo, exo)].T  # (n_test, n_endo)
            y_train = x_train @ w
            for k, item in enumerate(endo_items):
                jj = endo.index(lv_of[item])
                slope = np.cov(train[:, item], y_train[:, lv_of[item]], bias=True)[0, 1] / y_train[:, lv_of[item]].var()
                pred = centre[item] + slope * y_hat[:, jj]
                design = np.column_stack([np.ones(train.shape[0]), train[:, exo_items]])
                beta = np.linalg.lstsq(design, train[:, item], rcond=None)[0]
                lm = np.column_stack([np.ones(test.shape[0]), test[:, exo_items]]) @ beta
                err_pls[r, fold == f, k] = test[:, item] - pred
                err_lm[r, fold == f, k] = test[:, item] - lm
                err_mean[r, fold == f, k] = test[:, item] - centre[item]
    names = [model._mvs[i] for i in endo_items]
    out = pd.DataFrame({
        "item": names,
        "rmse_pls": np.sqrt((err_pls ** 2).mean(axis=(0, 1))), "mae_pls": np.abs(err_pls).mean(axis=(0, 1)),
        "rmse_lm": np.sqrt((err_lm ** 2).mean(axis=(0, 1))), "mae_lm": np.abs(err_lm).mean(axis=(0, 1)),
        "q2_predict": 1.0 - (err_pls ** 2).sum(axis=(0, 1)) / (err_mean ** 2).sum(axis=(0, 1)),
    })
    out.attrs.update(folds=folds, repeats=repeats, seed=seed)
    return out
