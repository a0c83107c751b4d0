"""Fit every applicable transaction model and choose one, saying why.

Candidates are the continuous-time models in :data:`MODELS` (Pareto/NBD only when its module is
importable). BG/BB is for discrete opportunities and is chosen by the caller, not here.
The rule: with holdout data, the lowest mean absolute error of per-customer holdout purchases
wins (it measures what the report uses the model for); without, the lowest BIC (with equal
parameter counts, the highest log-likelihood).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.errors import ConvergenceError, InsufficientDataError
from loyalscope.models.base import as_array
from loyalscope.models.purchase.bgnbd import BGNBD
from loyalscope.models.purchase.mbgnbd import MBGNBD

MODELS: dict[str, Any] = {"bgnbd": BGNBD, "mbgnbd": MBGNBD}
try:
    MODELS["pareto_nbd"] = importlib.import_module("loyalscope.models.purchase.pareto_nbd").ParetoNBD
except ImportError:  # pragma: no cover - present once the Pareto/NBD module lands
    pass


@dataclass
class Selection:
    """Result of :func:`select_model`.

    ``table`` has one row per candidate: model, loglik, aic, bic, holdout_mae, error (why a fit
    failed, else None). ``chosen`` is the registry key of the winner, ``model`` its fitted
    instance, ``criterion`` "holdout_mae" or "bic", ``reason`` one English sentence (the report
    words it from the i18n key ``models.selection.<criterion>``).
    """

    table: pd.DataFrame
    chosen: str
    model: Any
    criterion: str
    reason: str


def select_model(frequency: Any, recency: Any, T: Any, weights: Any = None, *,
                 holdout_frequency: Any = None, holdout_duration: float | None = None,
                 candidates: list[str] | None = None, penalizer: float = 0.0) -> Selection:
    """Fit the candidate models on (frequency, recency, T) and pick one.

    Parameters
    ----------
    frequency, recency, T, weights : calibration data, as for ``BGNBD.fit`` (one time unit).
    holdout_frequency : optional per-customer repeat purchases in the holdout period (needs
        unweighted rows, one per customer).
    holdout_duration : length of the holdout period, same time unit.
    candidates : registry keys to try (default: all of :data:`MODELS`).
    """
    names = candidates or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"Unknown model(s) {unknown}; choose from {sorted(MODELS)}.")
    use_holdout = holdout_frequency is not None
    if use_holdout:
        if holdout_duration is None or holdout_duration <= 0:
            raise ValueError("The 'holdout_duration' argument must be > 0 when 'holdout_frequency' is given.")
        if weights is not None:
            raise ValueError("Holdout evaluation needs one row per customer; leave 'weights' out.")
        actual = as_array("holdout_frequency", holdout_frequency)
    rows, fitted = [], {}
    for name in names:
        row: dict[str, Any] = {"model": name, "loglik": np.nan, "aic": np.nan, "bic": np.nan,
                               "holdout_mae": np.nan, "error": None}
        try:
            model = MODELS[name](penalizer=penalizer).fit(frequency, recency, T, weights=weights)
        except ConvergenceError as exc:
            row["error"] = exc.message
            rows.append(row)
            continue
        fitted[name] = model
        row.update(loglik=model.loglik_, aic=model.aic_, bic=model.bic_)
        if use_holdout:
            pred = model.predict_purchases(holdout_duration, frequency, recency, T)
            row["holdout_mae"] = float(np.mean(np.abs(pred - actual)))
        rows.append(row)
    table = pd.DataFrame(rows)
    if not fitted:
        raise InsufficientDataError("No transaction model could be fitted to these data.",
                                    fix="Check the customer summary (frequency, recency <= T) and the time unit; "
                                        "see the errors in the model comparison.")
    criterion = "holdout_mae" if use_holdout else "bic"
    ok = table[table.error.isna()]
    best = ok.loc[ok[criterion].idxmin()]
    runner = ok[ok.model != best.model].sort_values(criterion).head(1)
    if criterion == "holdout_mae":
        reason = f"{best.model} has the lowest holdout error (MAE {best.holdout_mae:.4f} purchases per customer"
    else:
        reason = f"{best.model} has the lowest BIC ({best.bic:.2f}; log-likelihood {best.loglik:.2f}"
    if len(runner):
        reason += f"; next {runner.model.iloc[0]} at {runner[criterion].iloc[0]:.4f}" if criterion == "holdout_mae" \
            else f"; next {runner.model.iloc[0]} at {runner[criterion].iloc[0]:.2f}"
    reason += ")."
    return Selection(table=table, chosen=str(best.model), model=fitted[best.model], criterion=criterion, reason=reason)
