"""Every strategy rule fires on a dataset made to trigger it and stays silent otherwise.

Each scenario is a real Dataset (hand-built canonical frames or the simulator with one lever
turned), run through ``analyze`` with the sections that produce the rule's facts. A fired rule
is checked against an independent pandas computation from the raw frames: the evidence values,
the target segment, its size (customers) and the value at stake (their spend before the
analysis date). A silent rule must be silent because its condition fails on facts that the
pipeline did produce, not because an input was missing.

Hand-built "grid" data: five groups of 20 customers; the group with FM level ``k`` has ``3k``
orders of ``100k`` yuan, so its F and M quintiles are both ``k``; ``fm_by_r`` places each group
in a recency quintile (last order 200-240 days before the analysis date, before the earlier
RFM date, so segments do not move unless a group buys again in the last days).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from loyalscope.analysis import Analysis, analyze
from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate

TODAY = date(2025, 1, 1)
N_PER = 20
SEGMENT_SECTIONS = ("segments", "strategy")
DRIVERS = ("quality", "price", "service", "aftersales", "brand")
HORIZON = 90  # [segments] churn_horizon_days of these scenarios: complaints are judged over this window

# --- hand-built data -------------------------------------------------------------------------


def grid_frames(fm_by_r: dict[int, int], rebuy: tuple[int, ...] = ()) -> dict[str, pd.DataFrame]:
    """Transactions of the five-group grid; groups in ``rebuy`` buy once (1 yuan) 5 days ago."""
    rows = []
    for q, k in fm_by_r.items():
        last = pd.Timestamp(TODAY) - pd.Timedelta(days=200 + (5 - q) * 10)
        for i in range(N_PER):
            cid = f"g{k}_{i:02d}"
            rows += [(cid, last - pd.Timedelta(days=7 * j), 100.0 * k) for j in range(3 * k)]
            if k in rebuy:
                rows.append((cid, pd.Timestamp(TODAY) - pd.Timedelta(days=5), 1.0))
    tx = pd.DataFrame(rows, columns=["customer_id", "order_ts", "amount"])
    tx.insert(0, "order_id", [f"o{i:05d}" for i in range(len(tx))])
    return {"transactions": tx}


IDENTITY = {q: q for q in range(1, 6)}  # champions, loyal, need attention, hibernating, lost
SHUFFLED = {5: 2, 4: 3, 3: 1, 2: 5, 1: 4}  # potential loyalists, about to sleep, can't lose, at risk


def with_surveys(frames: dict[str, pd.DataFrame], **answers: float) -> dict[str, pd.DataFrame]:
    """One survey answer per customer (30 days before today) with the given constant ratings."""
    ids = sorted(frames["transactions"].customer_id.unique())
    sv = pd.DataFrame({"response_id": [f"s{i:04d}" for i in range(len(ids))], "customer_id": ids,
                       "answered_ts": pd.Timestamp(TODAY) - pd.Timedelta(days=30), **answers})
    return {**frames, "surveys": sv}


def driver_frames(gap: str | None, seed: int = 5) -> dict[str, pd.DataFrame]:
    """Grid customers answer three surveys each. Loyalty depends mostly on ``quality``, ``price``
    and ``service`` (weights 1, 1, 1; 0.1 for the others); ``gap`` is the one rated low (mean 2.0, the others
    4.0); ``gap=None``: the three important ones are rated 4.5, the others 3.5."""
    frames = grid_frames(IDENTITY)
    ids = np.repeat(sorted(frames["transactions"].customer_id.unique()), 3)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((len(ids), len(DRIVERS)))
    weights = np.array([1.0, 1.0, 1.0, 0.1, 0.1])
    loyalty = np.clip(np.rint(6 + 1.5 * z @ weights + 0.5 * rng.standard_normal(len(ids))), 1, 10)
    mean = {d: 2.0 if d == gap else 4.0 for d in DRIVERS} if gap else dict(zip(DRIVERS, (4.5,) * 3 + (3.5,) * 2, strict=True))
    dims = {f"dim_{d}": np.clip(np.rint(mean[d] + 0.8 * z[:, j]), 1, 5) for j, d in enumerate(DRIVERS)}
    sv = pd.DataFrame({"response_id": [f"s{i:04d}" for i in range(len(ids))], "customer_id": ids,
                       "answered_ts": pd.Timestamp(TODAY) - pd.Timedelta(days=30),
                       "nps": np.clip(loyalty, 0, 10), "loyalty_score": loyalty, **dims})
    return {**frames, "surveys": sv}


# --- simulated company with one lever turned ---------------------------------------------------


def company() -> dict[str, pd.DataFrame]:
    return {k: v.copy() for k, v in _COMPANY.tables.items()}


_COMPANY = simulate(customers=600, days=540, seed=3)
SIM_TODAY = date(2024, 1, 1) + timedelta(days=540)


def complaint_frames(quick: bool, repurchase: bool) -> dict[str, pd.DataFrame]:
    """The simulated company with complaints closed within 2 hours (``quick``) or after 5 days,
    and complainants who buy again 3 days after the complaint (``repurchase``) or never within
    the horizon (their orders in that window are removed)."""
    f = company()
    cp, tx = f["complaints"], f["transactions"]
    cp["resolved"] = True
    cp["closed_ts"] = cp.opened_ts + pd.Timedelta(hours=2 if quick else 120)
    if repurchase:
        extra = pd.DataFrame({"order_id": [f"X{i:05d}" for i in range(len(cp))],
                              "customer_id": cp.customer_id.to_numpy(),
                              "order_ts": cp.opened_ts.to_numpy() + pd.Timedelta(days=3),
                              "amount": 50.0})
        f["transactions"] = pd.concat([tx, extra], ignore_index=True)
    else:
        j = tx.merge(cp[["customer_id", "opened_ts"]], on="customer_id")
        after = (j.order_ts > j.opened_ts) & (j.order_ts < j.opened_ts + pd.Timedelta(days=HORIZON))
        f["transactions"] = tx[~tx.order_id.isin(j.order_id[after])]
    return f


def loyal_base() -> dict[str, pd.DataFrame]:
    """The simulated company where 90% of customers also buy every 30 days up to today."""
    f = company()
    cu = f["customers"]
    rng = np.random.default_rng(11)
    steady = cu.customer_id[rng.random(len(cu)) < 0.9]
    first = f["transactions"].groupby("customer_id").order_ts.min()
    end = pd.Timestamp(SIM_TODAY) - pd.Timedelta(days=1)
    rows = [(c, ts) for c in steady for ts in pd.date_range(first[c], end, freq="30D")[1:]]
    extra = pd.DataFrame(rows, columns=["customer_id", "order_ts"])
    extra.insert(0, "order_id", [f"Y{i:06d}" for i in range(len(extra))])
    extra["amount"] = 80.0
    f["transactions"] = pd.concat([f["transactions"], extra], ignore_index=True)
    return f


def complaint_outcomes(f: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Quick-resolution and repurchase rates of complaints opened >= HORIZON days before today."""
    cp, tx = f["complaints"], f["transactions"]
    cp = cp[cp.opened_ts < pd.Timestamp(SIM_TODAY - timedelta(days=HORIZON))]
    quick = cp.resolved & ((cp.closed_ts - cp.opened_ts) <= pd.Timedelta(days=1))
    j = cp.merge(tx[["customer_id", "order_ts"]], on="customer_id", how="left")
    j["hit"] = (j.order_ts > j.opened_ts) & (j.order_ts < j.opened_ts + pd.Timedelta(days=HORIZON))
    bought = j.groupby("complaint_id").hit.any()
    return {"complaint.quick_resolution_rate": float(quick.mean()), "complaint.repurchase_rate": float(bought.mean())}


