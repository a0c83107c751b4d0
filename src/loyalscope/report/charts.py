"""Chart blocks -> Plotly figures. Every chart plots aggregates (a few hundred points at most).

Each builder returns the figure as plain dicts (its traces and its layout), and :func:`figure`
makes the Plotly figure from them once: Plotly validates every property at creation, while each
``update_layout`` / ``update_xaxes`` / ``add_trace`` on a figure re-walks, deep-copies and
re-validates it (two thirds of the report's chart time: 74 figures of a report in two languages
took 1.7 s of a 2-core machine's CPU). The figures' JSON is the same either way (Plotly's
shorthands, such as an axis ``title`` given as text, are written out as Plotly writes them). The
BTYD diagnostics (:mod:`loyalscope.report.charts_btyd`, with subplots) stay Plotly figures.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from loyalscope.i18n import has_key, t
from loyalscope.report.format import display_label, fmt_period, render_value
from loyalscope.results import Chart, Phrase

Spec = tuple[list[dict[str, Any]], dict[str, Any]]
"""A figure as plain dicts: its traces (each with its ``type``) and its layout."""

FONT = "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif"
TEMPLATE = "plotly_white"
PALETTE = ["#2f6f9f", "#e0793a", "#4a9b6e", "#c0504d", "#8064a2", "#4bacc6", "#f2c314", "#7f7f7f"]


def _label(chart: Chart, col: str | None, lang: str) -> str:
    if col is None:
        return ""
    key = chart.labels.get(col)
    text = t(key, lang) if key else t(f"report.col.{col}", lang) if has_key(f"report.col.{col}") \
        else str(display_label(col, lang))
    unit = _unit(chart, col)
    if unit and has_key(f"report.unit.{unit}") and unit not in ("count", "ratio", "score"):
        return t("report.with_unit", lang, label=text, unit=t(f"report.unit.{unit}", lang))
    return text


def _unit(chart: Chart, col: str) -> str | None:
    """The unit of a plotted column: ``options["units"][col]``, or by axis options."""
    units = chart.options.get("units", {})
    if col in units:
        return str(units[col])
    if col == chart.x and chart.options.get("unit_x"):
        return str(chart.options["unit_x"])
    ys = [chart.y] if isinstance(chart.y, str) else list(chart.y or [])
    if col in ys and chart.options.get("unit_y"):
        return str(chart.options["unit_y"])
    if (col in ys and chart.options.get("percent_y")) or (col == chart.x and chart.options.get("percent_x")):
        return "percent"
    return None


def _translated(chart: Chart, lang: str) -> pd.DataFrame:
    frame = chart.frame.copy()
    for col in frame.columns:
        if col in chart.translate_values:
            frame[col] = frame[col].map(lambda v: render_value(v, lang) if isinstance(v, (Phrase, dict))
                                        else t(str(v), lang))
        elif frame[col].dtype == object:  # raw ids (model ids, construct names ...) as labels
            frame[col] = frame[col].map(lambda v: display_label(v, lang))
    for col in frame.columns:  # periods written as periods (2025-11, 2025-Q4), not timestamps
        if col in (chart.x, chart.color, chart.options.get("columns")) and _is_period(frame[col]):
            grain = chart.options.get("grain") or _grain(frame[col])
            frame[col] = [fmt_period(v, grain) for v in frame[col]]
    return frame


def _is_period(col: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(col):
        return True
    return len(col) > 0 and all(isinstance(v, (date, datetime)) for v in col.dropna())


def _grain(col: pd.Series) -> str:
    ts = pd.to_datetime(col.dropna())
    if len(ts) and (ts.dt.day == 1).all() and (ts.dt.hour == 0).all():
        months = sorted(set(ts.dt.month))
        if set(months) <= {1, 4, 7, 10} and len(months) > 1:
            return "quarter"
        return "month" if len(set(ts.dt.month)) > 1 or len(ts) == 1 else "year"
    return "day"


_template_lock = threading.Lock()


def _use_template(name: str) -> None:
    """New figures start with template ``name``: Plotly installs the default template at creation
    without validating it, while ``update_layout(template=...)`` deep-copies and validates its
    ~6 kB on every figure (0.3 s of CPU per report language); the figure's JSON is the same.
    Setting the default validates it too, so it is set only when it differs (once a process:
    every figure of Loyalscope uses the same template; under a lock, as :func:`warm_up` may be
    setting it in another thread)."""
    with _template_lock:
        if pio.templates.default != name:
            pio.templates.default = name


def warm_up() -> threading.Thread:
    """Set the figures' template in a background thread and return it (started).

    Validating the template imports and runs Plotly's validators of every trace type, about
    0.4 s of work once per process; ``analyze`` starts it before the load, so that it runs
    beside the engine's queries (which leave the interpreter free) instead of before the first
    chart. A failure is left to the first figure, which sets the template again and raises it."""

    def run() -> None:
        try:
            _use_template(TEMPLATE)
        except Exception:  # the first figure() tries again and raises it there
            return

    thread = threading.Thread(target=run, name="loyalscope-plotly", daemon=True)
    thread.start()
    return thread


def figure(chart: Chart, lang: str) -> go.Figure:
    """Build the Plotly figure of ``chart`` with labels in ``lang``."""
    df = _translated(chart, lang)
    builder = _BUILDERS.get(chart.kind, _bar)
    _use_template(TEMPLATE)
    built = builder(chart, df, lang)
    own_height = built.layout.height if isinstance(built, go.Figure) else built[1].get("height")
    common = {
        "title": {"text": t(chart.title, lang), "font": {"size": 15}},
        "font": {"family": FONT, "size": 12},
        "colorway": PALETTE,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "height": chart.options.get("height", own_height or 380),
        "legend": {"title": {"text": _label(chart, chart.color, lang)}},
    }
    axes: list[tuple[str, dict[str, Any]]] = []  # in order: a later one wins on the same property
    for axis, opt in (("y", "percent_y"), ("x", "percent_x")):
        if chart.options.get(opt):
            axes.append((axis, _percent_axis(df, chart, axis)))
    for axis in ("x", "y"):
        if chart.options.get(f"unit_{axis}") == "currency":
            on_x = (axis == "x") != (chart.kind == "hbar")  # a horizontal bar plots y along x
            axes.append(("x" if on_x else "y", {"tickformat": ",.0f"}))
    if isinstance(built, go.Figure):  # subplots: every x (y) axis takes the update, as before
        built.update_layout(**common)
        for axis, props in axes:
            (built.update_xaxes if axis == "x" else built.update_yaxes)(**props)
        return built
    traces, layout = built
    _merge(layout, common)
    for axis, props in axes:
        _merge(layout, {f"{axis}axis": props})
    return go.Figure(data=traces, layout=layout)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Put ``extra`` into ``base`` as Plotly's ``update_layout`` does: nested dicts merged key by
    key, other values replaced."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _title(text: str) -> dict[str, Any]:
    """An axis title as Plotly writes ``title=text``."""
    return {"title": {"text": text}}


def _percent_axis(df: pd.DataFrame, chart: Chart, axis: str) -> dict[str, Any]:
    """Percent ticks with a range that fits small rates (0-3% is not drawn on a 0-100% axis)."""
    ys = _ys(chart)
    col = chart.x if axis == "x" else (ys[0] if ys else None)
    values = pd.to_numeric(df[col], errors="coerce") if col in df else pd.Series(dtype=float)
    if len(_ys(chart)) > 1 and axis == "y":
        values = pd.concat([pd.to_numeric(df[c], errors="coerce") for c in _ys(chart)])
    top = float(values.max()) if values.notna().any() else 1.0
    fmt = ".1%" if top < 0.1 else ".0%"
    if 0 < top < 0.5 and float(values.min()) >= 0:
        return {"tickformat": fmt, "range": [0, top * 1.15]}
    return {"tickformat": fmt}


def _ys(chart: Chart) -> list[str]:
    if chart.y is None:
        return []
    return [chart.y] if isinstance(chart.y, str) else list(chart.y)


def _xy_traces(chart: Chart, df: pd.DataFrame, lang: str, trace: dict[str, Any]) -> Spec:
    """One trace (``trace`` plus its x, y and name) per colour group, else per y column."""
    if chart.color:
        traces = [{**trace, "x": part[chart.x], "y": part[_ys(chart)[0]], "name": str(name)}
                  for name, part in df.groupby(chart.color, sort=False)]
    else:
        traces = [{**trace, "x": df[chart.x], "y": df[y], "name": _label(chart, y, lang)} for y in _ys(chart)]
    return traces, {"xaxis": _title(_label(chart, chart.x, lang)),
                    "yaxis": _title(_label(chart, _ys(chart)[0], lang) if len(_ys(chart)) == 1 else "")}


def _bar(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    traces, layout = _xy_traces(chart, df, lang, {"type": "bar"})
    layout["barmode"] = chart.options.get("barmode", "group")
    return traces, layout


def _hbar(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    return ([{"type": "bar", "x": df[_ys(chart)[0]], "y": df[chart.x], "orientation": "h"}],
            {"yaxis": {"autorange": "reversed", **_title(_label(chart, chart.x, lang))},
             "xaxis": _title(_label(chart, _ys(chart)[0], lang))})


def _line(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    return _xy_traces(chart, df, lang, {"type": "scatter", "mode": "lines+markers"})


def _area(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    return _xy_traces(chart, df, lang, {"type": "scatter", "mode": "lines", "stackgroup": "one"})


def label_positions(x: pd.Series, y: pd.Series) -> list[str]:
    """Text positions that keep point labels apart: a label whose point lies within 8% of the
    axis ranges of an earlier labelled point takes the next free position around its point."""
    xs, ys = x.astype(float).to_numpy(), y.astype(float).to_numpy()
    dx = float(np.ptp(xs)) or 1.0
    dy = float(np.ptp(ys)) or 1.0
    choices = ["top center", "bottom center", "middle right", "middle left", "top right", "bottom left"]
    out: list[str] = []
    for i in range(len(xs)):
        near = [out[j] for j in range(i) if abs(xs[i] - xs[j]) < 0.08 * dx and abs(ys[i] - ys[j]) < 0.08 * dy]
        out.append(next((c for c in choices if c not in near), choices[i % len(choices)]))
    return out


def _scatter(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    y = _ys(chart)[0]
    text = df[chart.options["text"]] if "text" in chart.options else None
    marker: dict[str, Any] = {}
    if chart.size:
        s = df[chart.size].astype(float)
        marker["size"] = 10 + 30 * (s / s.max() if s.max() > 0 else s)
    positions = label_positions(df[chart.x], df[y]) if text is not None else "top center"
    trace = {"type": "scatter", "x": df[chart.x], "y": df[y],
             "mode": "markers+text" if text is not None else "markers", "text": text,
             "textposition": positions, "marker": marker, "cliponaxis": False}
    return [trace], {"xaxis": _title(_label(chart, chart.x, lang)), "yaxis": _title(_label(chart, y, lang))}


def _quadrant(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    traces, layout = _scatter(chart, df, lang)
    line = {"dash": "dash", "color": "#999"}
    shapes = []  # as Plotly's add_vline / add_hline: across the plot area at the cut
    if "x_cut" in chart.options:
        x = chart.options["x_cut"]
        shapes.append({"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                       "line": line})
    if "y_cut" in chart.options:
        y = chart.options["y_cut"]
        shapes.append({"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y, "yref": "y",
                       "line": line})
    if shapes:
        layout["shapes"] = shapes
    return traces, layout


def _heatmap(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    """Heatmap of a long frame: rows from ``x`` and columns from ``options["columns"]``, or,
    without that option, rows from ``y`` and columns from ``x``; values from ``options["z"]``."""
    z = chart.options.get("z")
    if "columns" in chart.options:
        rows, cols = chart.x, chart.options["columns"]
    else:
        rows, cols = (chart.y if isinstance(chart.y, str) else None), chart.x
    pivot = df.pivot_table(index=rows, columns=cols, values=z, aggfunc="first", sort=True)
    pct = chart.options.get("percent_z", False)
    trace = {"type": "heatmap", "z": pivot.values, "x": [str(c) for c in pivot.columns],
             "y": [str(i) for i in pivot.index], "colorscale": chart.options.get("colorscale", "Blues"),
             "hoverongaps": False, "texttemplate": chart.options.get("texttemplate", "%{z:.0%}" if pct else "")}
    if pct:
        trace["colorbar"] = {"tickformat": ".0%"}
    return [trace], {"yaxis": {**_title(_label(chart, rows, lang)), "autorange": "reversed", "type": "category"},
                     "xaxis": {**_title(_label(chart, cols, lang)), "type": "category"}}


def _pie(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    return [{"type": "pie", "labels": df[chart.x], "values": df[_ys(chart)[0]], "hole": 0.4}], {}


def _treemap(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    return [{"type": "treemap", "labels": df[chart.x], "parents": [""] * len(df), "values": df[_ys(chart)[0]],
             "textinfo": "label+value+percent root"}], {}


def _histogram(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    # frames hold pre-binned counts: x = bin label, y = count
    return _bar(chart, df, lang)


def path_layout(sources: list[str], targets: list[str]) -> dict[str, tuple[float, float]]:
    """Node positions of a path diagram: columns by longest path from the exogenous constructs,
    rows spread evenly in each column; a column with one node is shifted up or down in turn so
    that an arrow skipping a column does not run through the node between."""
    nodes = list(dict.fromkeys([*sources, *targets]))
    layer = dict.fromkeys(nodes, 0)
    for _ in nodes:
        for s, tg in zip(sources, targets, strict=True):
            layer[tg] = max(layer[tg], layer[s] + 1)
    by_layer: dict[int, list[str]] = {}
    for n in nodes:
        by_layer.setdefault(layer[n], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    for lay, ns in sorted(by_layer.items()):
        shift = (0.9 if lay % 2 else -0.9) if len(ns) == 1 and 0 < lay < max(by_layer) else 0.0
        for i, n in enumerate(ns):
            pos[n] = (float(lay), (i - (len(ns) - 1) / 2) * 1.4 + shift)
    return pos


def _path_diagram(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    """Latent-variable path diagram: constructs as labelled boxes on a layered layout, arrows
    whose width follows the path coefficient (blue positive, red negative), coefficients on the
    arrows, R² under each endogenous construct."""
    raw = chart.frame
    sources, targets = [str(v) for v in raw["source"]], [str(v) for v in raw["target"]]
    pos = path_layout(sources, targets)
    r2 = chart.options.get("r2", {})
    prefix = chart.options.get("node_label_prefix")
    notes: list[dict[str, Any]] = []
    for s, tg, c in zip(sources, targets, raw["coef"], strict=True):
        (x0, y0), (x1, y1) = pos[s], pos[tg]
        notes.append({"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
                      "text": "", "showarrow": True, "arrowhead": 3, "arrowwidth": 1 + 3 * abs(float(c)),
                      "arrowcolor": "#2f6f9f" if c >= 0 else "#c0504d", "standoff": 34, "startstandoff": 34})
        at = 0.5 if abs(x1 - x0) <= 1 else 0.3  # long arrows: label near their source, off the crowd
        notes.append({"x": x0 + at * (x1 - x0), "y": y0 + at * (y1 - y0), "text": f"{c:.2f}", "showarrow": False,
                      "bgcolor": "white", "font": {"size": 11}})
    for n, (x, y) in pos.items():
        name = t(prefix + n, lang) if prefix and has_key(prefix + n) else display_label(n, lang)
        text = f"<b>{name}</b>" + (f"<br>R² = {r2[n]:.2f}" if n in r2 else "")
        notes.append({"x": x, "y": y, "text": text, "showarrow": False, "bgcolor": "#eaf2f8",
                      "bordercolor": "#2f6f9f", "borderwidth": 2, "borderpad": 8, "font": {"size": 12}})
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    trace = {"type": "scatter", "x": xs, "y": ys, "mode": "markers", "marker": {"size": 1, "opacity": 0},
             "hoverinfo": "skip"}
    return [trace], {"annotations": notes, "xaxis": {"visible": False, "range": [min(xs) - 0.6, max(xs) + 0.6]},
                     "yaxis": {"visible": False, "range": [min(ys) - 0.6, max(ys) + 0.6]},
                     "showlegend": False, "height": max(chart.options.get("height", 380), 460)}


def _sankey(chart: Chart, df: pd.DataFrame, lang: str) -> Spec:
    src = [f"{s} " for s in df["source"]]
    tgt = [f" {x}" for x in df["target"]]
    labels = list(dict.fromkeys([*src, *tgt]))
    idx = {n: i for i, n in enumerate(labels)}
    return [{"type": "sankey", "node": {"label": labels, "pad": 12},
             "link": {"source": [idx[s] for s in src], "target": [idx[x] for x in tgt],
                      "value": list(df["value"])}}], {}


def _btyd(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    from loyalscope.report.charts_btyd import chart_figure

    return chart_figure(chart, lang)


_BUILDERS: dict[str, Any] = {
    "bar": _bar, "hbar": _hbar, "line": _line, "area": _area, "scatter": _scatter, "quadrant": _quadrant,
    "heatmap": _heatmap, "pie": _pie, "treemap": _treemap, "histogram": _histogram,
    "path_diagram": _path_diagram, "sankey": _sankey,
    # BTYD diagnostics (report/charts_btyd.py)
    "tracking": _btyd, "frequency_distribution": _btyd, "alive_history": _btyd,
}
