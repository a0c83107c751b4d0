"""Diagnosis facts from analysis results, end to end into recommendations."""

from __future__ import annotations

import pandas as pd
import pytest

from loyalscope.strategy.engine import recommend
from loyalscope.strategy.facts import diagnosis_facts


def test_facts_and_recommendations_from_results() -> None:
    seg = pd.DataFrame({"customer_id": list("abcdefghij"),
                        "segment_id": ["champions"] * 2 + ["about_to_sleep"] * 3 + ["loyal"] * 5,
                        "monetary": [100.0] * 10})
    prev = seg.assign(segment_id=["champions"] * 5 + ["loyal"] * 5)
    churn = pd.Series(["high", "usual", "high"] + ["usual"] * 7, index=list("abcdefghij"))
    p = pd.Series([0.9, 0.1, 0.7] + [0.1] * 7, index=list("abcdefghij"))
    f = diagnosis_facts(seg, prev, churn_tier=churn, churn_probability=p,
                        metrics={"repeat_purchase_rate": 0.3}, targets={"repeat_purchase_rate": 0.4},
                        driver_gaps={"quality": True, "price": False})
    assert f["segment_share.about_to_sleep"] == pytest.approx(0.3)
    assert f["segment_trend.champions"] == pytest.approx(-0.3)
    assert f["segment_value.about_to_sleep"] == 300.0
    assert f["churn.high_risk_share"] == pytest.approx(0.2)
    assert f["churn.high_risk_lift"] == pytest.approx(0.8 / 0.24)
    assert f["segment_value.high_risk"] == 200.0
    assert f["gap.repeat_purchase_rate"] == pytest.approx(-0.1)
    rules = [r.rule for r in recommend(f)]
    assert rules == ["quality_driver", "sleeping_care", "churn_risk_high", "repeat_gap"]
    sleep = next(r for r in recommend(f) if r.rule == "sleeping_care")
    assert sleep.size == 3 and sleep.spend == 300.0
    assert f["n.segment_share.about_to_sleep"] == 10 and f["churn.base_rate"] == pytest.approx(0.24)


def test_empty_segments_and_quadrants_are_known_zeros() -> None:
    seg = pd.DataFrame({"customer_id": list("abcd"), "segment_id": ["champions"] * 4, "monetary": [10.0] * 4})
    quadrant = pd.Series(["apostle", "apostle", None, "mercenary"], index=list("abcd"))
    f = diagnosis_facts(seg, seg, quadrant=quadrant, segment_ids=["champions", "cant_lose"],
                        quadrant_ids=["apostle", "mercenary", "hostage", "defector"])
    assert f["segment_share.cant_lose"] == 0.0 and f["segment_value.cant_lose"] == 0.0
    assert f["segment_trend.cant_lose"] == 0.0
    assert f["quadrant_share.hostage"] == 0.0 and f["segment_size.hostage"] == 0.0
    assert f["quadrant_share.apostle"] == pytest.approx(2 / 3)
    assert "cant_lose_personal" not in [r.rule for r in recommend(f)]


def test_complainants_are_distinct_customers_with_their_spend() -> None:
    seg = pd.DataFrame({"customer_id": list("abc"), "segment_id": ["loyal"] * 3, "monetary": [10.0, 20.0, 40.0]})
    f = diagnosis_facts(seg, complainants=["a", "a", "c"])
    assert f["segment_size.complainants"] == 2.0
    assert f["segment_value.complainants"] == 50.0


_ORDER_SCRIPT = """
import json
import pandas as pd
from loyalscope.strategy.facts import diagnosis_facts
from loyalscope.strategy.targets import members
ids = [f"c{i}" for i in range(40)]
names = ["champions", "loyal", "potential_loyalist", "new", "need_attention", "about_to_sleep",
         "cant_lose", "at_risk", "hibernating", "lost"]
seg = pd.DataFrame({"customer_id": ids, "segment_id": [names[i % 10] for i in range(40)],
                    "monetary": [float(i) for i in range(40)], "frequency": [i % 4 for i in range(40)]})
prev = seg.assign(segment_id=[names[(i * 3) % 10] for i in range(40)])
facts = diagnosis_facts(seg, prev, segment_ids=names)
quadrant = pd.Series(["apostle", "mercenary", "hostage", "defector"] * 10, index=ids)
who = members(["hostage", "apostle", "defector", "mercenary"], rfm=seg, quadrant=quadrant)
print(json.dumps([list(facts), list(who)]))
"""


def test_fact_and_target_order_does_not_change_from_run_to_run() -> None:
    """analysis.json lists the facts, and the target lists come out, in one order on every run:
    the segments' trends and the targets were iterated as Python sets of text, whose order
    follows the hash seed of each process (two runs of the same data wrote their facts in
    different orders)."""
    import subprocess
    import sys

    outs = set()
    for seed in ("1", "2", "3", "4", "5"):
        run = subprocess.run([sys.executable, "-c", _ORDER_SCRIPT], capture_output=True, text=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": seed}, check=True)
        outs.add(run.stdout)
    assert len(outs) == 1