# --- scenarios and rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    frames: Callable[[], dict[str, pd.DataFrame]]
    sections: tuple[str, ...] = SEGMENT_SECTIONS
    targets: tuple[tuple[str, float], ...] = ()
    today: date = TODAY


WITH_SURVEY = ("segments", "satisfaction", "strategy")
WITH_CHURN = ("segments", "churn", "strategy")
SCENARIOS: dict[str, Scenario] = {
    "shuffled": Scenario(lambda: grid_frames(SHUFFLED)),
    "identity": Scenario(lambda: grid_frames(IDENTITY)),
    "at_risk_rising": Scenario(lambda: grid_frames(IDENTITY, rebuy=(1, 2, 3))),
    "satisfied": Scenario(lambda: with_surveys(grid_frames(IDENTITY), csat=5.0)),
    "dissatisfied": Scenario(lambda: with_surveys(grid_frames(IDENTITY), csat=1.0)),
    "promoters": Scenario(lambda: with_surveys(grid_frames(IDENTITY), nps=10.0), WITH_SURVEY, (("nps", 0.0),)),
    "detractors": Scenario(lambda: with_surveys(grid_frames(IDENTITY), nps=0.0), WITH_SURVEY, (("nps", 0.0),)),
    "promoters_no_champions": Scenario(lambda: with_surveys(grid_frames(SHUFFLED), nps=10.0), WITH_SURVEY,
                                       (("nps", 0.0),)),
    **{f"gap_{d}": Scenario(lambda d=d: driver_frames(d), WITH_SURVEY) for d in ("quality", "price", "service")},
    "no_gap": Scenario(lambda: driver_frames(None), WITH_SURVEY),
    "slow_but_repurchase": Scenario(lambda: complaint_frames(quick=False, repurchase=True), WITH_CHURN,
                                    today=SIM_TODAY),
    "quick_no_repurchase": Scenario(lambda: complaint_frames(quick=True, repurchase=False), WITH_CHURN,
                                    today=SIM_TODAY),
    "simulated": Scenario(company, WITH_CHURN, today=SIM_TODAY),
    "loyal_base": Scenario(loyal_base, WITH_CHURN, today=SIM_TODAY),
    "repeat_missed": Scenario(company, ("behaviour", "segments", "strategy"), (("repeat_purchase_rate", 0.99),),
                              SIM_TODAY),
    "repeat_met": Scenario(company, ("behaviour", "segments", "strategy"), (("repeat_purchase_rate", 0.0),),
                           SIM_TODAY),
}


