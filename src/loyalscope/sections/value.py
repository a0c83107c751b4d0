"""Report section "value": BTYD model comparison, parameters, P(alive), expected purchases, CLV.

The customer summary (frequency, recency, T, monetary_value per customer; the definitions of
:func:`loyalscope.metrics.summary.customer_summary`) is computed in the engine, with every other
per-customer input, in one pass over the transactions (:mod:`loyalscope.sections.value_inputs`);
everything after that works on customer-level frames in :func:`value_section`. The models see
only the compressed sufficient statistics: the distinct (x, t_x, T) rows with their counts
(:class:`~loyalscope.models.numerics.grouping.DistinctRows`), fitted and predicted once per row
and gathered for the customers, which gives the numbers of a pass over every customer to the
last bit. Transaction models are compared on a
calibration / holdout split (the last ``value.holdout_fraction`` of the observation window):
the lowest BIC wins, the holdout error is shown beside it and overrides BIC only when it is
significantly lower (paired test over customers; :mod:`loyalscope.models.purchase.selection`),
and the section says which rule decided. Only estimable fits compete
(:mod:`loyalscope.models.status`). The chosen model and the Gamma-Gamma spend model are then
refitted on the whole window to score customers over ``value.horizon`` (in ``value.time_unit``)
with ``value.annual_discount_rate`` and ``value.margin``. Summaries are sorted by customer id
and every fit takes ``[analysis] seed``, so the same data give the same section.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.config import ModelsConfig, ValueConfig
from loyalscope.errors import ConvergenceError, InsufficientDataError
from loyalscope.i18n import t
from loyalscope.metrics._base import money_sum, text_order
from loyalscope.metrics.window import inactivity_days
from loyalscope.models.numerics.grouping import DistinctRows, distinct_customer_rows
from loyalscope.models.purchase.clv import discounted_purchases, holdout_by_frequency
from loyalscope.models.purchase.gamma_gamma import CORRELATION_WARNING, GammaGamma
from loyalscope.models.purchase.selection import FALLBACK, MODELS, Selection, select_model
from loyalscope.models.status import FitIssue, FitStatus, sample_size_issues
from loyalscope.results import Chart, Number, Section, Table, Text
from loyalscope.sections._trust import fit_flags, model_name, status_blocks

SECTION_ID = "value"
TOP_N = 20
_COL = "models.value.columns."


def build(ds: Any, ctx: Any) -> Section:
    """Summaries from the engine (full window and calibration/holdout split), then :func:`value_section`.

    Daily and coarser time units read every per-customer input from one pass over the
    transactions (:mod:`loyalscope.sections.value_inputs`, equal on DuckDB, Spark and
    PostgreSQL by test); hourly summaries query each."""
    try:
        from loyalscope.metrics.summary import UNIT_DAYS, customer_summary
    except ModuleNotFoundError as exc:
        raise InsufficientDataError(t("models.value.no_summary"), fix=t("models.value.no_summary_fix")) from exc
    cfg: ValueConfig = ctx.config.value
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    bounds = tx.aggregate(lo=tx.order_ts.min(), hi=tx.order_ts.max()).execute().iloc[0]
    first, last = pd.Timestamp(bounds["lo"]), pd.Timestamp(bounds["hi"])
    cal_end = None
    if cfg.holdout_fraction > 0:
        cal_end = (first + (last - first) * (1 - cfg.holdout_fraction)).date()
        if not first.date() < cal_end < last.date():
            cal_end = None
    days = cfg.horizon * UNIT_DAYS[cfg.time_unit]
    inputs = None
    if cfg.time_unit != "hour":
        from loyalscope.sections.value_inputs import daily_inputs

        duration = (last.date() - cal_end).days / UNIT_DAYS[cfg.time_unit] if cal_end is not None else None
        start = last.normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=days)
        inputs = daily_inputs(ds, last.date(), cal_end, start, UNIT_DAYS[cfg.time_unit], duration)
        full, split = by_customer_id(inputs.full), inputs.split
        trailing = pd.Series(full.pop("trailing_spend").to_numpy(), index=pd.Index(full.customer_id))
    else:
        full = customer_summary(ds, observation_end=last.date(), time_unit=cfg.time_unit).execute()
        split = None
        if cal_end is not None:
            split = customer_summary(ds, calibration_end=cal_end, observation_end=last.date(),
                                     time_unit=cfg.time_unit).execute()
        trailing = trailing_spend(ds, last, days)
    window = inactivity_days(ds) / UNIT_DAYS[cfg.time_unit]
    section = value_section(full.drop(columns="repeat_purchase_days", errors="ignore"), split, cfg, ctx,
                            trailing=trailing, models=ctx.config.models, seed=ctx.config.analysis.seed,
                            window=window)
    from loyalscope.sections.value_diagnostics import (
        add_btyd_diagnostics,  # tracking, distribution (issue 17)
    )

    add_btyd_diagnostics(section, ds, ctx, full, tracking=inputs.tracking if inputs is not None else None)
    return section


def trailing_spend(ds: Any, last: pd.Timestamp, days: float) -> pd.Series:
    """Spend per customer in the ``days`` before the last order date (inclusive), computed in
    the engine: the "trailing value of the same length" that customer potential compares with."""
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    start = last.normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=days)
    recent = tx.filter(tx.order_ts >= start.to_pydatetime())
    frame = recent.group_by("customer_id").aggregate(spend=money_sum(recent.amount)).execute()
    return frame.set_index(frame.customer_id.astype(str))["spend"].astype(float)


def value_section(full: pd.DataFrame, split: pd.DataFrame | None, cfg: ValueConfig, ctx: Any = None,
                  trailing: pd.Series | None = None, models: ModelsConfig | None = None,
                  seed: int = 0, window: float | None = None) -> Section:
    """Build the section from customer summaries (``customer_id, frequency, recency, T,
    monetary_value``; ``split`` adds ``frequency_holdout, duration_holdout``), all in ``cfg.time_unit``.

    With ``trailing`` (spend per customer over the last ``cfg.horizon``), each customer also gets
    ``predicted_spend`` = expected purchases x expected spend over the next horizon (undiscounted,
    before margin) and ``potential`` = predicted_spend - trailing spend (metrics.md: "predicted
    next-horizon value minus trailing value of the same length"). With ``window`` (the
    inactivity window in ``cfg.time_unit``), each customer gets ``p_no_order_window``, the
    model's probability of no order within the window: the same event as the churn-risk label,
    so the churn section can set the two side by side.

    Fit checks come first (:mod:`loyalscope.models.status`, minimums in ``models``): with too
    few customers or repeat buyers, or no estimable transaction model, the section says why and
    what data would fix it and shows no model numbers; a not-estimable spend model leaves out
    the spend and CLV numbers; a weakly identified model's numbers carry a warning.
    """
    mc = models or ModelsConfig()
    full = by_customer_id(full)
    repeat = full[(full.frequency > 0) & (full.monetary_value > 0)]
    unit = cfg.time_unit
    section = Section(SECTION_ID)
    section.add(Text("models.value.intro", {"n": len(full), "repeat": len(repeat), "unit": f"models.horizon_units.{unit}", "horizon": cfg.horizon,
                                            "rate": f"{cfg.annual_discount_rate:.0%}", "margin": f"{cfg.margin:.0%}"}))
    data: dict[str, Any] = {"customers": len(full), "repeat_buyers": len(repeat), "time_unit": unit,
                            "horizon": cfg.horizon}
    section.data = data
    too_few = sample_size_issues(len(full), mc.min_customers, len(repeat), mc.min_repeat_buyers)
    if too_few:
        status = FitStatus(tuple(too_few))
        section.add(*status_blocks("transaction_models", status))
        data.update(status=status.to_dict())
        return section
    # compressed sufficient statistics: every fit and prediction runs once per distinct
    # (x, t_x, T) row (counts as weights) and is gathered for the customers (same numbers)
    rows = distinct_customer_rows(full.frequency, full.recency, full["T"])
    cal_rows = None
    if split is not None and len(split) >= mc.min_customers:
        split = by_customer_id(split)
        cal_rows = distinct_customer_rows(split.frequency, split.recency, split["T"])
        sel = select_model(*cal_rows.xtT, weights=cal_rows.counts, inverse=cal_rows.inverse,
                           holdout_frequency=split.frequency_holdout,
                           holdout_duration=float(split.duration_holdout.iloc[0]), alpha=mc.holdout_alpha,
                           random_state=seed)
    else:
        sel, split = select_model(*rows.xtT, weights=rows.counts, random_state=seed), None
    section.add(Table(title="models.value.comparison", frame=_comparison(sel),
                      columns={c: _COL + c for c in ("model", "status", "loglik", "bic", "delta_bic", "holdout_rmse")},
                      translate_values=("model", "status")))
    data.update(selection=sel.table.drop(columns="error").to_dict("records"), rule=sel.rule, p_value=sel.p_value)
    refit = _refit(sel, rows, seed)
    if refit is None:
        status = FitStatus(tuple(i for name in sel.statuses for i in sel.statuses[name].issues))
        section.add(Text("models.value.none_estimable", style="warning"), *status_blocks("transaction_models", status))
        data.update(status=status.to_dict())
        return section
    chosen, model = refit
    section.add(Text(f"models.selection.{sel.rule}", _rule_kw(sel, chosen), style="finding"),
                *status_blocks(chosen, model.status_))
    spend, spend_status = _spend_model(repeat, mc, seed)
    flags = fit_flags(model.status_)
    args, inv = rows.xtT, rows.inverse
    # a model without dropout assumes P(alive) = 1: not an estimate, so not shown (NBD, rule 4
    # of select_model); its expected purchases and CLV assume every customer keeps buying
    dropout = chosen not in FALLBACK
    scored = pd.DataFrame({"customer_id": full.customer_id.to_numpy()})
    if dropout:
        scored["p_alive"] = model.p_alive(*args)[inv]
    else:
        section.add(Text("models.value.no_dropout_model", {"model": model_name(chosen)}, style="warning"))
    scored["expected_purchases"] = model.predict_purchases(cfg.horizon, *args)[inv]
    if window is not None:
        scored["p_no_order_window"] = model.prob_n_purchases(0, window, *args)[inv]
    section.add(
        Table(title="models.value.parameters", frame=model.summary().assign(model=model_name(chosen))[_PARAM_COLS],
              columns={c: (_COL + c if c == "model" else f"models.summary.{c}") for c in _PARAM_COLS},
              translate_values=("model",)),
        *([Number(label="models.value.p_alive_mean", value=float(scored.p_alive.mean()), unit="share",
                  metric_id="p_alive", denominator=len(full), n=len(full), flags=list(flags))] if dropout else []),
        Number(label="models.value.expected_purchases", value=float(scored.expected_purchases.sum()), unit="count",
               label_kw={"horizon": cfg.horizon, "unit": f"models.horizon_units.{unit}"}, denominator=len(full), n=len(full), flags=list(flags)),
    )
    data.update(chosen=chosen, criterion=sel.criterion, reason=sel.reason, params=model.params_,
                loglik=model.loglik_, status=model.status_.to_dict(),
                p_alive_mean=float(scored.p_alive.mean()) if dropout else None)
    section.add(*status_blocks("gamma_gamma", spend_status))
    if spend is not None:
        scored["expected_spend"] = spend.conditional_expected_average_spend(full.frequency, full.monetary_value)
        purchases = discounted_purchases(model, *args, horizon=cfg.horizon, time_unit=unit,
                                         annual_discount_rate=cfg.annual_discount_rate)
        scored["clv"] = cfg.margin * scored.expected_spend.to_numpy() * purchases[inv]  # as clv() computes it
        if trailing is not None:
            scored["predicted_spend"] = scored.expected_purchases * scored.expected_spend
            past = trailing.reindex(scored.customer_id).fillna(0.0).to_numpy()
            scored["potential"] = scored.predicted_spend - past
        spend_flags = list(dict.fromkeys([*flags, *fit_flags(spend_status)]))
        section.add(
            Table(title="models.value.spend_parameters",
                  frame=spend.summary().assign(model=model_name("gamma_gamma"))[_PARAM_COLS],
                  columns={c: (_COL + c if c == "model" else f"models.summary.{c}") for c in _PARAM_COLS},
                  translate_values=("model",)),
            Number(label="models.value.clv_total", value=float(scored.clv.sum()), unit="currency",
                   metric_id="clv_model", label_kw={"horizon": cfg.horizon, "unit": f"models.horizon_units.{unit}"}, denominator=len(full),
                   n=len(full), flags=spend_flags))
        if np.isfinite(spend.correlation_) and spend.correlation_ > CORRELATION_WARNING:
            section.add(Text("models.value.spend_correlated", {"r": f"{spend.correlation_:.2f}"}, style="warning"))
        data.update(spend_params=spend.params_, spend_status=spend_status.to_dict(), clv_total=float(scored.clv.sum()))
    else:
        data.update(spend_status=spend_status.to_dict())
    if ctx is not None:
        ctx.add_customer_columns(scored)
        ctx.results["value"] = {"selection": sel, "model": model, "chosen": chosen, "spend_model": spend,
                                "full_rows": rows}  # the scores: columns of ctx.customers
    if split is not None and cal_rows is not None and chosen in sel.predictions and sel.statuses[chosen].estimable:
        pred = sel.predictions[chosen][cal_rows.inverse]
        section.add(holdout_gap(pred, split.frequency_holdout.to_numpy(float), float(split.duration_holdout.iloc[0]), unit))
        section.add(Chart(kind="bar", title="models.value.holdout_chart",
                          frame=holdout_by_frequency(pred, split.frequency_holdout, split.frequency),
                          x="frequency", y=["predicted", "actual"],
                          labels={c: _COL + c for c in ("frequency", "predicted", "actual")}))
    if "clv" in scored:
        section.add(
            Chart(kind="histogram", title="models.value.clv_hist", frame=clv_histogram(scored.clv.to_numpy()),
                  x="bin", y="customers", labels={"bin": _COL + "clv", "customers": _COL + "customers"}),
            Table(title="models.value.top_customers", frame=_top_customers(full, scored),
                  columns={c: _COL + c for c in ("customer_id", "frequency", "recency", "T", "monetary_value",
                                                 "p_alive", "expected_purchases", "expected_spend", "clv")
                           if c in scored or c in full},
                  percent_columns=("p_alive",) if dropout else (), max_rows=TOP_N),
        )
    grid = frequency_recency_grid(model, full, cfg.horizon)
    heatmaps = [("expected_purchases", "models.value.heatmap_purchases")]
    heatmaps += [("p_alive", "models.value.heatmap_alive")] if dropout else []
    for value, title in heatmaps:
        section.add(Chart(kind="heatmap", title=title, frame=grid[["frequency", "recency", value]], x="frequency",
                          options={"columns": "recency", "z": value, "texttemplate": "%{z:.2f}"},
                          labels={c: _COL + c for c in ("frequency", "recency")}))
    return section


_PARAM_COLS = ["model", "param", "estimate", "se", "lower_95", "upper_95"]
#: A holdout total missed by more than this share is a warning (the model's rates are not stable).
HOLDOUT_GAP_WARNING = 0.2


def holdout_gap(predicted: np.ndarray, actual: np.ndarray, duration: float, unit: str) -> Text:
    """The chosen model's total holdout purchases against the customers' actual ones.

    ``gap = (predicted - actual) / actual`` over the calibration customers; a warning when
    ``|gap| > HOLDOUT_GAP_WARNING``: the models assume each customer's purchase rate stays the
    same, so a shop whose buying grew or fell in the holdout gets biased forecasts and CLV (on
    Tableau's Superstore sample, orders grew each year and the forecast of the last year fell
    short by about 30%).
    """
    want, got = float(np.sum(predicted)), float(np.sum(actual))
    gap = (want - got) / got if got > 0 else None
    warn = gap is not None and abs(gap) > HOLDOUT_GAP_WARNING
    return Text("models.value.holdout_gap_warning" if warn else "models.value.holdout_gap",
                {"predicted": f"{want:,.0f}", "actual": f"{got:,.0f}", "gap": f"{gap:+.0%}" if gap is not None else "-",
                 "n": f"{len(actual):,}", "duration": f"{duration:,.3g}", "unit": f"models.horizon_units.{unit}"},
                style="warning" if warn else "finding")


def _comparison(sel: Selection) -> pd.DataFrame:
    frame = sel.table[["model", "status", "loglik", "bic", "delta_bic", "holdout_rmse"]].copy()
    frame["model"] = frame.model.map(model_name)
    frame["status"] = "models.status." + frame.status
    return frame


def by_customer_id(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text customer ids, sorted by them (:func:`text_order`; a frame already in
    that order, as ``build`` passes it, is only checked), on a fresh index."""
    ids = frame.customer_id
    text = ids if ids.dtype == object and pd.api.types.infer_dtype(ids, skipna=False) == "string" \
        else ids.astype(str)
    out = frame.copy()  # one copy (assign and reset_index each made one: 0.17 -> 0.04 s at 1M rows)
    if text is not ids:
        out["customer_id"] = text
    if not text.is_monotonic_increasing:
        out = out.take(text_order(text))
    out.index = pd.RangeIndex(len(out))
    return out


