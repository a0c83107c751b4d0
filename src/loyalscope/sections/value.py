"""Report section "value": BTYD model comparison, parameters, P(alive), expected purchases, CLV.

The customer summary (frequency, recency, T, monetary_value per customer) is computed in the
engine by :func:`loyalscope.metrics.summary.customer_summary`; everything after that works on
customer-level frames in :func:`value_section`. Transaction models are compared on a
calibration / holdout split (the last ``value.holdout_fraction`` of the observation window) by
holdout error, or by BIC without a holdout; the chosen model and the Gamma-Gamma spend model are
then refitted on the whole window to score customers over ``value.horizon`` (in
``value.time_unit``) with ``value.annual_discount_rate`` and ``value.margin``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.config import ValueConfig
from loyalscope.errors import ConvergenceError, InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.purchase.clv import clv, holdout_by_frequency
from loyalscope.models.purchase.gamma_gamma import GammaGamma
from loyalscope.models.purchase.selection import MODELS, select_model
from loyalscope.results import Chart, Number, Section, Table, Text

SECTION_ID = "value"
MIN_CUSTOMERS = 100
MIN_REPEAT_BUYERS = 20
TOP_N = 20
_COL = "models.value.columns."


def build(ds: Any, ctx: Any) -> Section:
    """Summaries from the engine (full window and calibration/holdout split), then :func:`value_section`."""
    try:
        from loyalscope.metrics.summary import UNIT_DAYS, customer_summary
    except ModuleNotFoundError as exc:
        raise InsufficientDataError(t("models.value.no_summary"), fix=t("models.value.no_summary_fix")) from exc
    cfg: ValueConfig = ctx.config.value
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    first, last = (pd.Timestamp(v) for v in (tx.order_ts.min().execute(), tx.order_ts.max().execute()))
    full = customer_summary(ds, observation_end=last.date(), time_unit=cfg.time_unit).execute()
    split = None
    if cfg.holdout_fraction > 0:
        cal_end = (first + (last - first) * (1 - cfg.holdout_fraction)).date()
        if first.date() < cal_end < last.date():
            split = customer_summary(ds, calibration_end=cal_end, observation_end=last.date(),
                                     time_unit=cfg.time_unit).execute()
    trailing = trailing_spend(ds, last, cfg.horizon * UNIT_DAYS[cfg.time_unit])
    try:
        section = value_section(full, split, cfg, ctx, trailing=trailing)
    except ConvergenceError as exc:  # one model failing should skip this section, not the analysis
        raise InsufficientDataError(exc.message, fix=exc.fix) from exc
    from loyalscope.sections.value_diagnostics import (
        add_btyd_diagnostics,  # tracking, distribution (issue 17)
    )

    add_btyd_diagnostics(section, ds, ctx, full)
    return section


def trailing_spend(ds: Any, last: pd.Timestamp, days: float) -> pd.Series:
    """Spend per customer in the ``days`` before the last order date (inclusive), computed in
    the engine: the "trailing value of the same length" that customer potential compares with."""
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    start = last.normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=days)
    recent = tx.filter(tx.order_ts >= start.to_pydatetime())
    frame = recent.group_by("customer_id").aggregate(spend=recent.amount.sum()).execute()
    return frame.set_index(frame.customer_id.astype(str))["spend"].astype(float)


def value_section(full: pd.DataFrame, split: pd.DataFrame | None, cfg: ValueConfig, ctx: Any = None,
                  trailing: pd.Series | None = None) -> Section:
    """Build the section from customer summaries (``customer_id, frequency, recency, T,
    monetary_value``; ``split`` adds ``frequency_holdout, duration_holdout``), all in ``cfg.time_unit``.

    With ``trailing`` (spend per customer over the last ``cfg.horizon``), each customer also gets
    ``predicted_spend`` = expected purchases x expected spend over the next horizon (undiscounted,
    before margin) and ``potential`` = predicted_spend - trailing spend (metrics.md: "predicted
    next-horizon value minus trailing value of the same length")."""
    repeat = full[(full.frequency > 0) & (full.monetary_value > 0)]
    if len(full) < MIN_CUSTOMERS or len(repeat) < MIN_REPEAT_BUYERS:
        raise InsufficientDataError(
            t("models.value.too_few", need=MIN_CUSTOMERS, need_repeat=MIN_REPEAT_BUYERS, n=len(full), repeat=len(repeat)),
            fix=t("models.value.too_few_fix"))
    unit = cfg.time_unit
    if split is not None and len(split) >= MIN_CUSTOMERS:
        sel = select_model(split.frequency, split.recency, split["T"], holdout_frequency=split.frequency_holdout,
                           holdout_duration=float(split.duration_holdout.iloc[0]))
    else:
        sel, split = select_model(full.frequency, full.recency, full["T"]), None
    model = MODELS[sel.chosen]().fit(full.frequency, full.recency, full["T"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spend = GammaGamma().fit(repeat.frequency, repeat.monetary_value)
    args = (full.frequency, full.recency, full["T"])
    scored = pd.DataFrame({
        "customer_id": full.customer_id.astype(str).to_numpy(),
        "p_alive": model.p_alive(*args),
        "expected_purchases": model.predict_purchases(cfg.horizon, *args),
        "expected_spend": spend.conditional_expected_average_spend(full.frequency, full.monetary_value),
        "clv": clv(model, spend, *args, full.monetary_value, horizon=cfg.horizon, time_unit=unit,
                   annual_discount_rate=cfg.annual_discount_rate, margin=cfg.margin),
    })
    if trailing is not None:
        scored["predicted_spend"] = scored.expected_purchases * scored.expected_spend
        past = trailing.reindex(scored.customer_id).fillna(0.0).to_numpy()
        scored["potential"] = scored.predicted_spend - past
    if ctx is not None:
        ctx.add_customer_columns(scored)
        ctx.results["value"] = {"selection": sel, "model": model, "spend_model": spend}

    section = Section(SECTION_ID)
    section.add(
        Text("models.value.intro", {"n": len(full), "repeat": len(repeat), "unit": unit, "horizon": cfg.horizon,
                                    "rate": f"{cfg.annual_discount_rate:.0%}", "margin": f"{cfg.margin:.0%}"}),
        Table(title="models.value.comparison", frame=sel.table[["model", "loglik", "bic", "holdout_mae"]],
              columns={c: _COL + c for c in ("model", "loglik", "bic", "holdout_mae")}),
        Text(f"models.selection.{sel.criterion}",
             {"model": sel.chosen, "value": f"{sel.table.set_index('model').loc[sel.chosen, sel.criterion]:.4f}"},
             style="finding"),
        Table(title="models.value.parameters", frame=_parameters(sel.chosen, model, spend),
              columns={c: (_COL + c if c == "model" else f"models.summary.{c}")
                       for c in ("model", "param", "estimate", "se", "lower_95", "upper_95")}),
        Number(label="models.value.p_alive_mean", value=float(scored.p_alive.mean()), unit="share",
               metric_id="p_alive", denominator=len(full)),
        Number(label="models.value.expected_purchases", value=float(scored.expected_purchases.sum()), unit="count",
               label_kw={"horizon": cfg.horizon, "unit": unit}, denominator=len(full)),
        Number(label="models.value.clv_total", value=float(scored.clv.sum()), unit="currency", metric_id="clv_model",
               label_kw={"horizon": cfg.horizon, "unit": unit}, denominator=len(full)),
    )
    for w in caught:
        if issubclass(w.category, UserWarning):
            section.add(Text("models.value.spend_correlated", {"r": f"{spend.correlation_:.2f}"}, style="warning"))
    if split is not None:
        pred = sel.model.predict_purchases(split.duration_holdout.iloc[0], split.frequency, split.recency, split["T"])
        section.add(Chart(kind="bar", title="models.value.holdout_chart",
                          frame=holdout_by_frequency(pred, split.frequency_holdout, split.frequency),
                          x="frequency", y=["predicted", "actual"],
                          labels={c: _COL + c for c in ("frequency", "predicted", "actual")}))
    section.add(
        Chart(kind="histogram", title="models.value.clv_hist", frame=clv_histogram(scored.clv.to_numpy()),
              x="bin", y="customers", labels={"bin": _COL + "clv", "customers": _COL + "customers"}),
        Table(title="models.value.top_customers",
              frame=full.assign(customer_id=full.customer_id.astype(str))[["customer_id", "frequency", "recency", "T", "monetary_value"]]
              .merge(scored, on="customer_id").nlargest(TOP_N, "clv"),
              columns={c: _COL + c for c in ("customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
                                             "expected_purchases", "expected_spend", "clv")},
              percent_columns=("p_alive",), max_rows=TOP_N),
    )
    grid = frequency_recency_grid(model, full, cfg.horizon)
    for value, title in (("expected_purchases", "models.value.heatmap_purchases"), ("p_alive", "models.value.heatmap_alive")):
        section.add(Chart(kind="heatmap", title=title, frame=grid[["frequency", "recency", value]], x="frequency",
                          options={"columns": "recency", "z": value, "texttemplate": "%{z:.2f}"},
                          labels={c: _COL + c for c in ("frequency", "recency")}))
    section.data = {"chosen": sel.chosen, "criterion": sel.criterion, "reason": sel.reason,
                    "params": model.params_, "loglik": model.loglik_, "spend_params": spend.params_,
                    "time_unit": unit, "horizon": cfg.horizon, "clv_total": float(scored.clv.sum())}
    return section


def _parameters(name: str, model: Any, spend: GammaGamma) -> pd.DataFrame:
    return pd.concat([model.summary().assign(model=name), spend.summary().assign(model="gamma_gamma")],
                     ignore_index=True)[["model", "param", "estimate", "se", "lower_95", "upper_95"]]


def clv_histogram(values: np.ndarray, bins: int = 20) -> pd.DataFrame:
    """Customers per CLV bin (equal widths up to the 99th percentile; the last bin is open)."""
    top = float(np.quantile(values, 0.99)) if values.size else 0.0
    edges = np.linspace(min(0.0, float(values.min(initial=0.0))), max(top, 1e-9), bins + 1)
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    counts = np.bincount(idx, minlength=bins)
    labels = [f"{edges[i]:,.0f}–{edges[i + 1]:,.0f}" for i in range(bins - 1)] + [f"≥{edges[bins - 1]:,.0f}"]
    return pd.DataFrame({"bin": labels, "customers": counts, "lower": edges[:-1], "upper": edges[1:]})


def frequency_recency_grid(model: Any, full: pd.DataFrame, horizon: float, size: int = 10) -> pd.DataFrame:
    """P(alive) and expected purchases on a frequency x recency grid for a customer of the largest age T."""
    T = float(full["T"].max())
    top = int(max(1, np.quantile(full.frequency, 0.99)))
    xs = np.unique(np.linspace(0, top, min(size, top + 1)).round().astype(int))
    ts = np.linspace(T / size, T, size)
    x, tx = (a.ravel() for a in np.meshgrid(xs, ts, indexing="ij"))
    tx_eff = np.where(x > 0, tx, 0.0)
    return pd.DataFrame({"frequency": x, "recency": np.round(tx, 1),
                         "p_alive": model.p_alive(x, tx_eff, T),
                         "expected_purchases": model.predict_purchases(horizon, x, tx_eff, T)})
