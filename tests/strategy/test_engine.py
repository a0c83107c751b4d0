"""Each strategy rule fires on facts made to trigger it and stays silent otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalscope.errors import ConfigError
from loyalscope.strategy.engine import load_rules, recommend

# A healthy business: no rule should fire.
HEALTHY = {
    "driver_gap.quality": 0, "driver_gap.price": 0, "driver_gap.service": 0,
    "quadrant_share.mercenary": 0.1, "quadrant_share.hostage": 0.05, "quadrant_share.apostle": 0.2,
    "segment_share.potential_loyalist": 0.05, "segment_share.about_to_sleep": 0.05,
    "segment_trend.at_risk": -0.01, "churn.high_risk_lift": 1.1, "segment_share.cant_lose": 0.01,
    "complaint.quick_resolution_rate": 0.8, "complaint.repurchase_rate": 0.7,
    "gap.repeat_purchase_rate": 0.02, "segment_share.champions": 0.05, "gap.nps": -5,
}

TRIGGERS = {
    "quality_driver": {"driver_gap.quality": 1},
    "price_driver": {"driver_gap.price": 1},
    "mercenary_pricing": {"quadrant_share.mercenary": 0.4},
    "service_driver": {"driver_gap.service": 1},
    "hostage_service": {"quadrant_share.hostage": 0.3},
    "potential_membership": {"segment_share.potential_loyalist": 0.2},
    "sleeping_care": {"segment_share.about_to_sleep": 0.15},
    "at_risk_rising": {"segment_trend.at_risk": 0.05},
    "churn_risk_high": {"churn.high_risk_lift": 2.5},
    "cant_lose_personal": {"segment_share.cant_lose": 0.05},
    "complaint_slow": {"complaint.quick_resolution_rate": 0.3},
    "complaint_repurchase_low": {"complaint.repurchase_rate": 0.4},
    "repeat_gap": {"gap.repeat_purchase_rate": -0.05},
    "apostles_social": {"quadrant_share.apostle": 0.45},
    "champions_referral": {"segment_share.champions": 0.2, "gap.nps": 3},
}


def test_every_rule_has_a_trigger_here() -> None:
    assert {r.id for r in load_rules()} == set(TRIGGERS)


def test_healthy_business_fires_nothing() -> None:
    assert recommend(HEALTHY) == []
    assert recommend({}) == []


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_fires_alone_on_its_trigger(rule_id: str) -> None:
    facts = {**HEALTHY, **TRIGGERS[rule_id], "segment_size.champions": 120, "segment_value.champions": 5e4}
    recs = recommend(facts, lang="zh")
    assert [r.rule for r in recs] == [rule_id]
    rec = recs[0]
    assert {e["fact"] for e in rec.evidence} == set(TRIGGERS[rule_id])
    assert all(e["actual"] == facts[e["fact"]] for e in rec.evidence)
    rule = next(r for r in load_rules() if r.id == rule_id)
    assert rec.text == rule.zh and rec.target == rule.target
    if rule.target == "champions":
        assert rec.size == 120 and rec.value_at_stake == 5e4


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_silent_when_a_trigger_fact_is_missing(rule_id: str) -> None:
    facts = {k: v for k, v in {**HEALTHY, **TRIGGERS[rule_id]}.items()
             if k != next(iter(TRIGGERS[rule_id]))}
    assert rule_id not in [r.rule for r in recommend(facts)]


def test_bad_rule_file(tmp_path: Path) -> None:
    p = tmp_path / "r.toml"
    p.write_text('[[rule]]\nid = "x"\nstrategy = "s"\nzh = "a"\nen = "a"\nwhen = [{ fact = "f", op = "=~", value = 1 }]\n')
    with pytest.raises(ConfigError) as err:
        load_rules(p)
    assert err.value.file == str(p)
