"""The satisfaction section's comment themes: who counts as dissatisfied follows the question's
scale, and the table's title says so (it said "CSAT 1-2" for NPS detractors, for the 0-4 of a
0-10 question and for the 1 of a 1-2 one). The focus group is counted again with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.i18n import t
from loyalscope.metrics.scales import Scale
from loyalscope.results import Section, Table
from loyalscope.sections._themes import survey_comment_themes

N = 240


def _surveys(low: int, high: int, cut: float, seed: int = 3) -> pd.DataFrame:
    """Answers on ``low``-``high``; those at or below ``cut`` complain of slow delivery, the
    others praise the service (with some noise)."""
    rng = np.random.default_rng(seed)
    answer = rng.integers(low, high + 1, N)
    unhappy = (answer <= cut) ^ (rng.random(N) < 0.1)
    comment = np.where(unhappy, "配送太慢，等了一周。", rng.choice(["服务很好。", "价格实惠，会再来。"], N))
    days = pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 360, N), unit="D")
    return pd.DataFrame({"response_id": [f"r{i}" for i in range(N)], "customer_id": [f"c{i % 90}" for i in range(N)],
                         "answered_ts": days, "csat": answer.astype(float), "nps": answer.astype(float),
                         "comment": comment})


@pytest.mark.parametrize(("scale", "cut", "key"), [
    (Scale(1, 5, "config"), 2, "table"), (Scale(0, 10, "config"), 4, "table_scale"), (Scale(1, 2, "config"), 1, "table_two_point"),
    (Scale(0, 1, "config"), 0, "table_yes_no"), (None, 6, "table_nps")])
def test_the_title_says_who_is_dissatisfied(scale: Scale | None, cut: float, key: str) -> None:
    low, high = (scale.low, scale.high) if scale is not None else (0, 10)
    sv = _surveys(int(low), int(high), cut)
    ds = Dataset.from_frames({"surveys": sv}, config=AnalysisConfig())
    section = Section("satisfaction")
    survey_comment_themes(ds, section, scale)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    assert [tb.title for tb in tables] == [f"themes.survey.{key}"]
    for lang in ("en", "zh"):
        assert "CSAT 1-2" not in t(tables[0].title, lang) or key == "table"
    focus = section.data["themes_survey"][0]["n_focus"]
    assert focus == int((sv.csat <= cut).sum())  # the bottom boxes, counted again