def groups(*ks: int) -> Callable[[dict, Analysis], set[str]]:
    return lambda f, a: {c for c in f["transactions"].customer_id.unique() if int(c[1]) in ks}


def everyone(f: dict, a: Analysis) -> set[str]:
    return set(f["transactions"].customer_id.unique())


def high_risk(f: dict, a: Analysis) -> set[str]:
    cu = a.customers
    return set(cu.customer_id[cu.churn_tier == "high"])


def complainants(f: dict, a: Analysis) -> set[str]:
    return set(f["complaints"].customer_id)


@dataclass(frozen=True)
class Case:
    rule: str
    fires_on: str
    silent_on: str
    members: Callable[[dict, Analysis], set[str]]
    """The target customers, computed from the frames (and, for churn risk, the scores)."""
    evidence: Callable[[dict, set[str], Analysis], dict[str, float]]
    """Expected actual value of each condition's fact."""


def share(fact: str, n: int = 5 * N_PER) -> Callable[[dict, set[str], Analysis], dict[str, float]]:
    return lambda f, m, a: {fact: len(m) / n}


def fixed(**values: float) -> Callable[[dict, set[str], Analysis], dict[str, float]]:
    return lambda f, m, a: {k.replace("__", "."): v for k, v in values.items()}


def _repeat_gap(f: dict, m: set[str], a: Analysis) -> dict[str, float]:
    value = a.section("behaviour").data["repeat_purchase_rate"]["value"]
    return {"gap.repeat_purchase_rate": value - 0.99}


CASES = [
    Case("quality_driver", "gap_quality", "no_gap", everyone, fixed(driver_gap__quality=1.0)),
    Case("price_driver", "gap_price", "gap_quality", everyone, fixed(driver_gap__price=1.0)),
    Case("mercenary_pricing", "satisfied", "dissatisfied", groups(1, 2), share("quadrant_share.mercenary")),
    Case("service_driver", "gap_service", "gap_price", everyone, fixed(driver_gap__service=1.0)),
    Case("hostage_service", "dissatisfied", "satisfied", groups(3, 4, 5), share("quadrant_share.hostage")),
    Case("potential_membership", "shuffled", "identity", groups(2, 3), share("segment_share.potential_loyalist")),
    Case("sleeping_care", "shuffled", "identity", groups(1), share("segment_share.about_to_sleep")),
    Case("at_risk_rising", "at_risk_rising", "shuffled", groups(4), fixed(segment_trend__at_risk=0.2)),
    # relative risk: where 90% buy monthly, the few who stop are far likelier than usual to churn
    # (fires); where most customers lapse within the horizon, nobody is much likelier (silent)
    Case("churn_risk_high", "loyal_base", "simulated", high_risk, lambda f, m, a: {"churn.high_risk_lift": (
        a.customers.churn_probability[a.customers.churn_tier == "high"].mean() / a.customers.churn_probability.mean())}),
    Case("cant_lose_personal", "shuffled", "identity", groups(5), share("segment_share.cant_lose")),
    Case("complaint_slow", "slow_but_repurchase", "quick_no_repurchase",
         complainants, lambda f, m, a: {"complaint.quick_resolution_rate": complaint_outcomes(f)[
             "complaint.quick_resolution_rate"]}),
    Case("complaint_repurchase_low", "quick_no_repurchase", "slow_but_repurchase", complainants,
         lambda f, m, a: {"complaint.repurchase_rate": complaint_outcomes(f)["complaint.repurchase_rate"]}),
    Case("repeat_gap", "repeat_missed", "repeat_met", everyone, _repeat_gap),
    Case("apostles_social", "satisfied", "dissatisfied", groups(3, 4, 5), share("quadrant_share.apostle")),
    Case("champions_referral", "promoters", "detractors", groups(5),
         lambda f, m, a: {"segment_share.champions": 0.2, "gap.nps": 100.0}),
]


