"""Chart blocks -> Plotly figures. Every chart plots aggregates (a few hundred points at most)."""

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
    fig = builder(chart, df, lang)
    fig.update_layout(
        title={"text": t(chart.title, lang), "font": {"size": 15}},
        font={"family": FONT, "size": 12},
        colorway=PALETTE,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        height=chart.options.get("height", fig.layout.height or 380),
        legend={"title": {"text": _label(chart, chart.color, lang)}},
    )
    for axis, opt in (("y", "percent_y"), ("x", "percent_x")):
        if chart.options.get(opt):
            _percent_axis(fig, df, chart, axis)
    for axis in ("x", "y"):
        if chart.options.get(f"unit_{axis}") == "currency":
            on_x = (axis == "x") != (chart.kind == "hbar")  # a horizontal bar plots y along x
            (fig.update_xaxes if on_x else fig.update_yaxes)(tickformat=",.0f")
    return fig


def _percent_axis(fig: go.Figure, df: pd.DataFrame, chart: Chart, axis: str) -> None:
    """Percent ticks with a range that fits small rates (0-3% is not drawn on a 0-100% axis)."""
    ys = _ys(chart)
    col = chart.x if axis == "x" else (ys[0] if ys else None)
    values = pd.to_numeric(df[col], errors="coerce") if col in df else pd.Series(dtype=float)
    if len(_ys(chart)) > 1 and axis == "y":
        values = pd.concat([pd.to_numeric(df[c], errors="coerce") for c in _ys(chart)])
    top = float(values.max()) if values.notna().any() else 1.0
    fmt = ".1%" if top < 0.1 else ".0%"
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    if 0 < top < 0.5 and float(values.min()) >= 0:
        update(tickformat=fmt, range=[0, top * 1.15])
    else:
        update(tickformat=fmt)


def _ys(chart: Chart) -> list[str]:
    if chart.y is None:
        return []
    return [chart.y] if isinstance(chart.y, str) else list(chart.y)


def _xy_traces(chart: Chart, df: pd.DataFrame, lang: str, make: Any) -> go.Figure:
    fig = go.Figure()
    if chart.color:
        for name, part in df.groupby(chart.color, sort=False):
            fig.add_trace(make(x=part[chart.x], y=part[_ys(chart)[0]], name=str(name)))
    else:
        for y in _ys(chart):
            fig.add_trace(make(x=df[chart.x], y=df[y], name=_label(chart, y, lang)))
    fig.update_xaxes(title=_label(chart, chart.x, lang))
    fig.update_yaxes(title=_label(chart, _ys(chart)[0], lang) if len(_ys(chart)) == 1 else "")
    return fig


def _bar(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    fig = _xy_traces(chart, df, lang, go.Bar)
    fig.update_layout(barmode=chart.options.get("barmode", "group"))
    return fig


def _hbar(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=df[_ys(chart)[0]], y=df[chart.x], orientation="h"))
    fig.update_yaxes(autorange="reversed", title=_label(chart, chart.x, lang))
    fig.update_xaxes(title=_label(chart, _ys(chart)[0], lang))
    return fig


def _line(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    return _xy_traces(chart, df, lang, lambda **kw: go.Scatter(mode="lines+markers", **kw))


def _area(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    fig = _xy_traces(chart, df, lang, lambda **kw: go.Scatter(mode="lines", stackgroup="one", **kw))
    return fig


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


def _scatter(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    y = _ys(chart)[0]
    text = df[chart.options["text"]] if "text" in chart.options else None
    marker: dict[str, Any] = {}
    if chart.size:
        s = df[chart.size].astype(float)
        marker["size"] = 10 + 30 * (s / s.max() if s.max() > 0 else s)
    positions = label_positions(df[chart.x], df[y]) if text is not None else "top center"
    fig = go.Figure(go.Scatter(x=df[chart.x], y=df[y], mode="markers+text" if text is not None else "markers",
                               text=text, textposition=positions, marker=marker, cliponaxis=False))
    fig.update_xaxes(title=_label(chart, chart.x, lang))
    fig.update_yaxes(title=_label(chart, y, lang))
    return fig


def _quadrant(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    fig = _scatter(chart, df, lang)
    for axis, key in (("x", "x_cut"), ("y", "y_cut")):
        if key in chart.options:
            if axis == "x":
                fig.add_vline(x=chart.options[key], line_dash="dash", line_color="#999")
            else:
                fig.add_hline(y=chart.options[key], line_dash="dash", line_color="#999")
    return fig


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
    fig = go.Figure(go.Heatmap(
        z=pivot.values, x=[str(c) for c in pivot.columns], y=[str(i) for i in pivot.index],
        colorscale=chart.options.get("colorscale", "Blues"), hoverongaps=False,
        texttemplate=chart.options.get("texttemplate", "%{z:.0%}" if pct else ""),
        colorbar={"tickformat": ".0%"} if pct else None,
    ))
    fig.update_yaxes(title=_label(chart, rows, lang), autorange="reversed", type="category")
    fig.update_xaxes(title=_label(chart, cols, lang), type="category")
    return fig


def _pie(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    return go.Figure(go.Pie(labels=df[chart.x], values=df[_ys(chart)[0]], hole=0.4))


def _treemap(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    return go.Figure(go.Treemap(labels=df[chart.x], parents=[""] * len(df), values=df[_ys(chart)[0]],
                                textinfo="label+value+percent root"))


def _histogram(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
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


def _path_diagram(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    """Latent-variable path diagram: constructs as labelled boxes on a layered layout, arrows
    whose width follows the path coefficient (blue positive, red negative), coefficients on the
    arrows, R² under each endogenous construct."""
    raw = chart.frame
    sources, targets = [str(v) for v in raw["source"]], [str(v) for v in raw["target"]]
    pos = path_layout(sources, targets)
    r2 = chart.options.get("r2", {})
    prefix = chart.options.get("node_label_prefix")
    fig = go.Figure()
    notes: list[dict[str, Any]] = []  # one layout update: add_annotation re-validates all the earlier ones
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
    fig.update_layout(annotations=notes)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker={"size": 1, "opacity": 0}, hoverinfo="skip"))
    fig.update_xaxes(visible=False, range=[min(xs) - 0.6, max(xs) + 0.6])
    fig.update_yaxes(visible=False, range=[min(ys) - 0.6, max(ys) + 0.6])
    fig.update_layout(showlegend=False, height=max(chart.options.get("height", 380), 460))
    return fig


def _sankey(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    src = [f"{s} " for s in df["source"]]
    tgt = [f" {x}" for x in df["target"]]
    labels = list(dict.fromkeys([*src, *tgt]))
    idx = {n: i for i, n in enumerate(labels)}
    return go.Figure(go.Sankey(node={"label": labels, "pad": 12},
                               link={"source": [idx[s] for s in src], "target": [idx[x] for x in tgt],
                                     "value": list(df["value"])}))


def _btyd(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    from loyalscope.report.charts_btyd import chart_figure

    return chart_figure(chart, lang)


_BUILDERS = {
    "bar": _bar, "hbar": _hbar, "line": _line, "area": _area, "scatter": _scatter, "quadrant": _quadrant,
    "heatmap": _heatmap, "pie": _pie, "treemap": _treemap, "histogram": _histogram,
    "path_diagram": _path_diagram, "sankey": _sankey,
    # BTYD diagnostics (report/charts_btyd.py)
    "tracking": _btyd, "frequency_distribution": _btyd, "alive_history": _btyd,
}
