"""Every metric against an independent pandas computation (tests/metrics/reference.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import reference

from loyalscope.metrics import REGISTRY, compute

MODULES = {f"loyalscope.metrics.{m}" for m in
           ("behaviour", "retention", "service", "engagement", "value")}
MINE = sorted(m for m, rec in REGISTRY.items() if rec.build.__module__ in MODULES)
"""The metrics of this area (other areas register and test their own)."""

BY_OK = {
    "purchase_frequency", "purchase_amount", "order_value", "repeat_purchase_rate",
    "repurchase_rate", "interpurchase_interval", "interpurchase_interval_median",
    "relationship_duration", "frequency_trend", "cross_selling", "pareto_share",
    "complaint_resolution_rate", "resolution_time", "resolution_time_p90",
    "post_complaint_repurchase", "silent_dissatisfied",
}


def compare(got: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> None:
    ref = ref.copy()
    ref["period"] = pd.to_datetime(ref["period"]).dt.date
    for k in keys[1:]:
        got[k] = got[k].astype(object).where(got[k].notna(), "<na>")
        ref[k] = ref[k].astype(object).where(ref[k].notna(), "<na>")
    got = got.set_index(keys).sort_index()
    ref = ref.set_index(keys).sort_index()
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got.numerator, ref.numerator.astype(float), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got.denominator, ref.denominator.astype(float), rtol=1e-9)
    if "value" in ref.columns:
        np.testing.assert_allclose(got.value, ref.value.astype(float), rtol=1e-9, equal_nan=True)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            exp = np.where(ref.denominator > 0, ref.numerator / ref.denominator, np.nan)
        np.testing.assert_allclose(got.value, exp.astype(float), rtol=1e-9, equal_nan=True)
    zero = got.denominator == 0
    assert (got.reason[zero] == "zero_denominator").all()
    assert got.value[zero].isna().all()


@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize("metric_id", MINE)
def test_metric_matches_pandas(ds, frames, metric_id, grain):
    got = compute(ds, metric_id, period=grain)
    ref = getattr(reference, metric_id)(frames, grain)
    keys = ["period"] + ([REGISTRY[metric_id].breakdown] if REGISTRY[metric_id].breakdown else [])
    compare(got, ref, keys)


@pytest.mark.parametrize("metric_id", sorted(BY_OK))
def test_metric_by_group_matches_pandas(ds, frames, metric_id):
    got = compute(ds, metric_id, period="quarter", by="region")
    ref = getattr(reference, metric_id)(frames, "quarter", "region")
    compare(got, ref, ["period", "region"])


def test_every_metric_has_a_reference():
    assert len(MINE) >= 40
    assert not [m for m in MINE if not hasattr(reference, m)]


@pytest.mark.parametrize("metric_id", ["purchase_frequency", "return_rate", "pareto_share"])
def test_window_keeps_only_rows_inside(ds, frames, metric_id):
    from datetime import date

    got = compute(ds, metric_id, period="month", window=(date(2023, 3, 1), date(2023, 6, 1)))
    tx = frames["transactions"]
    inside = tx[(tx.order_ts >= "2023-03-01") & (tx.order_ts < "2023-06-01")]
    ref = getattr(reference, metric_id)({**frames, "transactions": inside}, "month")
    compare(got, ref, ["period"])
