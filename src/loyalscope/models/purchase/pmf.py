"""Probability of n purchases in a period, for a new customer or one with history (x, t_x, T).

Every transaction model splits the same way: with probability ``P(alive)`` the customer is
alive at the end of calibration and the latent rates follow their posterior given alive; with
probability ``1 - P(alive)`` the customer is gone and buys nothing::

    P(Y(t) = n | x, t_x, T) = P(alive) * P(Y(t) = n | alive, posterior) + (1 - P(alive)) [n = 0]

A new customer is the case ``x = t_x = T = 0`` (BG/NBD: alive with probability 1; MBG/NBD: with
probability ``b / (a + b)``, since a customer may drop out right after the first purchase).

**BG/NBD and MBG/NBD** (Fader, Hardie & Lee 2005, eq. 8 for a new customer; Batislam et al.
2007 for MBG/NBD; the conditional form follows from the same assumptions with the posterior
below). Given alive, ``lambda ~ Gamma(r', alpha')`` with ``r' = r + x``, ``alpha' = alpha + T``
and ``p ~ Beta(a, b')`` with ``b' = b + x + k`` (``k = 0`` BG/NBD, ``1`` MBG/NBD). Purchases in
``t`` are NBD; after each the customer drops out with probability p::

    P(Y = n | alive) = B(a, b'+n)/B(a, b') NB(n; r', alpha'/(alpha'+t))
                       + [n > 0] B(a+1, b'+n-1)/B(a, b') P(NB >= n)

with ``NB(n) = G(r'+n)/(G(r') n!) (alpha'/(alpha'+t))^r' (t/(alpha'+t))^n`` and
``P(NB >= n) = I_{t/(alpha'+t)}(n, r')`` (regularised incomplete beta).

**Pareto/NBD** (Fader & Hardie 2014, "Deriving the conditional PMF of the Pareto/NBD model",
brucehardie.com note 028). Given alive, ``lambda ~ Gamma(r+x, alpha+T)`` and
``mu ~ Gamma(s, beta+T)``; the remaining lifetime is exponential, so::

    P(Y = n | lambda, mu) = e^{-mu t} (lambda t)^n e^{-lambda t} / n!
        + mu lambda^n / (lambda+mu)^{n+1} [1 - e^{-(lambda+mu) t} sum_{i=0}^{n} ((lambda+mu) t)^i / i!]

and each expectation ``E[mu lambda^n (lambda+mu)^m e^{-(lambda+mu) t}]`` over the two gammas is a
Gauss hypergeometric function (:func:`_pareto_moment`).

**BG/BB** (Fader, Hardie & Shang 2010, eq. 6 and the conditional PMF of the appendix). Given
alive at opportunity n, ``p ~ Beta(alpha+x, beta+n-x)``, ``theta ~ Beta(gamma, delta+n)``; the
number J of the next n* opportunities at which the customer is alive is ``j < n*`` with
``(1-theta)^j theta`` and ``n*`` with ``(1-theta)^n*``; transactions given J are binomial.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, gammaln, hyp2f1


def bgnbd_pmf(theta: np.ndarray, shift: int, n: np.ndarray, t: np.ndarray, x: np.ndarray,
              tx: np.ndarray, T: np.ndarray, p_alive: np.ndarray) -> np.ndarray:
    """P(Y(t) = n | x, t_x, T) of BG/NBD (``shift = 0``) or MBG/NBD (``shift = 1``)."""
    r, alpha, a, b = theta
    rp, ap, bp = r + x, alpha + T, b + x + shift
    log_q0 = np.log(ap) - np.log(ap + t)
    with np.errstate(divide="ignore"):
        log_q1 = np.log(t) - np.log(ap + t)
    with np.errstate(invalid="ignore"):
        log_nb = gammaln(rp + n) - gammaln(rp) - gammaln(n + 1) + rp * log_q0 + np.where(n > 0, n * log_q1, 0.0)
    stay = np.exp(betaln(a, bp + n) - betaln(a, bp) + log_nb)
    nn = np.maximum(n, 1.0)
    q = t / (ap + t)
    leave = np.where(n > 0, np.exp(betaln(a + 1, bp + nn - 1) - betaln(a, bp)) * betainc(nn, rp, q), 0.0)
    return p_alive * (stay + leave) + (1.0 - p_alive) * (n == 0)


def _pareto_moment(r: np.ndarray, alpha: np.ndarray, s: float, beta: np.ndarray, n: np.ndarray,
                   i: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``E[mu lambda^n (lambda+mu)^(i-n-1) e^{-(lambda+mu) t}]``, lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta).

    With ``A = alpha + t``, ``B = beta + t`` and ``c = r + s + i``::

        = alpha^r beta^s G(c) / (G(r) G(s)) B(r+n, s+1) M^{-c} 2F1(c, b2; r+n+s+1; z)

    where ``M = max(A, B)``, ``z = 1 - min(A, B)/M`` and ``b2 = r+n`` (A <= B) or ``s+1`` (A > B).
    Euler's transformation ``2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z)`` gives series of
    positive terms with a large third argument, which SciPy sums accurately.
    """
    big_a, big_b = alpha + t, beta + t
    c = r + s + i
    c2 = r + n + s + 1.0
    a_le = big_a <= big_b
    m = np.maximum(big_a, big_b)
    z = 1.0 - np.minimum(big_a, big_b) / m
    b2 = np.where(a_le, r + n, s + 1.0)
    log_f = (c2 - c - b2) * np.log1p(-z) + np.log(hyp2f1(c2 - c, c2 - b2, c2, z))
    log_v = (r * np.log(alpha) + s * np.log(beta) + gammaln(c) - gammaln(r) - gammaln(s)
             + betaln(r + n, s + 1.0) - c * np.log(m) + log_f)
    return np.exp(log_v)


