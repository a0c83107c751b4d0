"""Churn risk at a cut-off date: features, labels, out-of-time validation and scoring.

No leakage: every feature of a customer at cut-off ``c`` is computed from rows with a time
stamp strictly before ``c`` (orders, returns, complaints, survey answers, interactions); the
label "churned" = no order in ``[c, c + horizon)``. The model is trained at
``c_train = c_valid - horizon`` (whose labels end where validation starts) and validated at
``c_valid = analysis_date - horizon`` (labels observed by the analysis date); it then scores
every customer at the analysis date.

Features
    recency_days, frequency, monetary, tenure_days (first order -> cut-off), complaints,
    unresolved_complaints, returns, nps, csat (mean answers), interactions. A feature whose
    table or column is absent is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.models.churn.churn_risk import (
    LogisticChurnModel,
    auc,
    calibration_curve,
    lift_table,
)


def _ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def churn_features(ds: Dataset, cutoff: date) -> pd.DataFrame:
    """Features per customer (index ``customer_id``) from rows before ``cutoff`` only."""
    cut = _ts(cutoff)
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    tx = tx.filter(tx.order_ts < cut)
    base = tx.group_by("customer_id").aggregate(
        first_ts=tx.order_ts.min(), last_ts=tx.order_ts.max(),
        frequency=tx.count(), monetary=tx.amount.sum(),
    ).to_pandas()
    base["customer_id"] = base.customer_id.astype(str)
    base = base.set_index("customer_id").sort_index()
    cut_ts = pd.Timestamp(cut)
    out = pd.DataFrame(index=base.index)
    out["recency_days"] = (cut_ts - pd.to_datetime(base.last_ts)).dt.total_seconds() / 86400
    out["frequency"] = base.frequency.astype(float)
    out["monetary"] = base.monetary.astype(float)
    out["tenure_days"] = (cut_ts - pd.to_datetime(base.first_ts)).dt.total_seconds() / 86400
    if ds.has("complaints"):
        cp = ds.table("complaints", "customer_id", "opened_ts")
        cp = cp.filter(cp.opened_ts < cut)
        aggs = {"complaints": cp.count()}
        if "resolved" in cp.columns:
            # resolution known only if closed before the cut-off
            closed = cp.resolved.fill_null(False)
            if "closed_ts" in cp.columns:
                closed = closed & cp.closed_ts.notnull() & (cp.closed_ts < cut)
            aggs["unresolved_complaints"] = (~closed).cast("int64").sum()
        out = out.join(_agg(cp, aggs), how="left")
    if ds.has("returns"):
        rt = ds.table("returns", "order_id", "return_ts")
        rt = rt.filter(rt.return_ts < cut)
        orders = ds.table("transactions", "order_id", "customer_id")
        j = rt.join(orders, "order_id")
        out = out.join(_agg(j, {"returns": j.count()}), how="left")
    if ds.has("surveys"):
        sv = ds.table("surveys", "customer_id", "answered_ts")
        sv = sv.filter(sv.answered_ts < cut)
        aggs = {c: sv[c].mean() for c in ("nps", "csat") if c in sv.columns}
        if aggs:
            out = out.join(_agg(sv, aggs), how="left")
    if ds.has("interactions"):
        it = ds.table("interactions", "customer_id", "ts")
        it = it.filter(it.ts < cut)
        out = out.join(_agg(it, {"interactions": it.count()}), how="left")
    for c in ("complaints", "unresolved_complaints", "returns", "interactions"):
        if c in out:
            out[c] = out[c].fillna(0).astype(float)
    return out


def _agg(tbl: Any, aggs: dict[str, Any]) -> pd.DataFrame:
    df = tbl.group_by("customer_id").aggregate(**aggs).to_pandas()
    df["customer_id"] = df.customer_id.astype(str)
    return df.set_index("customer_id").astype(float)


def churn_labels(ds: Dataset, cutoff: date, horizon: int) -> pd.Series:
    """1 = no order in ``[cutoff, cutoff + horizon days)``, for customers who bought before."""
    cut, end = _ts(cutoff), _ts(cutoff + timedelta(days=horizon))
    tx = ds.table("transactions", "customer_id", "order_ts")
    before = tx.filter(tx.order_ts < cut).select("customer_id").distinct().to_pandas()
    after = tx.filter((tx.order_ts >= cut) & (tx.order_ts < end)).select("customer_id").distinct().to_pandas()
    ids = before.customer_id.astype(str)
    active = set(after.customer_id.astype(str))
    return pd.Series([0 if i in active else 1 for i in ids], index=pd.Index(ids, name="customer_id"),
                     name="churned").sort_index()


@dataclass
class ChurnResult:
    """Out-of-time churn model: fit, validation measures and current scores."""

    model: LogisticChurnModel
    features: list[str]
    train_cutoff: date
    valid_cutoff: date
    horizon: int
    auc_train: float
    auc_valid: float
    calibration: pd.DataFrame
    lift: pd.DataFrame
    scores: pd.DataFrame
    """customer_id -> churn_probability at the analysis date."""


def churn_risk(ds: Dataset, horizon: int | None = None, alpha: float = 0.01) -> ChurnResult:
    """Train at an earlier cut-off, validate out of time, score customers at the analysis date."""
    horizon = horizon or ds.config.segments.churn_horizon_days
    today = ds.analysis_date
    valid_cut = today - timedelta(days=horizon)
    train_cut = valid_cut - timedelta(days=horizon)
    xt = churn_features(ds, train_cut)
    yt = churn_labels(ds, train_cut, horizon).loc[xt.index]
    xv = churn_features(ds, valid_cut)
    yv = churn_labels(ds, valid_cut, horizon).loc[xv.index]
    feats = [c for c in xt.columns if c in xv.columns]
    model = LogisticChurnModel(alpha).fit(xt[feats].to_numpy(float), yt.to_numpy(), feats)
    pv = model.predict_proba(xv[feats].to_numpy(float))
    y = yv.to_numpy()
    xs = churn_features(ds, today)
    for c in feats:
        if c not in xs:
            xs[c] = np.nan
    scores = pd.DataFrame({"churn_probability": model.predict_proba(xs[feats].to_numpy(float))},
                          index=xs.index)
    return ChurnResult(
        model, feats, train_cut, valid_cut, horizon,
        auc(yt.to_numpy(), model.predict_proba(xt[feats].to_numpy(float))), auc(y, pv),
        calibration_curve(y, pv), lift_table(y, pv), scores,
    )
