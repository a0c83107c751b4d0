"""Purchase models on data where nobody leaves say so (``no_dropout``) instead of a bare
"singular information matrix".

Found on a real export (Tableau's Sample - Superstore: 800 customers over four years, 788 of
them repeat buyers, recency / age 0.86): BG/NBD went to a = 8e-6, b = 3e4 and Pareto/NBD to
s / beta = 1.3e-10 per week; every model was "not estimable" for a flat likelihood, without
the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.models import BGNBD, MBGNBD
from loyalscope.models.purchase.pareto_nbd import ParetoNBD


def _nobody_leaves(n: int = 800, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat purchases of a Poisson process (0.12 per week) over each customer's whole age."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(60.0, 200.0, n)
    x = rng.poisson(0.12 * T)
    tx = np.array([T[i] * rng.random(k).max() if k else 0.0 for i, k in enumerate(x)])
    return x.astype(float), tx, T


@pytest.mark.parametrize("model", [BGNBD, MBGNBD, ParetoNBD])
def test_a_model_that_sees_nobody_leave_says_so(model: type) -> None:
    x, tx, T = _nobody_leaves()
    fit = model().fit(x, tx, T)
    codes = [i.code for i in fit.status_.issues]
    assert "no_dropout" in codes and fit.status_.status == "not_estimable"
    expected = next(i.detail["expected"] for i in fit.status_.issues if i.code == "no_dropout")
    p = fit.params_  # the issue's number is the fit's own expected dropouts
    if "s" in p:
        assert expected == pytest.approx(p["s"] / p["beta"] * T.sum(), rel=1e-9)
    else:
        assert expected == pytest.approx(p["a"] / (p["a"] + p["b"]) * x.sum(), rel=1e-9)
    assert expected < 0.5


@pytest.mark.parametrize("model", [BGNBD, MBGNBD, ParetoNBD])
def test_customers_who_leave_raise_no_such_issue(model: type, cdnow: pd.DataFrame) -> None:
    s = cdnow
    fit = model().fit(s["x"], s["t_x"], s["T"])
    assert "no_dropout" not in [i.code for i in fit.status_.issues]
    assert fit.status_.status == "ok"