def pareto_nbd_pmf(theta: np.ndarray, n: np.ndarray, t: np.ndarray, x: np.ndarray, T: np.ndarray,
                   p_alive: np.ndarray) -> np.ndarray:
    """P(Y(t) = n | x, t_x, T) of the Pareto/NBD model (``p_alive`` at T given)."""
    r, alpha, s, beta = theta
    rp, ap, bp = r + x, alpha + T, beta + T
    with np.errstate(divide="ignore"):
        log_t = np.log(t)
    first = np.exp(gammaln(rp + n) - gammaln(rp) - gammaln(n + 1) + rp * (np.log(ap) - np.log(ap + t))
                   + np.where(n > 0, n * (log_t - np.log(ap + t)), 0.0) + s * (np.log(bp) - np.log(bp + t)))
    zero = np.zeros_like(t)
    second = _pareto_moment(rp, ap, s, bp, n, zero, zero)
    third = np.zeros(np.broadcast(rp, n, t).shape)
    for i in range(int(np.max(n)) + 1):
        term = _pareto_moment(rp, ap, s, bp, n, np.full_like(third, float(i)), t)
        coef = np.exp(np.where(t > 0, i * log_t, 0.0 if i == 0 else -np.inf) - gammaln(i + 1.0))
        third = third + np.where(i <= n, coef * term, 0.0)
    alive = np.clip(first + second - third, 0.0, 1.0)
    return p_alive * alive + (1.0 - p_alive) * (n == 0)


def bgbb_pmf(theta: np.ndarray, n: np.ndarray, t: np.ndarray, x: np.ndarray, periods: np.ndarray,
             log_lik: np.ndarray) -> np.ndarray:
    """P(X(periods, periods + t) = n | x, t_x, periods) of BG/BB; ``t`` whole opportunities.

    Joint probability of the data and of the future, divided by the likelihood ``L``::

        [n = 0] (L - A) + sum_{j=n}^{t} C(j, n) B(alpha+x+n, beta+periods-x+j-n)/B(alpha, beta)
                                       * S_j / B(gamma, delta)

    with ``A = B(alpha+x, beta+periods-x)/B(alpha, beta) B(gamma, delta+periods)/B(gamma, delta)``
    (data and alive at ``periods``), ``S_j = B(gamma+1, delta+periods+j)`` for ``j < t`` and
    ``B(gamma, delta+periods+t)`` for ``j = t``.
    """
    al, be, ga, de = theta
    nn = periods
    log_a = betaln(al + x, be + nn - x) - betaln(al, be) + betaln(ga, de + nn) - betaln(ga, de)
    total = np.where(n == 0, -np.expm1(log_a - log_lik), 0.0)
    for j in range(int(np.max(t)) + 1):
        ok = (j >= n) & (j <= t)
        jn = np.where(ok, j - n, 0.0)
        log_s = np.where(j < t, betaln(ga + 1.0, de + nn + j), betaln(ga, de + nn + t))
        log_term = (gammaln(j + 1.0) - gammaln(n + 1.0) - gammaln(jn + 1.0)
                    + betaln(al + x + n, be + nn - x + jn) - betaln(al, be) + log_s - betaln(ga, de))
        total = total + np.where(ok, np.exp(log_term - log_lik), 0.0)
    return np.clip(total, 0.0, 1.0)
