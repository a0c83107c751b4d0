"""Drivers: each segment's deviation from its own expected value, weighted by its part of the
denominator, ranked in the direction of the change."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from loyalscope.monitoring.baseline import Track
from loyalscope.monitoring.drivers import contributions, rank
from loyalscope.monitoring.series import Series


def _pair(metric: str, segment: str, value: float, expected: float, den: float
          ) -> tuple[Series, Track]:
    one = np.array
    s = Series(metric, [date(2025, 6, 1)], one([value]), one([value * den]), one([den]),
               one([den]), one([1.0]), None, ["ok"], "mean", "region", segment)
    tr = Track(one([expected]), one([expected - 1]), one([expected + 1]), one([0.5]),
               one([0.1]), np.zeros(1, dtype=int))
    return s, tr


def test_the_segment_that_broke_its_pattern_comes_first_whatever_its_size() -> None:
    segs = {"region": [_pair("repurchase_rate", "big", 0.30, 0.30, 9000),
                       _pair("repurchase_rate", "small", 0.20, 0.30, 1000)],
            "channel": [_pair("repurchase_rate", "web", 0.29, 0.30, 5000),
                        _pair("repurchase_rate", "store", 0.29, 0.30, 5000)]}
    found = contributions(segs, 0)
    by = {(d.dimension, d.segment): d for d in found}
    assert by[("region", "small")].contribution == pytest.approx(0.1 * -0.10)
    assert by[("region", "big")].contribution == pytest.approx(0.0)
    total = sum(d.contribution for d in found if d.dimension == "region")
    assert total == pytest.approx(0.9 * 0.30 + 0.1 * 0.20 - 0.30)  # Y - sum w yhat
    ranked = rank(found, deviation=-0.01, limit=2)
    assert [(d.dimension, d.segment) for d in ranked] == [("region", "small"),
                                                         ("channel", "web")]
    assert ranked[0].share == pytest.approx(1.0)
    assert found[1].share is None  # ranking does not change the shared records


def test_volumes_add_up() -> None:
    segs = {"region": [_pair("orders", "east", 600, 1000, 1), _pair("orders", "west", 1010,
                                                                     1000, 1)]}
    found = contributions(segs, 0)
    assert [d.contribution for d in found] == [-400, 10]
    ranked = rank(found, deviation=-390, limit=3)
    assert [d.segment for d in ranked] == ["east"]  # west moved the other way
    first = rank(found, deviation=-390, limit=3, first=("region", "west"))
    assert [d.segment for d in first] == ["west", "east"]
