"""Churn risk at a cut-off date: features, labels, out-of-time validation and scoring.

No leakage: every feature of a customer at cut-off ``c`` is computed from rows with a time
stamp strictly before ``c`` (orders, returns, complaints, survey answers, interactions); the
label "churned" = no order in ``[c, c + horizon)``. The model is trained at
``c_train = c_valid - horizon`` (whose labels end where validation starts) and validated at
``c_valid = analysis_date - horizon`` (labels observed by the analysis date); it then scores
every customer at the analysis date.

The horizon is the inactivity window (:mod:`loyalscope.metrics.window`) unless
``[segments] churn_horizon_days`` says otherwise, so "churn" means the same as in the churn rate
and the survival curve: no order within the window. The window is validated: the training
cut-off needs at least one horizon of order history before it (the data must span three
horizons), and enough customers with both outcomes at both cut-offs; otherwise a clear
:class:`~loyalscope.errors.InsufficientDataError` names the span needed and the span there is.

Risk is relative: customers are put in tiers by the rank of their score (the top 10% "high",
the next 20% "elevated", the rest "usual"; equal scores share a tier), and each probability is
shown beside the base rate (the share of customers with no order within the horizon at the
validation cut-off) as its *lift*, probability / base rate. So "high risk" means more likely to
churn than the other customers, and how much more is stated; an absolute threshold of 50%
flagged 95% of the customers of the demo (99.98% of a marketplace's, whose base rate that is)
and the care plan targeted everyone.

Features
    recency_days, frequency, monetary, tenure_days (first order -> cut-off), complaints,
    unresolved_complaints, returns, nps, csat (mean answers), interactions. A feature whose
    table or column is absent is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
from scipy.stats import rankdata

from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.metrics._base import ind, sorted_by_customer
from loyalscope.metrics.window import inactivity_days
from loyalscope.models.churn.churn_risk import (
    LogisticChurnModel,
    auc,
    auc_interval,
    calibration_curve,
    lift_table,
)


def _ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def churn_features(ds: Dataset, cutoff: date, deep: bool = True) -> pd.DataFrame:
    """Features per customer (index ``customer_id``, sorted) from rows before ``cutoff`` only.

    One query on the engine (every table aggregated per customer and joined there), computed
    once per cut-off for a dataset (:meth:`Dataset.memo`). Each call returns its own copy;
    ``deep=False`` gives a shallow one for a caller that only reads the values or adds columns
    (no second copy of every feature: 0.8 GB at ten million customers)."""
    return ds.memo(("churn_features", cutoff), lambda: _fetch(ds, [cutoff])[0]).copy(deep=deep)


def churn_labels(ds: Dataset, cutoff: date, horizon: int) -> pd.Series:
    """1 = no order in ``[cutoff, cutoff + horizon days)``, for customers who bought before."""
    return _fetch(ds, [cutoff, cutoff + timedelta(days=horizon)])[0]["churned"]


def _fetch(ds: Dataset, cutoffs: list[date]) -> list[pd.DataFrame]:
    """The features at each of the increasing ``cutoffs``, in one query on the engine, fetched
    once, sorted by customer. Frame ``i`` holds the customers with an order before
    ``cutoffs[i]``; every frame but the last also has ``churned`` = 1 when the customer has no
    order in ``[cutoffs[i], cutoffs[i + 1])`` (the same order count at both cut-offs).

    The orders are aggregated per customer once per slice between consecutive cut-offs (first
    and last order time, count, exact decimal sum of the amounts) and the slices are combined
    into the running values at each cut-off (the first order of the earliest slice with one, the
    last of the latest, the sums of the counts and of the decimal sums): the same numbers as
    aggregates filtered to the rows before each cut-off, with one aggregate state per slice
    instead of one per cut-off on every order (three times less aggregation work)."""
    cuts = [_ts(c) for c in cutoffs]
    joined = _order_slices(ds.table("transactions", "customer_id", "order_ts", "amount"), cuts)
    names: list[str] = []  # the optional features, in order
    parts: list[tuple[ibis.Table, dict[str, Any]]] = []
    if ds.has("complaints"):
        cp = ds.table("complaints", "customer_id", "opened_ts")
        cp = cp.filter(cp.opened_ts < cuts[-1])
        names += ["complaints", "unresolved_complaints"] if "resolved" in cp.columns else ["complaints"]
        aggs = {}
        for i, cut in enumerate(cuts):
            aggs[f"complaints{i}"] = cp.count(where=cp.opened_ts < cut)
            if "resolved" in cp.columns:
                # resolution known only if closed before the cut-off
                closed = cp.resolved.fill_null(False)
                if "closed_ts" in cp.columns:
                    closed = closed & cp.closed_ts.notnull() & (cp.closed_ts < cut)
                aggs[f"unresolved_complaints{i}"] = ind(~closed).sum(where=cp.opened_ts < cut)  # PostgreSQL: no bool -> int cast
        parts.append((cp, aggs))
    if ds.has("returns"):
        rt = ds.table("returns", "order_id", "return_ts")
        rt = rt.filter(rt.return_ts < cuts[-1])
        orders = ds.table("transactions", "order_id", "customer_id")
        j = rt.join(orders, "order_id")
        names.append("returns")
        parts.append((j, {f"returns{i}": j.count(where=j.return_ts < cut) for i, cut in enumerate(cuts)}))
    if ds.has("surveys"):
        sv = ds.linked_answers("answered_ts")
        sv = sv.filter(sv.answered_ts < cuts[-1])
        aggs = {f"{c}{i}": sv[c].mean(where=sv.answered_ts < cut)
                for i, cut in enumerate(cuts) for c in ("nps", "csat") if c in sv.columns}
        if aggs:
            names += [c for c in ("nps", "csat") if c in sv.columns]
            parts.append((sv, aggs))
    if ds.has("interactions"):
        it = ds.table("interactions", "customer_id", "ts")
        it = it.filter(it.ts < cuts[-1])
        names.append("interactions")
        parts.append((it, {f"interactions{i}": it.count(where=it.ts < cut) for i, cut in enumerate(cuts)}))
    for k, (tbl, aggs) in enumerate(parts):
        key = f"_cid{k}"
        agg = tbl.group_by(**{key: tbl.customer_id.cast("string")}).aggregate(**aggs)
        joined = joined.left_join(agg, joined.customer_id == agg[key]).drop(key)
    index, arrays = sorted_by_customer(joined.to_pyarrow(), ds)  # one conversion per column
    values = {c: np.asarray(v) for c, v in arrays.items()}  # a time with a zone: Timestamp objects
    counts = ("complaints", "unresolved_complaints", "returns", "interactions")
    frames = []
    for i, cut in enumerate(cuts):
        keep = values[f"frequency{i}"] > 0
        every = bool(keep.all())

        def col(name: str, keep: np.ndarray = keep, every: bool = every) -> np.ndarray:
            return values[name] if every else values[name][keep]

        data = {"recency_days": _days_before(cut, col(f"last_ts{i}")),
                "frequency": col(f"frequency{i}").astype(float), "monetary": col(f"monetary{i}").astype(float),
                "tenure_days": _days_before(cut, col(f"first_ts{i}"))}
        for c in names:
            x = col(f"{c}{i}").astype(float)
            data[c] = np.where(np.isnan(x), 0.0, x) if c in counts else x
        if i + 1 < len(cuts):
            data["churned"] = (col(f"frequency{i + 1}") == col(f"frequency{i}")).astype(int)
        frames.append(pd.DataFrame(data, index=index if every else index[keep], copy=False))  # fresh arrays
    return frames


def _days_before(cut: datetime, ts: np.ndarray) -> np.ndarray:
    """Days (float) from each time stamp of ``ts`` to ``cut``: ``(cut - ts).total_seconds() /
    86400`` as pandas computes it (the integer difference in the array's unit over that unit's
    count per second), on the NumPy array (a pandas Series per column cost 0.2 s per million
    customers); NaT gives NaN."""
    if not np.issubdtype(ts.dtype, np.datetime64):
        return ((pd.Timestamp(cut) - pd.to_datetime(pd.Series(ts))).dt.total_seconds() / 86400).to_numpy()
    unit, _ = np.datetime_data(ts.dtype)
    diff = np.datetime64(cut, "us").astype(ts.dtype) - ts  # the cut-offs are whole days: exact in any unit
    secs = diff.astype(np.int64) / {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    secs[np.isnat(diff)] = np.nan
    return secs / 86400


def _order_slices(tx: ibis.Table, cuts: list[datetime]) -> ibis.Table:
    """Per customer with an order before ``cuts[-1]``: ``first_ts{i}``, ``last_ts{i}``,
    ``frequency{i}`` and ``monetary{i}`` (:func:`~loyalscope.metrics._base.money_sum`: amounts
    rounded to 0.0001 and summed exactly) over the orders before ``cuts[i]``, from one aggregate
    per slice ``[cuts[i - 1], cuts[i])`` full-outer-joined on the customer."""
    slices: list[ibis.Table] = []
    for i, cut in enumerate(cuts):
        rows = tx.filter(tx.order_ts < cut) if i == 0 else tx.filter((tx.order_ts >= cuts[i - 1]) & (tx.order_ts < cut))
        slices.append(rows.group_by(**{f"_c{i}": rows.customer_id.cast("string")}).aggregate(**{
            f"_f{i}": rows.order_ts.min(), f"_l{i}": rows.order_ts.max(), f"_n{i}": rows.count(),
            f"_m{i}": rows.amount.cast(dt.Decimal(18, 4)).sum()}))  # money_sum before its cast
    joined = slices[0].rename(customer_id="_c0")
    for i, part in enumerate(slices[1:], start=1):
        joined = joined.view()  # a relation of its own, not an extension of the previous join
        j = joined.outer_join(part, joined.customer_id == part[f"_c{i}"])
        joined = j.select(ibis.coalesce(joined.customer_id, part[f"_c{i}"]).name("customer_id"),
                          *[c for c in joined.columns if c != "customer_id"],
                          *[c for c in part.columns if c != f"_c{i}"])
    out: dict[str, ibis.Value] = {}
    for i in range(len(cuts)):
        upto = range(i + 1)
        out[f"first_ts{i}"] = ibis.coalesce(*[joined[f"_f{k}"] for k in upto])
        out[f"last_ts{i}"] = ibis.coalesce(*[joined[f"_l{k}"] for k in reversed(upto)])
        out[f"frequency{i}"] = sum((joined[f"_n{k}"].fill_null(0) for k in upto[1:]), joined["_n0"].fill_null(0))
        total = sum((joined[f"_m{k}"].fill_null(0) for k in upto[1:]), joined["_m0"].fill_null(0))
        no_amount = ibis.coalesce(*[joined[f"_m{k}"] for k in upto]).isnull()  # as SUM: null without one
        out[f"monetary{i}"] = ibis.ifelse(no_amount, ibis.null(), total).cast("float64")
    return joined.select("customer_id", **out)


#: Tiers by the rank of the current score: share of customers in "high" and in "elevated".
HIGH_SHARE = 0.10
ELEVATED_SHARE = 0.20


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
    """customer_id -> churn_probability, lift (probability / base rate) and tier at the analysis date."""
    base_rate: float
    """Observed share of customers with no order within the horizon, at the validation cut-off."""
    n_train: int
    n_valid: int
    auc_valid_interval: tuple[float, float] = (float("nan"), float("nan"))
    """DeLong's 95% interval of ``auc_valid``."""

    def no_discrimination_kw(self) -> dict[str, Any]:
        """The arguments of ``segments.report.churn.no_discrimination``: AUC, its interval
        ("-" when undefined), validation customers and churned, cut-off."""
        lo, hi = self.auc_valid_interval
        shown = {"lo": "-", "hi": "-"} if np.isnan(lo) else {"lo": f"{lo:.2f}", "hi": f"{hi:.2f}"}
        return {"auc": f"{self.auc_valid:.2f}", **shown, "n": self.n_valid,
                "churned": round(self.base_rate * self.n_valid), "valid": str(self.valid_cutoff)}

    @property
    def discriminates(self) -> bool:
        """Whether the model tells churners from the others better than chance out of time: the
        lower end of ``auc_valid_interval`` above 0.5. A model that does not is not used to rank
        or target customers."""
        return bool(self.auc_valid_interval[0] > 0.5)


