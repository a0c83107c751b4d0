"""Reliability and validity of measurement blocks (multi-item survey scales).

- Cronbach's alpha, raw ``k/(k-1) (1 - sum var_i / var(sum))`` and standardised
  ``k rbar / (1 + (k-1) rbar)`` with ``rbar`` the mean inter-item correlation (Cronbach 1951);
- composite reliability, Dillon-Goldstein's rho, ``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))``
  from the standardised loadings ``l`` (Werts, Linn & Jöreskog 1974);
- average variance extracted ``AVE = mean(l^2)`` (Fornell & Larcker 1981);
- heterotrait-monotrait ratio ``HTMT_ij = mean r(i-items, j-items) /
  sqrt(mean r within i x mean r within j)`` (Henseler, Ringle & Sarstedt 2015);
- cross-loadings: an item should correlate more with its own LV than with any other.

Thresholds: alpha >= 0.7, rho >= 0.7, AVE >= 0.5 (Hair et al.), HTMT < 0.85 (strict) or
< 0.90 (liberal). Breaches are listed in a ``flags`` column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

ALPHA_MIN = 0.7
RHO_MIN = 0.7
AVE_MIN = 0.5
HTMT_STRICT = 0.85
HTMT_LIBERAL = 0.90


def cronbach_alpha(x: np.ndarray) -> tuple[float, float]:
    """Return (raw, standardised) Cronbach's alpha of the items in the columns of ``x`` (n, k)."""
    x = np.asarray(x, dtype=float)
    k = x.shape[1]
    if k < 2:
        return float("nan"), float("nan")
    raw = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    corr = np.corrcoef(x, rowvar=False)
    rbar = (corr.sum() - k) / (k * (k - 1))
    std = k * rbar / (1 + (k - 1) * rbar)
    return float(raw), float(std)


def composite_reliability(loadings: np.ndarray) -> float:
    """Dillon-Goldstein rho from standardised loadings."""
    lam = np.asarray(loadings, dtype=float)
    num = lam.sum() ** 2
    return float(num / (num + (1 - lam ** 2).sum()))


def average_variance_extracted(loadings: np.ndarray) -> float:
    """AVE = mean squared standardised loading."""
    lam = np.asarray(loadings, dtype=float)
    return float((lam ** 2).mean())


def htmt(x: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """HTMT matrix (L, L) for the item index groups of ``x`` (n, p); NaN on the diagonal.

    A block with a single item has no monotrait correlation; its HTMT entries are NaN.
    """
    corr = np.corrcoef(np.asarray(x, dtype=float), rowvar=False)
    n_lv = len(groups)
    mono = np.full(n_lv, np.nan)
    for i, group in enumerate(groups):
        g = np.asarray(group, dtype=np.intp)
        if g.size > 1:
            sub = corr[np.ix_(g, g)]
            off_diagonal = np.eye(g.size) == 0
            mono[i] = sub[off_diagonal].mean()
    out = np.full((n_lv, n_lv), np.nan)
    for i in range(n_lv):
        for j in range(n_lv):
            if i != j:
                hetero = corr[np.ix_(groups[i], groups[j])].mean()
                out[i, j] = hetero / np.sqrt(mono[i] * mono[j]) if mono[i] * mono[j] > 0 else np.nan
    return out


def reliability_table(data: pd.DataFrame, blocks: Mapping[str, Sequence[str]],
                      loadings: pd.Series | None = None) -> pd.DataFrame:
    """Per block: alpha (raw, standardised), DG rho, AVE, max HTMT, and the breached thresholds.

    ``loadings`` are the PLS loadings indexed by item; without them the loadings of the first
    principal component of the block's correlation matrix are used.
    """
    lvs = list(blocks)
    cols = [c for lv in lvs for c in blocks[lv]]
    x = data[cols].to_numpy(float)
    groups, start = [], 0
    for lv in lvs:
        groups.append(list(range(start, start + len(blocks[lv]))))
        start += len(blocks[lv])
    ht = htmt(x, groups)
    rows = []
    for i, lv in enumerate(lvs):
        xb = x[:, groups[i]]
        raw, std = cronbach_alpha(xb)
        lam = loadings[list(blocks[lv])].to_numpy() if loadings is not None else _pc1_loadings(xb)
        rho, ave = composite_reliability(lam), average_variance_extracted(lam)
        max_ht = np.nanmax(ht[i]) if np.isfinite(ht[i]).any() else np.nan
        flags = []
        if std < ALPHA_MIN:
            flags.append(f"alpha<{ALPHA_MIN}")
        if rho < RHO_MIN:
            flags.append(f"rho<{RHO_MIN}")
        if ave < AVE_MIN:
            flags.append(f"AVE<{AVE_MIN}")
        if max_ht >= HTMT_STRICT:
            flags.append(f"HTMT>={HTMT_LIBERAL if max_ht >= HTMT_LIBERAL else HTMT_STRICT}")
        rows.append({"lv": lv, "n_items": len(groups[i]), "alpha": raw, "alpha_std": std, "rho": rho,
                     "ave": ave, "htmt_max": max_ht, "flags": ", ".join(flags)})
    return pd.DataFrame(rows).set_index("lv")


def htmt_table(data: pd.DataFrame, blocks: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """HTMT as a labelled LV x LV DataFrame."""
    lvs = list(blocks)
    cols = [c for lv in lvs for c in blocks[lv]]
    groups, start = [], 0
    for lv in lvs:
        groups.append(list(range(start, start + len(blocks[lv]))))
        start += len(blocks[lv])
    return pd.DataFrame(htmt(data[cols].to_numpy(float), groups), index=lvs, columns=lvs)


def cross_loading_breaches(cross: pd.DataFrame, blocks: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Items whose loading on another LV is at least their loading on their own LV.

    ``cross`` is item x LV (e.g. ``PLSPM.cross_loadings_``). Returns columns item, own_lv,
    own, other_lv, other.
    """
    rows = []
    for lv, items in blocks.items():
        for item in items:
            own = cross.loc[item, lv]
            others = cross.loc[item].drop(lv)
            if len(others) and others.abs().max() >= abs(own):
                other_lv = others.abs().idxmax()
                rows.append({"item": item, "own_lv": lv, "own": own, "other_lv": other_lv,
                             "other": others[other_lv]})
    return pd.DataFrame(rows, columns=["item", "own_lv", "own", "other_lv", "other"])


def _pc1_loadings(x: np.ndarray) -> np.ndarray:
    corr = np.corrcoef(x, rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    vec = vecs[:, -1] * np.sqrt(vals[-1])
    return vec if vec.sum() >= 0 else -vec
