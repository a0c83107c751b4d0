"""Composite loyalty index (客户忠诚度综合评价), 0-100, over the A1-A3 hierarchy of metrics.md.

======  ==========================================  =========
id      indicator                                   direction
======  ==========================================  =========
A11     purchase duration (days first -> last)      +
A12     purchase frequency (orders)                 +
A13     frequency trend (orders last half - first)  +
A21     share of wallet (survey, 0-1)               +
A22     cross-selling (distinct categories)         +
A31     unprompted mention rate (survey)            +
A32     price sensitivity (survey)                  - (inverse)
A33     voluntariness of purchase (survey)          +
A34     satisfaction (survey CSAT)                  +
======  ==========================================  =========

``index = 100 * sum_j w_j * x'_j`` where ``x'_j`` is the min-max normalised indicator (reversed
for negative ones) and ``w`` sums to 1. An indicator missing from the data is dropped, the other
weights are rescaled to sum to 1 and a note says so. A customer missing some indicator values
(e.g. no survey answer) is scored on the ones present, with their weights rescaled.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from loyalscope.errors import ConfigError, InsufficientDataError
from loyalscope.i18n import t
from loyalscope.indices.ahp import hierarchy_weights, load_hierarchy
from loyalscope.indices.entropy import entropy_weights, minmax

INDICATORS = ("A11", "A12", "A13", "A21", "A22", "A31", "A32", "A33", "A34")
POSITIVE = {k: k != "A32" for k in INDICATORS}


def resolve_weights(weights: str | dict[str, float], indicators: pd.DataFrame) -> dict[str, float]:
    """Leaf weights from "ahp" (bundled matrices), "entropy", a TOML file, or a dict."""
    if isinstance(weights, dict):
        return dict(weights)
    if weights == "ahp":
        return load_hierarchy()[0]
    if weights == "entropy":
        cols = [c for c in INDICATORS if c in indicators and indicators[c].notna().any()]
        sub = indicators[cols].dropna()
        if len(sub) < 2:  # survey columns leave few complete rows: use each column alone
            sub = indicators[cols].fillna(indicators[cols].median())
        w = entropy_weights(sub.to_numpy(float), [POSITIVE[c] for c in cols])
        return dict(zip(cols, w.tolist(), strict=True))
    path = Path(weights)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    if "weights" in raw:
        return {k: float(v) for k, v in raw["weights"].items()}
    if "criteria" in raw:
        return hierarchy_weights(raw, str(path))[0]
    raise ConfigError(t("indices.loyalty.bad_weights", file=str(path)), file=str(path),
                      fix=t("indices.loyalty.bad_weights_fix"))


def loyalty_index(
    indicators: pd.DataFrame,
    weights: str | dict[str, float] = "ahp",
    lang: str | None = None,
) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """Score each row of ``indicators`` (columns A11..A34, any subset).

    Returns (frame with normalised indicators and ``loyalty_index`` 0-100, the weights used,
    notes about dropped indicators).
    """
    w_all = resolve_weights(weights, indicators)
    present = [c for c in INDICATORS if c in indicators and indicators[c].notna().any()
               and w_all.get(c, 0) > 0]
    notes = [t("indices.loyalty.dropped", lang, indicator=c)
             for c in INDICATORS if c in w_all and w_all[c] > 0 and c not in present]
    if not present:
        raise InsufficientDataError(t("indices.loyalty.no_indicators", lang),
                                    fix=t("indices.loyalty.no_indicators_fix", lang))
    total = sum(w_all[c] for c in present)
    w = {c: w_all[c] / total for c in present}
    out = pd.DataFrame(index=indicators.index)
    for c in present:
        x = indicators[c].to_numpy(float)
        out[c] = minmax(x, POSITIVE[c]) if np.nanmax(x) > np.nanmin(x) else np.where(np.isnan(x), np.nan, 0.5)
    wv = np.array([w[c] for c in present])
    z = out[present].to_numpy(float)
    avail = ~np.isnan(z)
    num = np.nansum(z * wv, axis=1)
    den = (avail * wv).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["loyalty_index"] = np.where(den > 0, 100.0 * num / den, np.nan)
    return out, w, notes