def churn_risk(ds: Dataset, horizon: int | None = None, alpha: float = 0.01) -> ChurnResult:
    """Train at an earlier cut-off, validate out of time, score customers at the analysis date.

    Raises :class:`InsufficientDataError` when the data cannot support the horizon (module doc).
    """
    horizon = horizon or ds.config.segments.churn_horizon_days or inactivity_days(ds)
    today = ds.analysis_date
    valid_cut = today - timedelta(days=horizon)
    train_cut = valid_cut - timedelta(days=horizon)
    _check_window(ds, horizon, train_cut, today)
    # one scan for the three cut-offs: each label window ends at the next cut-off
    xt, xv, now = _fetch(ds, [train_cut, valid_cut, today])
    yt, yv = xt.pop("churned"), xv.pop("churned")
    ds.memo(("churn_features", today), lambda: now)
    min_n = ds.config.analysis.min_n
    for y, cut in ((yt, train_cut), (yv, valid_cut)):
        if len(y) < min_n or y.sum() == 0 or y.sum() == len(y):
            raise ChurnWindowError("segments.churn_window.too_few",
                                {"n": len(y), "churned": int(y.sum()), "cutoff": str(cut), "need": min_n},
                                "segments.churn_window.too_few_fix", {})
    feats = [c for c in xt.columns if c in xv.columns]
    model = LogisticChurnModel(alpha).fit(xt[feats].to_numpy(float), yt.to_numpy(), feats)
    pv = model.predict_proba(xv[feats].to_numpy(float))
    y = yv.to_numpy()
    xs = churn_features(ds, today, deep=False).reindex(columns=feats)
    p = model.predict_proba(xs[feats].to_numpy(float))
    base = float(np.mean(y))
    scores = pd.DataFrame({"churn_probability": p, "churn_lift": p / base, "churn_tier": risk_tiers(p)},
                          index=xs.index)
    return ChurnResult(
        model, feats, train_cut, valid_cut, horizon,
        auc(yt.to_numpy(), model.predict_proba(xt[feats].to_numpy(float))), auc(y, pv),
        calibration_curve(y, pv), lift_table(y, pv), scores, base, len(yt), len(yv), auc_interval(y, pv),
    )


