"""Ground truth: changes injected into simulated companies are raised as high alerts naming
the segment they were injected into, and three years of a steady process raise a high alert in
fewer than 1 monthly check in 20 (the issue's acceptance criteria)."""

from __future__ import annotations

import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate
from loyalscope.data.simulate_changes import parse
from loyalscope.monitoring import monitor
from loyalscope.monitoring.monitor import evaluate

YEARS3 = 3 * 365  # 2024-01-01 .. 2026-12-30


def _injected(change: str, include: list[str], customers: int = 100_000, seed: int = 3):
    company = simulate(customers=customers, days=YEARS3, seed=seed, acquisition_share=1.0,
                       changes=[parse(change)])
    (truth,) = company.truth["changes"]
    cfg = AnalysisConfig.model_validate({"monitor": {"include": include}})
    return truth, monitor(Dataset.from_frames(company.tables), cfg, at="2026-06")


def _high(result, column: str, value: str) -> list:
    return [a for a in result.alerts if a.severity == "high" and a.period == "2026-06"
            and a.drivers and (a.drivers[0].dimension, a.drivers[0].segment) == (column, value)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 3])
def test_a_30_percent_drop_in_one_regions_orders_is_a_high_alert_naming_the_region(
        seed: int) -> None:
    truth, result = _injected("order_drop:2026-06:0.3:region=east",
                              ["orders", "buyers", "repurchase_rate"], seed=seed)
    assert truth["orders_removed"] > 0.25 * truth["orders_in_scope"]
    found = _high(result, "region", "east")
    assert found, [a.to_dict() for a in result.alerts]
    orders = next(a for a in found if a.metric == "orders")
    assert orders.segment == {"dimension": "region", "value": "east"}
    assert orders.value < orders.low
    # the region's fall is (about) the orders removed: a check on the driver's arithmetic
    assert orders.expected - orders.value == pytest.approx(truth["orders_removed"], rel=0.5)


@pytest.mark.slow
def test_a_complaint_surge_in_one_region_is_a_high_alert_naming_the_region() -> None:
    truth, result = _injected("complaint_surge:2026-06:3:region=north",
                              ["complaint_rate", "complaints_per_1000_orders"])
    assert truth["complaints_added"] > 0
    found = _high(result, "region", "north")
    assert found, [a.to_dict() for a in result.alerts]
    assert all(a.value > a.high for a in found)


@pytest.mark.slow
def test_an_nps_fall_in_one_channel_is_a_high_alert_naming_the_channel() -> None:
    truth, result = _injected("nps_fall:2026-06:3:channel=online", ["nps"])
    assert truth["nps_after"] < truth["nps_before"] - 30
    found = _high(result, "channel", "online")
    assert found, [a.to_dict() for a in result.alerts]
    assert all(a.metric == "nps" and a.value < a.low for a in found)


@pytest.mark.slow
def test_steady_three_years_raise_a_high_alert_in_fewer_than_1_check_in_20() -> None:
    """Every complete month of 5 companies, each checked as a run at its end would check it
    (a period's check uses only the periods before it: see test_monitor)."""
    cfg = AnalysisConfig().monitor
    runs = highs = 0
    found = []
    for seed in range(5):
        company = simulate(customers=20_000, days=YEARS3, seed=100 + seed, acquisition_share=1.0)
        result = monitor(Dataset.from_frames(company.tables))
        fr = result.calendar
        for i in range(len(fr.periods) - 1):  # the last month is partial
            outcome = [evaluate(w, i, fr, cfg) for w in result.watched.values()]
            if not any(check.state == "ok" for check, _ in outcome):
                continue  # too early: no metric has history yet
            runs += 1
            high = [a for _, alerts in outcome for a in alerts if a.severity == "high"]
            highs += bool(high)
            found += [(seed, a.period, a.metric, a.segment) for a in high]
    assert runs >= 5 * 28
    assert highs / runs < 1 / 20, found
