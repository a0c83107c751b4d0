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
