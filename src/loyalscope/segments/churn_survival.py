"""Retention curves (Kaplan-Meier) by segment and a Cox model of churn drivers.

Durations at the analysis date ``as_of``: a customer is "churned" (event) when the days since
the last order exceed the inactivity window ``w`` (:mod:`loyalscope.metrics.window`); a churned
customer's duration runs from the first order to the first day they were no longer active
(``w + 1`` days after the last order), a censored one's from the first order to ``as_of``. So
every curve is 1 at day 0, as :func:`loyalscope.metrics.cohorts.survival_curve`. Curves are returned
aggregated: survival at a grid of days per segment (no row per customer). Both are vectorised
NumPy (no loop over customers or event times), so they fit every customer: the Cox model is
:class:`loyalscope.models.churn.cox.CoxPH`, which gives lifelines' ``CoxPHFitter`` estimates.

Reference: Kaplan, E. L. & Meier, P. (1958). JASA 53; Cox, D. R. (1972). JRSS B 34.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.metrics.window import inactivity_days as window_days
from loyalscope.models.churn.cox import CoxPH
from loyalscope.segments.churn import churn_features


def survival_table(ds: Dataset, as_of: date | None = None, inactivity_days: int | None = None) -> pd.DataFrame:
    """Features at ``as_of`` plus ``duration`` (days) and ``event`` (1 = churned).

    The feature columns are the dataset's memoised arrays (a shallow copy): read them or
    replace a column, do not write into one."""
    as_of = as_of or ds.analysis_date
    inactivity_days = inactivity_days or window_days(ds)
    f = churn_features(ds, as_of, deep=False)  # reads and adds columns only
    event = (f.recency_days > inactivity_days).astype(int)
    f["event"] = event
    f["duration"] = np.where(event == 1, f.tenure_days - f.recency_days + inactivity_days + 1, f.tenure_days)
    f["duration"] = f["duration"].clip(lower=0.5)  # first order on the analysis date: avoid zero
    return f


def km_curves(surv: pd.DataFrame, segment: pd.Series | None = None, grid: int = 30) -> pd.DataFrame:
    """Kaplan-Meier survival per segment at ``grid`` evenly spaced days (long format:
    segment, day, survival, at_risk).

    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` over the distinct durations ``t_i`` with
    ``d_i`` churn events and ``n_i`` customers still observed (duration >= ``t_i``); computed
    from one sort per segment."""
    groups = segment.reindex(surv.index).fillna("all") if segment is not None else pd.Series("all", index=surv.index)
    days = np.linspace(0, float(surv.duration.max()), grid)
    duration = surv.duration.to_numpy(float)
    event = surv.event.to_numpy(float)
    rows = []
    for name, idx in groups.groupby(groups, sort=True).indices.items():
        dur, ev = duration[idx], event[idx]
        order = np.argsort(dur, kind="stable")
        dur, ev = dur[order], ev[order]
        times, first = np.unique(dur, return_index=True)
        deaths = np.add.reduceat(ev, first)
        at_risk_t = len(dur) - first
        s_t = np.cumprod(1.0 - deaths / at_risk_t)
        pos = np.searchsorted(times, days, side="right") - 1
        s = np.where(pos >= 0, s_t[np.maximum(pos, 0)], 1.0)
        at_risk = len(dur) - np.searchsorted(dur, days, side="left")
        rows += [{"segment": name, "day": float(d), "survival": float(v), "at_risk": int(a)}
                 for d, v, a in zip(days, s, at_risk, strict=True)]
    return pd.DataFrame(rows)


def cox_model(surv: pd.DataFrame, penalizer: float = 0.05) -> CoxPH:
    """Cox proportional-hazards fit of churn on the customer features, standardised, on every
    customer (:class:`~loyalscope.models.churn.cox.CoxPH`: Efron ties, ridge ``penalizer``).

    ``exp(coef)`` is the hazard ratio per SD of a feature. Missing values are filled with the
    feature's median; features that do not vary are left out, and so are recency and tenure,
    which define the outcome. Raises :class:`InsufficientDataError` without 5 churn events or a
    varying feature, :class:`~loyalscope.errors.ConvergenceError` if the fit does not converge.
    """
    cols = [c for c in surv.columns if c not in ("event", "duration", "recency_days", "tenure_days")]
    zt, names = standardised_rows(surv, cols)
    if surv.event.sum() < 5 or not names:
        raise InsufficientDataError(
            t("models.errors.cox_needs_events", events=int(surv.event.sum())),
            fix=t("models.errors.cox_needs_events_fix"),
        )
    return CoxPH(penalizer).fit(surv.duration.to_numpy(float), surv.event.to_numpy(float), zt.T, names)


def standardised_rows(frame: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, list[str]]:
    """The columns ``cols`` of ``frame`` as the rows of one ``p x n`` float array, missing values
    filled with the column's median, each standardised ``(x - mean) / sd`` (sample SD,
    ``ddof=1``); a column that does not vary (or has no value) is left out. Returns the array
    and the names of its rows.

    One array of the kept features and one column-sized temporary: the Cox fit on ten million
    customers held five copies of its features before (pandas' ``astype``, ``fillna``, the
    selection, the standardisation and the transpose: 0.6 GB each with eight features)."""
    rows = np.empty((len(cols), len(frame)))
    keep = []
    for j, c in enumerate(cols):
        v = rows[j]
        v[:] = frame[c].to_numpy(float)
        missing = np.isnan(v)
        if missing.any():
            if missing.all():
                continue
            v[missing] = np.median(v[~missing])
        sd = v.std(ddof=1) if len(v) > 1 else 0.0
        if not sd > 0:
            continue
        v -= v.mean()
        v /= sd
        keep.append(j)
    names = [cols[j] for j in keep]
    return (rows if len(keep) == len(cols) else rows[keep]), names


def cox_drivers(surv: pd.DataFrame, penalizer: float = 0.05) -> pd.DataFrame:
    """The summary of :func:`cox_model` (index ``covariate``): ``coef``, ``exp(coef)`` (hazard
    ratio per SD), ``se(coef)``, the hazard ratio's 95% interval ``hr_low`` / ``hr_high``, ``z``
    and ``p``."""
    return cox_model(surv, penalizer).summary()