def _top_customers(full: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """The ``TOP_N`` customers by CLV with their summary and scores (``full`` and ``scored``
    are row-aligned: the rows the merge on customer_id gave, without hashing every id)."""
    top = scored.clv.nlargest(TOP_N).index
    return pd.concat([full.loc[top, ["customer_id", "frequency", "recency", "T", "monetary_value"]],
                      scored.loc[top].drop(columns="customer_id")], axis=1)


def _refit(sel: Selection, rows: DistinctRows, seed: int) -> tuple[str, Any] | None:
    """The chosen model refitted on the whole window; the next in the ranking when that fit is
    not estimable (the status of the fit the numbers come from is what counts)."""
    for name in sel.ranking:
        try:
            model = {**MODELS, **FALLBACK}[name](random_state=seed).fit(*rows.xtT, weights=rows.counts)
        except ConvergenceError as exc:
            sel.statuses[name] = sel.statuses[name].plus(FitIssue("not_converged", {"message": exc.message}))
            continue
        if model.status_.estimable:
            return name, model
        sel.statuses[name] = sel.statuses[name].plus(*model.status_.issues)
    return None


def _spend_model(repeat: pd.DataFrame, mc: ModelsConfig, seed: int) -> tuple[GammaGamma | None, FitStatus]:
    """Gamma-Gamma on the repeat buyers, with its status (None when not estimable)."""
    too_few = sample_size_issues(len(repeat), 1, len(repeat), mc.min_repeat_buyers)
    if too_few:
        return None, FitStatus(tuple(too_few))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the correlation is reported below
            spend = GammaGamma(random_state=seed).fit(repeat.frequency, repeat.monetary_value)
    except ConvergenceError as exc:
        return None, FitStatus((FitIssue("not_converged", {"message": exc.message}),))
    return (spend if spend.status_.estimable else None), spend.status_


def _rule_kw(sel: Selection, chosen: str) -> dict[str, Any]:
    t = sel.table.set_index("model")
    best = sel.ranking[1] if sel.rule == "holdout_significant" and len(sel.ranking) > 1 else sel.ranking[0]
    ok = t[t.status != "not_estimable"]
    others = ok.drop(index=chosen)
    runner = others.bic.idxmin() if len(others) else None
    lower = ok.holdout_rmse.idxmin() if ok.holdout_rmse.notna().any() else None
    return {"model": model_name(chosen), "bic": f"{t.bic[chosen]:,.1f}", "loglik": f"{t.loglik[chosen]:,.1f}",
            "runner": model_name(runner) if runner else "-",
            "delta": f"{t.bic[runner] - t.bic[chosen]:,.1f}" if runner else "-",
            "mae": f"{t.holdout_rmse[chosen]:.4f}", "other": model_name(lower) if lower else "-",
            "other_mae": f"{t.holdout_rmse[lower]:.4f}" if lower else "-",
            "bic_model": model_name(best), "bic_mae": f"{t.holdout_rmse[best]:.4f}",
            "p": f"{sel.p_value:.3g}" if sel.p_value is not None else "-"}


def clv_histogram(values: np.ndarray, bins: int = 20) -> pd.DataFrame:
    """Customers per CLV bin (equal widths up to the 99th percentile; the last bin is open).

    Only finite values are binned (a not-estimable spend model never reaches here)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
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
