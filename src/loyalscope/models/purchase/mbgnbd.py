"""MBG/NBD model (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of
models for customer base analysis"; also BTYDplus ``mbgnbd``).

As BG/NBD, but a customer may also drop out right after the first purchase (at time 0), so a
customer with no repeat purchase is not assumed alive::

    L = B(a, b+x+1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + B(a+1, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

    P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))

    E[Y(t) | x, t_x, T] = (a+b+x)/(a-1)
        * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive)

A new customer's E[X(t)] is the same expression at x = t_x = T = 0, i.e.
``b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]``: only the share b/(a+b) that
survives time 0 buys again.

The likelihood, gradient and predictions are those of :class:`~loyalscope.models.purchase.bgnbd.BGNBD`
with the beta arguments shifted by one (``_shift = 1``).
"""

from __future__ import annotations

from typing import ClassVar

from loyalscope.models.purchase.bgnbd import BGNBD


class MBGNBD(BGNBD):
    """Modified BG/NBD; same interface and parameter names (r, alpha, a, b) as :class:`BGNBD`."""

    _shift: ClassVar[int] = 1
