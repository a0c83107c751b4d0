"""Optimisers of the maximum-likelihood models: L-BFGS-B, and a quasi-Newton polish.

On large data every evaluation of the likelihood costs a pass over all distinct rows, so the
number of evaluations is the fit time. :func:`quasi_newton` starts from the optimum of a fit on
a subsample and from the Hessian there (a central difference of the analytic gradient on the
subsample, which is cheap): the mean log-likelihood of a subsample of some ten thousand
customers has nearly the curvature of the full one, so the full-data iterations converge in a
handful of steps (BFGS updates of that Hessian make the convergence superlinear), where
L-BFGS-B from scratch needs twenty to thirty evaluations.

Reference: Nocedal & Wright (2006), Numerical Optimization, 2nd ed., ch. 3 (backtracking line
search with the Armijo condition) and ch. 6 (BFGS update of the Hessian approximation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]

MIN_STEP = 1e-3
"""The shortest step :func:`quasi_newton`'s line search tries before it gives up (ten halvings).

Near the optimum a Newton step on a good Hessian is accepted whole. A step cut ten times means
the model of the objective no longer holds, in practice that the objective is at its rounding
noise: on 862k repeat buyers (1M customers / 10.25M orders) the Gamma-Gamma mean
log-likelihood varies by 1e-12 between points 1e-8 apart and its gradient by 1e-7, so no step
met ``xtol`` and every line search "succeeded" on noise after ~20 halvings: 2,071 evaluations
(10.6 s) before the iteration limit, then L-BFGS-B from the start. Giving up at the first
such search goes to the same L-BFGS-B fit after ~15 evaluations (the same parameters)."""


@dataclass
class Result:
    """Where an optimiser stopped: point, value and gradient there, iterations, success."""

    x: np.ndarray
    fun: float
    grad: np.ndarray
    nit: int
    success: bool
    message: str


def lbfgs(objective: Objective, x0: np.ndarray, tol: float, maxiter: int,
          bounds: list[tuple[float | None, float | None]] | None = None) -> Result:
    """L-BFGS-B (SciPy) with ``ftol = tol`` and ``gtol = tol / 100``; no evaluation is repeated.

    ``bounds``: optional ``(lower, upper)`` per coordinate (None: unbounded), as SciPy takes them.
    """
    last: dict = {}

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective(x)
        last.update(x=x.copy(), fun=value, grad=grad)
        return value, grad

    res = optimize.minimize(
        fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": maxiter, "ftol": tol, "gtol": tol * 1e-2, "maxcor": 20},
    )
    seen = last.get("x")
    grad = last["grad"] if seen is not None and np.array_equal(seen, res.x) else objective(res.x)[1]
    return Result(res.x, float(res.fun), grad, int(res.nit), bool(res.success), str(res.message))


def hessian(objective: Objective, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Symmetric central-difference Hessian of ``objective`` from its analytic gradient."""
    k = x.size
    hess = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step
        hess[:, i] = (objective(x + e)[1] - objective(x - e)[1]) / (2.0 * step)
    return 0.5 * (hess + hess.T)


def quasi_newton(objective: Objective, x0: np.ndarray, hess0: np.ndarray,
                 xtol: float = 1e-9, maxiter: int = 50) -> Result | None:
    """Minimise from ``x0`` with Newton steps on a BFGS-updated Hessian, starting at ``hess0``.

    Each step solves ``H p = -g`` and backtracks until the Armijo condition
    ``f(x + t p) <= f(x) + 1e-4 t g.p`` holds (``t`` down to :data:`MIN_STEP`); ``H`` then takes the BFGS update with
    ``s = t p`` and ``y = g_new - g`` (skipped unless ``y.s > 0``, which keeps it positive
    definite). Stops when the largest component of the Newton step is below ``xtol`` (the models work in
    log-parameters, so that is a relative change of the parameters). Returns None when
    ``hess0`` is not positive definite, a step is not a descent direction, the line search
    fails or ``maxiter`` is reached: the caller then falls back to L-BFGS-B.
    """
    x = np.asarray(x0, dtype=float).copy()
    f, g = objective(x)
    h = np.array(hess0, dtype=float)
    if not np.isfinite(f) or not np.all(np.isfinite(h)):
        return None
    for it in range(1, maxiter + 1):
        try:
            np.linalg.cholesky(h)
            p = -np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            return None
        if np.max(np.abs(p)) < xtol:  # the Newton step itself is negligible: converged
            return Result(x, f, g, it - 1, True, "Newton step below xtol")
        slope = float(g @ p)
        if not slope < 0.0:
            return None
        t = 1.0
        while True:
            f_new, g_new = objective(x + t * p)
            # 1e-14 |f|: near the optimum f changes by rounding noise only
            if np.isfinite(f_new) and f_new <= f + 1e-4 * t * slope + 1e-14 * abs(f):
                break
            t *= 0.5
            if t < MIN_STEP:
                return None
        s, y = t * p, g_new - g
        x, f, g = x + s, f_new, g_new
        ys = float(y @ s)
        if ys > 0.0:
            hs = h @ s
            h = h + np.outer(y, y) / ys - np.outer(hs, hs) / float(s @ hs)
    return None
