"""Excellent-customer evaluation (优秀客户评估): loyalty, value, satisfaction, potential.

Each component is brought to 0-1 by its percentile rank among customers (so money and scores
mix fairly), then ``score = sum_k w_k * c_k / sum_k w_k`` over the components a customer has.
Default weights: loyalty 0.3, value 0.3, satisfaction 0.2, potential 0.2.

Tiers by score: ``A`` (>= 0.75), ``B`` (>= 0.5), ``C`` (>= 0.25), ``D`` (below); cut-offs are
arguments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPONENTS = ("loyalty", "value", "satisfaction", "potential")
DEFAULT_WEIGHTS = {"loyalty": 0.3, "value": 0.3, "satisfaction": 0.2, "potential": 0.2}


def excellent_customers(
    components: pd.DataFrame,
    weights: dict[str, float] | None = None,
    cuts: tuple[float, float, float] = (0.75, 0.5, 0.25),
) -> pd.DataFrame:
    """``score`` (0-1) and ``tier`` (A-D) from a frame with any of the four component columns."""
    weights = weights or DEFAULT_WEIGHTS
    cols = [c for c in COMPONENTS if c in components and components[c].notna().any()]
    ranks = components[cols].rank(pct=True, method="average")
    wv = np.array([weights[c] for c in cols])
    z = ranks.to_numpy(float)
    avail = ~np.isnan(z)
    score = np.nansum(z * wv, axis=1) / np.maximum((avail * wv).sum(axis=1), 1e-12)
    out = ranks.add_suffix("_pct")
    out["score"] = score
    out["tier"] = np.select([score >= cuts[0], score >= cuts[1], score >= cuts[2]], ["A", "B", "C"], "D")
    return out
