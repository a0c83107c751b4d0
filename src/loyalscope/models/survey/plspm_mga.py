"""Multi-group analysis of a PLS path model with a permutation test (Chin & Dibbern 2010).

For two groups of sizes n1 and n2, the model is fitted on each and the difference of every path
coefficient ``d = beta_1 - beta_2`` computed. Under H0 (no group difference) the group labels
are exchangeable: the respondents are shuffled ``n_perm`` times, the first n1 forming group 1,
and the model is refitted on both parts of every permutation (batched, all permutations at
once, each on its group's covariance matrix computed from the group membership without
copying the rows, see :mod:`loyalscope.models.survey.moments`). The p-value is ``(1 + #{|d_perm| >= |d|}) / (n_perm + 1)``. Under PLSc the compared
coefficients are the consistent ones (as the model was fitted); inadmissible permutations are
left out. With more than two groups every pair is compared.

The permutations are ``rng.permutation(n)`` in order for ``rng = numpy.random.default_rng(seed)``,
so a loop of refits can reproduce the test.

Reference: Chin, W. W. & Dibbern, J. (2010). An introduction to a permutation based procedure
for multi-group PLS analysis. In Handbook of Partial Least Squares, 171-193. Springer.
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.survey.moments import Moments

if TYPE_CHECKING:
    from loyalscope.models.survey.plspm import PLSPM
    from loyalscope.models.survey.plspm_core import Estimates, WeightsResult

MIN_GROUP = 20
"""Smallest group a path model is compared on."""


def _paths(model: PLSPM, fitted: tuple[Estimates, WeightsResult]) -> tuple[np.ndarray, np.ndarray]:
    est, res = fitted
    src = [model._lvs.index(a) for a, _ in model._edges]
    dst = [model._lvs.index(b) for _, b in model._edges]
    ok = res.converged & (est.plsc.admissible if model.consistent_ and est.plsc is not None else True)
    return est.path_coefs[:, dst, src], ok


def _permuted_paths(model: PLSPM, both: np.ndarray, n1: int, n_perm: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paths of both parts of ``n_perm`` permutations of ``both`` (the first ``n1`` rows form part 1).

    Part 1 of a permutation is a 0/1 count vector over the rows; its covariance comes from the
    weighted sums of the row products and part 2's from the full sums minus part 1's.
    """
    moments = Moments(both)
    n = moments.n
    p1, p2, keep = [], [], []
    batch = moments.batch_size()
    for start in range(0, n_perm, batch):
        k = min(batch, n_perm - start)
        member = np.zeros((k, n), dtype=np.uint8)
        for r in range(k):
            member[r, rng.permutation(n)[:n1]] = 1
        sums = moments.sums(member)
        c1, ok1 = _paths(model, model.fit_moments(moments.cov(sums, n1)))
        c2, ok2 = _paths(model, model.fit_moments(moments.cov(moments.total()[None, :] - sums, n - n1)))
        p1.append(c1)
        p2.append(c2)
        keep.append(ok1 & ok2)
    return np.concatenate(p1), np.concatenate(p2), np.concatenate(keep)


def permutation_test(model: PLSPM, groups: Any, n_perm: int = 1000, seed: int | None = None) -> pd.DataFrame:
    """Compare the path coefficients of ``model`` (fitted) across ``groups`` (one label per respondent).

    Returns one row per pair of groups and path: group_1, group_2, n_1, n_2, path, coef_1, coef_2,
    diff, p_value; ``attrs["n_perm"]`` counts the admissible permutations used.
    """
    model._check()
    raw = model._raw_
    labels = pd.Series(np.asarray(groups, dtype=object)).astype("string")
    if len(labels) != raw.shape[0]:
        raise ValueError(f"The 'groups' argument must have one label per respondent ({raw.shape[0]}). Got {len(labels)}.")
    sizes = labels.value_counts(dropna=True)
    small = sizes[sizes < MIN_GROUP]
    if len(sizes) < 2 or len(small):
        raise InsufficientDataError(t("survey_model.mga.too_small", need=MIN_GROUP, groups=", ".join(
            f"{k} ({v})" for k, v in sizes.items())), fix=t("survey_model.mga.too_small_fix"))
    names = [f"{a} -> {b}" for a, b in model._edges]
    rows = []
    used = n_perm
    for g1, g2 in combinations(sorted(sizes.index), 2):
        x1 = raw[(labels == g1).to_numpy()]
        x2 = raw[(labels == g2).to_numpy()]
        both = np.concatenate([x1, x2])
        n1 = x1.shape[0]
        c1, ok1 = _paths(model, model.fit_stack(x1[None]))
        c2, ok2 = _paths(model, model.fit_stack(x2[None]))
        diff = c1[0] - c2[0]
        p1, p2, keep = _permuted_paths(model, both, n1, n_perm, np.random.default_rng(seed))
        d_perm = (p1 - p2)[keep]
        used = min(used, int(keep.sum()))
        p_value = (1 + (np.abs(d_perm) >= np.abs(diff) - 1e-12).sum(axis=0)) / (keep.sum() + 1)
        for k, name in enumerate(names):
            rows.append({"group_1": g1, "group_2": g2, "n_1": n1, "n_2": x2.shape[0], "path": name,
                         "coef_1": float(c1[0, k]), "coef_2": float(c2[0, k]), "diff": float(diff[k]),
                         "p_value": float(p_value[k]), "admissible": bool(ok1[0] and ok2[0])})
    out = pd.DataFrame(rows)
    out.attrs.update(n_perm=used, seed=seed)
    return out
