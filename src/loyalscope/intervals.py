"""Confidence intervals of the headline rates.

A rate k / n is shown with its Wilson score interval (Wilson 1927): unlike the Wald interval
``p +/- z sqrt(p (1-p) / n)`` it stays inside [0, 1], is not degenerate at k = 0 or k = n, and
keeps close to its nominal coverage for small n::

    centre = (k + z^2/2) / (n + z^2)
    half   = z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4)

Reference: Wilson, E. B. (1927), "Probable inference, the law of succession, and statistical
inference", JASA 22(158), 209-212; Brown, Cai & DasGupta (2001), Statistical Science 16(2).
"""

from __future__ import annotations

import math

from scipy.stats import norm

__all__ = ["wilson_interval"]


def wilson_interval(k: float, n: float, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of the proportion ``k / n`` (None when ``n`` is 0).

    ``k`` may be fractional (a weighted count); it is clipped to [0, n].
    """
    if not n > 0:
        return None
    z = float(norm.ppf(0.5 + level / 2.0))
    k = min(max(float(k), 0.0), float(n))
    z2 = z * z
    centre = (k + z2 / 2.0) / (n + z2)
    half = z / (n + z2) * math.sqrt(k * (n - k) / n + z2 / 4.0)
    return max(0.0, centre - half), min(1.0, centre + half)
