"""Chart blocks -> Plotly figures. Every chart plots aggregates (a few hundred points at most)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from loyalscope.i18n import t
from loyalscope.results import Chart

FONT = "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif"
PALETTE = ["#2f6f9f", "#e0793a", "#4a9b6e", "#c0504d", "#8064a2", "#4bacc6", "#f2c314", "#7f7f7f"]


def _label(chart: Chart, col: str | None, lang: str) -> str:
    if col is None:
        return ""
    key = chart.labels.get(col)
    return t(key, lang) if key else col


def _translated(chart: Chart, lang: str) -> pd.DataFrame:
    frame = chart.frame.copy()
    for col in chart.translate_values:
        frame[col] = frame[col].map(lambda v: t(str(v), lang))
    return frame


def figure(chart: Chart, lang: str) -> go.Figure:
    """Build the Plotly figure of ``chart`` with labels in ``lang``."""
    df = _translated(chart, lang)
    builder = _BUILDERS.get(chart.kind, _bar)
    fig = builder(chart, df, lang)
    fig.update_layout(
        title={"text": t(chart.title, lang), "font": {"size": 15}},
        font={"family": FONT, "size": 12},
        template="plotly_white",
        colorway=PALETTE,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        height=chart.options.get("height", 380),
        legend={"title": {"text": _label(chart, chart.color, lang)}},
    )
    if chart.options.get("percent_y"):
        fig.update_yaxes(tickformat=".0%")
    if chart.options.get("percent_x"):
        fig.update_xaxes(tickformat=".0%")
    return fig


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


def _scatter(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    y = _ys(chart)[0]
    text = df[chart.options["text"]] if "text" in chart.options else None
    marker: dict[str, Any] = {}
    if chart.size:
        s = df[chart.size].astype(float)
        marker["size"] = 10 + 30 * (s / s.max() if s.max() > 0 else s)
    fig = go.Figure(go.Scatter(x=df[chart.x], y=df[y], mode="markers+text" if text is not None else "markers",
                               text=text, textposition="top center", marker=marker))
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


def _path_diagram(chart: Chart, df: pd.DataFrame, lang: str) -> go.Figure:
    """Latent-variable path diagram: nodes on a layered layout, edges labelled with coefficients."""
    nodes = list(dict.fromkeys([*df["source"], *df["target"]]))
    layer = {n: 0 for n in nodes}
    for _ in nodes:
        for s, tg in zip(df["source"], df["target"], strict=True):
            layer[tg] = max(layer[tg], layer[s] + 1)
    by_layer: dict[int, list[str]] = {}
    for n in nodes:
        by_layer.setdefault(layer[n], []).append(n)
    pos = {n: (lay, i - (len(ns) - 1) / 2) for lay, ns in by_layer.items() for i, n in enumerate(ns)}
    r2 = chart.options.get("r2", {})
    fig = go.Figure()
    for s, tg, c in zip(df["source"], df["target"], df["coef"], strict=True):
        (x0, y0), (x1, y1) = pos[s], pos[tg]
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=3, arrowwidth=1 + 3 * abs(float(c)),
                           arrowcolor="#2f6f9f" if c >= 0 else "#c0504d", standoff=22, startstandoff=22)
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=f"{c:.2f}", showarrow=False,
                           bgcolor="white", font={"size": 11})
    labels = [f"<b>{t(chart.options.get('node_label_prefix', '') + n, lang) if chart.options.get('node_label_prefix') else n}</b>"
              + (f"<br>R²={r2[n]:.2f}" if n in r2 else "") for n in nodes]
    fig.add_trace(go.Scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text",
                             text=labels, textposition="middle center", hoverinfo="text",
                             marker={"size": 70, "color": "#eaf2f8", "line": {"color": "#2f6f9f", "width": 2}}))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(showlegend=False)
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
