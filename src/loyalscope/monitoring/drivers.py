"""Where a change comes from: each segment's deviation from its own expected value, weighted by
its part of the metric's denominator.

For a ratio ``Y = sum_g w_g y_g`` (``w_g`` the segment's share of the denominator in the
period), ``Y - sum_g w_g yhat_g = sum_g w_g (y_g - yhat_g)``: each segment contributes
``w_g (y_g - yhat_g)``, where ``yhat_g`` is the segment's own expected value (its own
history, :mod:`loyalscope.monitoring.baseline`). A segment that moved as it usually does
contributes about nothing, whatever its size; the segment that broke its pattern contributes
its deviation times its weight. For volumes (orders, revenue, complainants x ratio) the
segments add up, so ``w_g = 1``. Segments are ranked by their contribution in the direction of the total's change
(the analysis of variance in "mix" and "rate" terms of Bennet-type decompositions, here with
expected instead of previous values).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from loyalscope.monitoring.alerts import Driver
from loyalscope.monitoring.baseline import Track
from loyalscope.monitoring.catalogue import ADDITIVE
from loyalscope.monitoring.series import Series


def contributions(segments: dict[str, list[tuple[Series, Track]]], i: int) -> list[Driver]:
    """Every segment's contribution at period index ``i`` (segments without a value or an
    expected value there are left out)."""
    out: list[Driver] = []
    for dim, parts in segments.items():
        live = [(s, tr) for s, tr in parts
                if np.isfinite(s.value[i]) and np.isfinite(tr.expected[i])]
        total = sum(float(s.denominator[i]) for s, _ in live)
        for s, tr in live:
            w = 1.0 if s.metric in ADDITIVE else (float(s.denominator[i]) / total if total else 0.0)
            dev = float(s.value[i] - tr.expected[i])
            p = float(tr.p[i]) if np.isfinite(tr.p[i]) else None
            out.append(Driver(dimension=dim, segment=s.segment, value=float(s.value[i]),
                              expected=float(tr.expected[i]), contribution=w * dev, share=None,
                              n=s.sample(i), p_value=p))
    return out


def rank(drivers: list[Driver], deviation: float, limit: int,
         first: tuple[str, object] | None = None) -> list[Driver]:
    """The ``limit`` segments contributing most to ``deviation`` (total value - expected),
    with ``share`` filled in; ``first`` = (dimension, segment) is put first if present."""
    sign = 1.0 if deviation >= 0 else -1.0
    aligned = [d for d in drivers if d.contribution * sign > 0]
    aligned.sort(key=lambda d: d.contribution * sign, reverse=True)
    if first is not None:
        head = [d for d in drivers if (d.dimension, d.segment) == first]
        aligned = head + [d for d in aligned if (d.dimension, d.segment) != first]
    return [replace(d, share=d.contribution / deviation if deviation else None)
            for d in aligned[:limit]]
