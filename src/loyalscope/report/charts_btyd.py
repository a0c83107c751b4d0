"""Plotly figures that analysts use to judge a transaction model (the lifetimes.plotting set).

- :func:`tracking_figure`: actual vs expected repeat transactions per period, incremental
  (top) and cumulative (bottom);
- :func:`frequency_distribution_figure`: customers by number of calibration-period repeat
  transactions, actual vs the model's;
- :func:`alive_history_figure`: P(alive) of one customer over time, with the purchases marked.

Each takes the small frame the models compute (:mod:`loyalscope.models.purchase.tracking`,
``TransactionModel.p_alive_history``) and returns a ``plotly.graph_objects.Figure`` with labels in
``lang``. The report and the web pages draw the same figures through chart blocks of kinds
``tracking``, ``frequency_distribution`` and ``alive_history`` (:func:`loyalscope.report.charts.figure`).
The ``plot_*`` functions do it all from a fitted model, for use in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from loyalscope.i18n import t
from loyalscope.results import Chart

K = "models.charts."


def tracking_figure(frame: pd.DataFrame, lang: str, x_title: str | None = None) -> go.Figure:
    """Two panels over ``period_end``: actual and expected per period, then cumulative."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(t(K + "incremental", lang), t(K + "cumulative", lang)))
    x = frame["period_end"]
    for row, (act, exp) in enumerate((("actual", "expected"), ("cumulative_actual", "cumulative_expected")), start=1):
        fig.add_trace(go.Scatter(x=x, y=frame[act], mode="lines", name=t(K + "actual", lang), legendgroup="a",
                                 showlegend=row == 1, line={"color": "#2f6f9f"}), row=row, col=1)
        fig.add_trace(go.Scatter(x=x, y=frame[exp], mode="lines", name=t(K + "expected", lang), legendgroup="e",
                                 showlegend=row == 1, line={"color": "#e0793a", "dash": "dash"}), row=row, col=1)
    fig.update_xaxes(title=x_title or t(K + "period", lang), row=2, col=1)
    fig.update_yaxes(title=t(K + "repeat_transactions", lang))
    fig.update_layout(height=520)
    return fig


def frequency_distribution_figure(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Grouped bars: customers with 0, 1, ... repeat transactions, actual and model."""
    fig = go.Figure([go.Bar(x=frame["frequency"], y=frame["actual"], name=t(K + "actual", lang)),
                     go.Bar(x=frame["frequency"], y=frame["expected"], name=t(K + "model", lang))])
    fig.update_xaxes(title=t(K + "repeat_transactions_calibration", lang), type="category")
    fig.update_yaxes(title=t(K + "customers", lang))
    fig.update_layout(barmode="group")
    return fig


def alive_history_figure(frame: pd.DataFrame, lang: str, unit: str | None = None) -> go.Figure:
    """P(alive) over ``t`` (a step at each purchase), purchases as markers on the curve."""
    fig = go.Figure(go.Scatter(x=frame["t"], y=frame["p_alive"], mode="lines", name=t(K + "p_alive", lang),
                               line={"color": "#2f6f9f"}))
    jumps = frame[frame["frequency"].diff().fillna(0) > 0]
    fig.add_trace(go.Scatter(x=jumps["t"], y=jumps["p_alive"], mode="markers", name=t(K + "purchase", lang),
                             marker={"color": "#e0793a", "size": 9, "symbol": "diamond"}))
    fig.update_yaxes(title=t(K + "p_alive", lang), range=[0, 1.02], tickformat=".0%")
    fig.update_xaxes(title=t(K + "since_first", lang, unit=t(f"models.units.{unit}", lang) if unit else "-"))
    return fig


def chart_figure(chart: Chart, lang: str) -> go.Figure:
    """The figure of a chart block of kind tracking, frequency_distribution or alive_history."""
    if chart.kind == "tracking":
        key = chart.options.get("x_title")
        return tracking_figure(chart.frame, lang, t(key, lang) if key else None)
    if chart.kind == "frequency_distribution":
        return frequency_distribution_figure(chart.frame, lang)
    return alive_history_figure(chart.frame, lang, chart.options.get("unit"))


def _render(kind: str, frame: pd.DataFrame, title: str, lang: str, **options: Any) -> go.Figure:
    from loyalscope.report.charts import figure

    return figure(Chart(kind=kind, title=title, frame=frame, options=options), lang)  # type: ignore[arg-type]


def plot_tracking(model: Any, first_purchase: Any, repeat_purchase_times: Any, period_ends: Any,
                  lang: str = "en") -> go.Figure:
    """Tracking plot from per-customer first-purchase times and all repeat purchase times."""
    from loyalscope.models.purchase.tracking import tracking_frame

    births, counts = np.unique(np.asarray(first_purchase, dtype=float), return_counts=True)
    times, reps = np.unique(np.asarray(repeat_purchase_times, dtype=float), return_counts=True)
    frame = tracking_frame(model, births, counts, times, reps, period_ends)
    return _render("tracking", frame, K + "tracking_title", lang, height=520)


def plot_frequency_distribution(model: Any, frequency: Any, T: Any, max_frequency: int = 7, lang: str = "en") -> go.Figure:
    """Calibration-period repeat transactions: actual customers against the model's."""
    from loyalscope.models.purchase.tracking import frequency_distribution

    frame = frequency_distribution(model, frequency, T, max_frequency=max_frequency)
    return _render("frequency_distribution", frame, K + "distribution_title", lang)


def plot_p_alive_history(model: Any, purchase_times: Any, T: float, unit: str | None = None, lang: str = "en") -> go.Figure:
    """P(alive) history of one customer from the times of the purchases since the first."""
    return _render("alive_history", model.p_alive_history(purchase_times, T), K + "alive_history_title", lang, unit=unit)


def customer_alive_history(value_data: dict[str, Any], record: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """The P(alive) history figure of one scored customer, as a JSON-ready dict, or None.

    ``value_data`` is the value section's ``data`` of ``analysis.json`` (with ``btyd_model``,
    the fitted model's ``to_dict`` and ``time_unit``); ``record`` the customer's row of
    ``customers.parquet`` with ``T`` and ``repeat_purchase_days`` (days after the first purchase).
    """
    import json

    from loyalscope.models.purchase.clv import DAYS_PER_UNIT
    from loyalscope.models.purchase.selection import MODELS

    spec = value_data.get("btyd_model") or {}
    unit = value_data.get("time_unit")
    names = {cls.__name__: cls for cls in MODELS.values()}
    cls = names.get(spec.get("model", ""))
    age = record.get("btyd_T")
    if cls is None or "params" not in spec or unit not in DAYS_PER_UNIT or age is None or not np.isfinite(age):
        return None
    raw = record.get("repeat_purchase_days")
    days = raw.split() if isinstance(raw, str) else []
    times = np.array([float(d) for d in days]) / DAYS_PER_UNIT[unit]
    model = cls.from_dict(spec)
    fig = _render("alive_history", model.p_alive_history(times[times <= age + 1e-9], float(age)),
                  K + "alive_history_title", lang, unit=unit)
    return json.loads(fig.to_json())
