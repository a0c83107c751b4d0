"""Behaviour, retention, service and engagement sections on generated data."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.metrics import compute
from loyalscope.results import Chart, Number
from loyalscope.sections import behaviour, engagement, retention, service
from loyalscope.sections.context import SectionContext

sys.path.insert(0, str(Path(__file__).parents[1] / "metrics"))
from canonical_frames import make_frames


@pytest.fixture(scope="module")
def ds():
    return Dataset.from_frames(make_frames(seed=11))


@pytest.mark.parametrize("mod", [behaviour, retention, service, engagement])
def test_numbers_carry_metric_numerator_denominator(ds, mod):
    ctx = SectionContext(config=AnalysisConfig())
    sec = mod.build(ds, ctx)
    assert sec.id == mod.SECTION_ID
    numbers = [b for b in sec.blocks if isinstance(b, Number)]
    assert numbers
    for n in numbers:
        assert n.label == f"metrics.{n.metric_id}.name"
        ref = compute(ds, n.metric_id, period="month")
        row = ref[ref.period == pd.Timestamp(sec.data[n.metric_id]["period"]).date()].iloc[0]
        assert n.numerator == pytest.approx(row.numerator, rel=1e-12, abs=1e-12)
        assert n.denominator == row.denominator
        assert n.value == (None if pd.isna(row.value) else pytest.approx(row.value, abs=1e-12))
        # the latest month that ended by the analysis date
        start = pd.Timestamp(sec.data[n.metric_id]["period"])
        assert start + pd.DateOffset(months=1) <= pd.Timestamp(ds.analysis_date)
        ended = [p for p in ref.period
                 if pd.Timestamp(p) + pd.DateOffset(months=1) <= pd.Timestamp(ds.analysis_date)]
        assert start.date() == max(ended)
    for c in (b for b in sec.blocks if isinstance(b, Chart)):
        assert len(c.frame) < 1000  # aggregates, not customers


def test_retention_charts(ds):
    sec = retention.build(ds, SectionContext(config=AnalysisConfig()))
    kinds = {c.kind: c for c in sec.blocks if isinstance(c, Chart)}
    heat = kinds["heatmap"]
    assert heat.options["z"] == "share" and (heat.frame[heat.frame.k == 0].share == 1).all()
    life = next(c for c in sec.blocks if isinstance(c, Chart) and c.kind == "bar")
    dormant = life.frame[life.frame.state == "metrics.lifecycle_state.dormant"]
    assert (dormant.customers <= 0).all()


def test_section_without_inputs_is_skipped_with_reason():
    tx = make_frames(seed=1)["transactions"]
    ds = Dataset.from_frames({"transactions": tx})
    with pytest.raises(InsufficientDataError, match="metrics list"):
        engagement.build(ds, SectionContext(config=AnalysisConfig()))
