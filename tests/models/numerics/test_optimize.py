"""The quasi-Newton polish and the L-BFGS-B wrapper used by the model fits."""

from __future__ import annotations

import numpy as np
import pytest

from loyalscope.models.numerics.optimize import hessian, lbfgs, quasi_newton

A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
X_STAR = np.array([0.5, -1.0, 2.0])


def _objective(x):
    """Convex, not quadratic: 0.5 d'Ad + sum(exp(d) - d), minimum 3 at x = X_STAR."""
    d = x - X_STAR
    return float(0.5 * d @ A @ d + np.sum(np.exp(d) - d)), A @ d + np.expm1(d)


def test_hessian_is_the_analytic_one():
    x = X_STAR + 0.3
    np.testing.assert_allclose(hessian(_objective, x), A + np.diag(np.exp(x - X_STAR)), rtol=1e-7)


def test_quasi_newton_from_an_approximate_hessian_reaches_the_minimum():
    x0 = X_STAR + np.array([0.2, -0.1, 0.3])
    res = quasi_newton(_objective, x0, 1.3 * hessian(_objective, x0), xtol=1e-10)
    assert res is not None and res.success
    np.testing.assert_allclose(res.x, X_STAR, atol=1e-9)
    assert res.fun == pytest.approx(3.0, abs=1e-14)
    assert res.nit < 15


def test_quasi_newton_gives_up_on_an_indefinite_hessian():
    assert quasi_newton(_objective, X_STAR + 1.0, -np.eye(3)) is None


def test_lbfgs_returns_the_gradient_at_its_point():
    res = lbfgs(_objective, X_STAR + 1.0, 1e-12, 500)
    assert res.success
    np.testing.assert_allclose(res.x, X_STAR, atol=1e-5)
    np.testing.assert_allclose(res.grad, _objective(res.x)[1])


def test_quasi_newton_gives_up_early_at_the_objective_s_rounding_noise():
    # the Gamma-Gamma likelihood of 862k customers: value noise ~1e-12, gradient noise ~1e-7 near
    # the optimum, so no Newton step gets below xtol and each line search ran on noise
    calls = []

    def noisy(x):
        calls.append(1)
        f, g = _objective(x)
        jitter = np.sin(1e9 * x)  # deterministic, changes between points 1e-9 apart
        return f + 1e-12 * float(jitter.sum()), g + 1e-7 * jitter

    x0 = X_STAR + 1e-3
    assert quasi_newton(noisy, x0, hessian(_objective, x0), xtol=1e-11, maxiter=100) is None
    assert len(calls) < 60  # the caller's L-BFGS-B takes over (was over 1,000 evaluations)