def risk_tiers(p: np.ndarray) -> np.ndarray:
    """"high" for the customers whose score is in the top :data:`HIGH_SHARE` (10%), "elevated"
    for the next :data:`ELEVATED_SHARE` (20%), "usual" for the rest. A customer's place is the
    share of customers scoring at least as high, so equal scores share a tier."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return np.array([], dtype=object)
    at_least = (p.size - rankdata(p, method="min") + 1) / p.size
    tier = (~(at_least <= HIGH_SHARE)).astype(np.intp) + ~(at_least <= HIGH_SHARE + ELEVATED_SHARE)
    return np.array(["high", "elevated", "usual"], dtype=object)[tier]  # three text objects, shared


def _check_window(ds: Dataset, horizon: int, train_cut: date, today: date) -> None:
    """At least one horizon of orders before the training cut-off (three horizons in all)."""
    tx = ds.table("transactions", "order_ts")
    first = pd.Timestamp(tx.order_ts.min().execute()).date()
    if (train_cut - first).days < horizon:
        raise ChurnWindowError(
            "segments.churn_window.too_short",
            {"horizon": horizon, "need": 3 * horizon, "first": str(first), "end": str(today),
             "days": (today - first).days, "train": str(train_cut)},
            "segments.churn_window.too_short_fix", {"longest": max((today - first).days // 3, 0)})


class ChurnWindowError(InsufficientDataError):
    """The data cannot support the risk model's horizon. ``keys`` holds the catalogue keys and
    arguments of the message and the fix, so that a report in another language than the
    configured one says it in its own language."""

    public_name = "InsufficientDataError"

    def __init__(self, key: str, kw: dict[str, Any], fix_key: str, fix_kw: dict[str, Any]) -> None:
        super().__init__(t(key, **kw), fix=t(fix_key, **fix_kw))
        self.keys = (key, kw, fix_key, fix_kw)