RULES = {r["id"]: r for r in tomllib.loads(
    (resources.files("loyalscope.strategy") / "rules.toml").read_text(encoding="utf-8"))["rule"]}


@pytest.fixture(scope="module")
def run() -> Callable[[str], tuple[dict[str, pd.DataFrame], Analysis]]:
    """Frames and analysis of a scenario, each built once per module."""
    cache: dict[str, tuple[dict[str, pd.DataFrame], Analysis]] = {}

    def get(name: str) -> tuple[dict[str, pd.DataFrame], Analysis]:
        if name not in cache:
            sc = SCENARIOS[name]
            frames = sc.frames()
            config = AnalysisConfig.model_validate(
                {"analysis": {"analysis_date": sc.today, "targets": dict(sc.targets)},
                 "segments": {"churn_horizon_days": HORIZON}})
            analysis = analyze(Dataset.from_frames(frames, config=config), config, sections=sc.sections)
            skipped = {s.id: s.skipped_kw for s in analysis.sections if s.skipped}
            assert not skipped, f"scenario {name}: sections skipped {skipped}"
            cache[name] = (frames, analysis)
        return cache[name]

    return get


def spend(frames: dict[str, pd.DataFrame], today: date) -> pd.Series:
    tx = frames["transactions"]
    return tx[tx.order_ts < pd.Timestamp(today)].groupby("customer_id").amount.sum()


def fired(analysis: Analysis) -> dict[str, dict]:
    return {r["rule"]: r for r in analysis.section("strategy").data["recommendations"]}


def test_every_rule_has_a_fire_and_a_silent_dataset() -> None:
    assert [c.rule for c in CASES] == list(RULES)
    assert all(c.fires_on != c.silent_on for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_rule_fires_with_evidence_target_size_and_value(case: Case, run) -> None:
    frames, analysis = run(case.fires_on)
    recs = fired(analysis)
    assert case.rule in recs, sorted(recs)
    rec, rule = recs[case.rule], RULES[case.rule]
    assert rec["target"] == rule["target"]
    assert [e["fact"] for e in rec["evidence"]] == [c["fact"] for c in rule["when"]]
    members = case.members(frames, analysis)
    expected = case.evidence(frames, members, analysis)
    assert {e["fact"]: e["actual"] for e in rec["evidence"]} == pytest.approx(expected)
    assert rec["size"] == len(members)
    value = spend(frames, SCENARIOS[case.fires_on].today).reindex(sorted(members)).sum()
    assert rec["value_at_stake"] == pytest.approx(value)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_rule_is_silent_when_its_lever_is_off(case: Case, run) -> None:
    _, analysis = run(case.silent_on)
    assert case.rule not in fired(analysis)
    facts = analysis.section("strategy").data["facts"]
    # silent because the condition fails, not because the pipeline left the fact out
    assert {c["fact"] for c in RULES[case.rule]["when"]} <= set(facts)


def test_champions_referral_needs_champions_as_well_as_nps(run) -> None:
    _, analysis = run("promoters_no_champions")
    facts = analysis.section("strategy").data["facts"]
    assert facts["gap.nps"] == pytest.approx(100.0)
    assert "champions_referral" not in fired(analysis)
