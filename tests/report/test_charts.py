"""Chart blocks become Plotly figures of the same aggregates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.report.charts import figure
from loyalscope.results import Chart


def test_heatmap_pivots_long_frames_both_ways() -> None:
    df = pd.DataFrame({"cohort": ["2024-01", "2024-01", "2024-02"], "k": [0, 1, 0],
                       "share": [1.0, 0.4, 1.0]})
    fig = figure(Chart("heatmap", "t", df, x="k", y="cohort", options={"z": "share"}), "en")
    np.testing.assert_array_equal(fig.data[0].z, [[1.0, 0.4], [1.0, np.nan]])
    assert tuple(fig.data[0].y) == ("2024-01", "2024-02")
    fig2 = figure(Chart("heatmap", "t", df, x="cohort", options={"columns": "k", "z": "share"}), "en")
    np.testing.assert_array_equal(fig2.data[0].z, fig.data[0].z)


def test_bar_groups_by_colour() -> None:
    df = pd.DataFrame({"m": ["a", "b", "a"], "v": [1, 2, 3], "g": ["x", "x", "y"]})
    fig = figure(Chart("bar", "t", df, x="m", y="v", color="g"), "zh")
    assert [tr.name for tr in fig.data] == ["x", "y"]
    assert list(fig.data[1].y) == [3]


WARM_SCRIPT = """
import sys
import pandas as pd
import plotly.io as pio
from loyalscope.report import charts
from loyalscope.results import Chart

if sys.argv[1] == "warm":
    thread = charts.warm_up()
    thread.join(120)
    assert not thread.is_alive() and pio.templates.default == charts.TEMPLATE
else:
    assert pio.templates.default != charts.TEMPLATE  # Plotly's own default until the first figure
df = pd.DataFrame({"m": ["a", "b"], "v": [1.5, 2.0]})
print(charts.figure(Chart("bar", "t", df, x="m", y="v"), "zh").to_json())
"""


def test_a_figure_after_the_background_template_equals_one_made_cold() -> None:
    """``analyze`` sets the template in a background thread before the load; the figures made
    after it are those made when the first figure sets it."""
    import subprocess
    import sys

    def run(mode: str) -> str:
        return subprocess.run([sys.executable, "-c", WARM_SCRIPT, mode], capture_output=True,
                              text=True, timeout=300, check=True).stdout

    warm, cold = run("warm"), run("cold")
    assert warm == cold and '"template"' in warm and "#2f6f9f" in warm


def test_cut_lines_and_axes_are_those_plotly_draws_from_its_own_calls() -> None:
    """The builders write the figure as dicts; the quadrant's cut lines, the axis titles and the
    percent and currency ticks are what Plotly's own ``add_vline`` / ``add_hline`` /
    ``update_xaxes`` / ``update_yaxes`` calls give on the same traces."""
    import json

    import plotly.graph_objects as go

    df = pd.DataFrame({"share": [0.05, 0.2, 0.3], "score": [2.0, 4.0, 5.0], "spend": [10.0, 2500.0, 40.0]})
    chart = Chart("quadrant", "t", df, x="share", y="score",
                  options={"x_cut": 0.1, "y_cut": 3.5, "percent_x": True})
    fig = figure(chart, "en")
    ref = go.Figure(data=fig.data, layout={k: v for k, v in fig.layout.to_plotly_json().items()
                                           if k not in ("shapes", "xaxis", "yaxis")})
    ref.add_vline(x=0.1, line_dash="dash", line_color="#999")
    ref.add_hline(y=3.5, line_dash="dash", line_color="#999")
    ref.update_xaxes(title="share (%)", tickformat=".0%", range=[0, 0.3 * 1.15])
    ref.update_yaxes(title="score")
    assert json.loads(fig.to_json()) == json.loads(ref.to_json())

    money = figure(Chart("hbar", "t", df, x="score", y="spend", options={"unit_y": "currency"}), "en")
    assert money.layout.xaxis.tickformat == ",.0f"  # a horizontal bar plots y along x
    assert money.layout.yaxis.autorange == "reversed" and money.layout.xaxis.title.text
