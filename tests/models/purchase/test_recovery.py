"""Parameter recovery on data simulated from each model's own story (slow; still run in CI).

The simulators are written from the models' definitions, independently of the likelihood code;
with a fixed seed each true parameter must lie within 3 standard errors of the estimate.
"""

from __future__ import annotations

import numpy as np
import pytest

from loyalscope.errors import ConvergenceError
from loyalscope.models import BGBB, BGNBD, MBGNBD, GammaGamma, ShiftedBetaGeometric

pytestmark = pytest.mark.slow
N = 30_000


def simulate_bgnbd(r, alpha, a, b, n, rng, modified=False):
    T = rng.uniform(20, 60, n)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    arrivals = rng.poisson(lam * T)
    # Number of repeat purchases made before dropping out: BG/NBD drops out after a purchase,
    # never before the first repeat; MBG/NBD may also drop out right at time 0.
    J = rng.geometric(p) - (1 if modified else 0)
    x = np.minimum(J, arrivals)
    # Given N(T) = n arrivals, they are n sorted uniforms on [0, T]: the x-th is T * Beta(x, n - x + 1).
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1)), 0.0)
    return x.astype(float), tx, T


def _within_3_se(model, truth):
    for k, v in truth.items():
        assert abs(model.params_[k] - v) < 3 * model.se_[k], (k, model.params_[k], v, model.se_[k])


@pytest.mark.parametrize(("cls", "modified"), [(BGNBD, False), (MBGNBD, True)])
def test_bgnbd_family_recovery(cls, modified):
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    x, tx, T = simulate_bgnbd(*truth.values(), N, np.random.default_rng(11), modified=modified)
    _within_3_se(cls().fit(x, tx, T), truth)


def test_gamma_gamma_recovery():
    rng = np.random.default_rng(5)
    truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    nu = rng.gamma(truth["q"], 1 / truth["gamma"], N)
    x = 1 + rng.poisson(3, N)
    zbar = rng.gamma(truth["p"] * x, 1 / (x * nu))  # mean of x Gamma(p, nu) spends
    _within_3_se(GammaGamma().fit(x, zbar), truth)


def test_bgbb_recovery():
    rng = np.random.default_rng(7)
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.65, "delta": 2.8}
    n = 8
    p = rng.beta(truth["alpha"], truth["beta"], N)
    theta = rng.beta(truth["gamma"], truth["delta"], N)
    alive_until = rng.geometric(theta) - 1  # alive for opportunities 1..D-1
    k = np.arange(1, n + 1)
    buys = (rng.random((N, n)) < p[:, None]) & (k[None, :] <= alive_until[:, None])
    x = buys.sum(axis=1)
    tx = np.where(x > 0, n - np.argmax(buys[:, ::-1], axis=1), 0)
    _within_3_se(BGBB().fit(x, tx, np.full(N, n)), truth)


def test_sbg_recovery():
    rng = np.random.default_rng(3)
    truth = {"alpha": 0.7, "beta": 1.2}
    life = rng.geometric(rng.beta(truth["alpha"], truth["beta"], N))
    survivors = [(life > t).sum() for t in range(0, 8)]
    _within_3_se(ShiftedBetaGeometric().fit(survivors), truth)


def test_convergence_error_says_what_to_try():
    x, tx, T = simulate_bgnbd(0.5, 5.0, 0.8, 2.5, 2000, np.random.default_rng(0))
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        BGNBD(maxiter=1).fit(x, tx, T)
    assert "time unit" in info.value.fix and "penalizer" in info.value.fix


def test_penalizer_shrinks_log_parameters():
    x, tx, T = simulate_bgnbd(0.5, 5.0, 0.8, 2.5, 2000, np.random.default_rng(0))
    plain = BGNBD().fit(x, tx, T)
    shrunk = BGNBD(penalizer=0.1).fit(x, tx, T)
    # the penalty acts on the parameters of the rescaled fit (time in units of the longest age)
    def norm(m):
        return sum(np.log(v / (m.time_scale_ if k == "alpha" else 1.0)) ** 2 for k, v in m.params_.items())

    assert norm(shrunk) < norm(plain)
    assert shrunk.loglik_ < plain.loglik_
