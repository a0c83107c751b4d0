"""Gauss quadrature against a Beta density: ``E[g(p)]`` for ``p ~ Beta(a, b)``.

Used where a closed form in Gauss hypergeometric functions loses its precision (the BG/NBD
conditional expectation for customers observed for decades of days, or with parameters far from
the usual range): the expectation of a smooth bounded function over a Beta posterior is an
integral that Gauss-Jacobi quadrature evaluates to near machine precision with a few dozen nodes,
with the Beta density's endpoint singularities (``a < 1`` or ``b < 1``) carried by the weight
function instead of the integrand.

The nodes are the eigenvalues of the Jacobi matrix of the monic Jacobi polynomials (Golub &
Welsch 1969) and the weights the squared first components of its eigenvectors, normalised to
sum to 1 (so no Beta function is evaluated, and ``b`` in the tens of thousands is fine, where
``scipy.special.roots_jacobi`` overflows).

Reference: Golub, G. H. & Welsch, J. H. (1969), "Calculation of Gauss quadrature rules",
Mathematics of Computation 23(106), 221-230; the recurrence coefficients of the Jacobi
polynomials are in Gautschi (2004), Orthogonal Polynomials, table 1.1.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh_tridiagonal

__all__ = ["beta_rule"]


def beta_rule(a: float, b: float, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in (0, 1) and weights (summing to 1) of the ``n``-point Gauss rule for ``Beta(a, b)``.

    ``sum(w * g(p))`` equals ``E[g(p)]`` exactly for polynomials ``g`` of degree < 2n.

    Parameters
    ----------
    a, b : float
        Shape parameters (> 0) of the Beta density ``p^(a-1) (1-p)^(b-1) / B(a, b)``.
    n : int
        Number of nodes.
    """
    if not (a > 0 and b > 0):
        raise ValueError(f"The Beta shape parameters must be > 0. Got a={a!r}, b={b!r} instead.")
    # Jacobi weight (1 - y)^al (1 + y)^be on [-1, 1], with p = (1 + y) / 2
    al, be = b - 1.0, a - 1.0
    k = np.arange(n, dtype=float)
    s = 2.0 * k + al + be
    diag = np.empty(n)
    diag[0] = (be - al) / (al + be + 2.0)
    diag[1:] = (be * be - al * al) / (s[1:] * (s[1:] + 2.0))
    m = k[1:]
    s1 = s[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        off2 = 4.0 * m * (m + al) * (m + be) * (m + al + be) / (s1 * s1 * (s1 + 1.0) * (s1 - 1.0))
    if n > 1:  # m = 1: (m + al + be) / (s1 - 1) = 1, also where a + b = 1 makes both 0
        off2[0] = 4.0 * (1.0 + al) * (1.0 + be) / (s1[0] * s1[0] * (s1[0] + 1.0))
    off = np.sqrt(off2)
    y, vec = eigh_tridiagonal(diag, off)
    w = vec[0] ** 2
    return np.clip((1.0 + y) / 2.0, 0.0, 1.0), w / w.sum()
