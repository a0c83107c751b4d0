"""Ranking and de-duplication of the fired recommendations, against a plain one-customer-at-a-time
implementation of the rule in :mod:`loyalscope.strategy.value` written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.strategy.engine import Recommendation
from loyalscope.strategy.value import StakeInputs, rank


def _reference(recs: list[Recommendation], inputs: StakeInputs) -> tuple[list[tuple], dict[str, str]]:
    stake = inputs.stake().to_dict()
    groups = {r.rule: [str(c) for c in pd.Index(inputs.members.get(r.target, pd.Index([]))).unique()] for r in recs}
    taken: set[str] = set()
    assigned: dict[str, str] = {}
    pending, out = list(recs), []
    while pending:
        free = {r.rule: [c for c in groups[r.rule] if c not in taken] for r in pending}
        values = {rule: float(sum(stake.get(c, 0.0) for c in ids)) for rule, ids in free.items()}
        best = max(pending, key=lambda r: (values[r.rule], len(free[r.rule]), -recs.index(r)))
        mine = free[best.rule]
        spend = float(inputs.spend.reindex(groups[best.rule]).fillna(0.0).sum()) if inputs.spend is not None else None
        out.append((best.rule, len(out) + 1, values[best.rule], float(len(mine)), float(len(groups[best.rule])), spend))
        assigned.update(dict.fromkeys(mine, best.rule))
        taken.update(mine)
        pending.remove(best)
    return out, assigned


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("basis", ["excess_churn", "spend"])
def test_rank_matches_the_one_customer_at_a_time_rule(seed: int, basis: str) -> None:
    rng = np.random.default_rng(seed)
    ids = np.array([f"c{i:05d}" for i in range(5000)], dtype=object)
    clv = pd.Series(rng.gamma(2.0, 300.0, ids.size), index=ids)
    clv.iloc[rng.integers(0, ids.size, 50)] = np.inf  # not finite: left out of the stake
    p = pd.Series(rng.uniform(0, 1, ids.size), index=ids)
    spend = pd.Series(np.round(rng.gamma(2.0, 100.0, ids.size), 2), index=ids)
    targets = ["a", "b", "c", "d", "empty", "unknown"]
    members = {t: pd.Index(sorted(set(rng.choice(ids, int(rng.integers(100, 3000)), replace=True))), dtype=object)
               for t in targets[:4]}
    members["d"] = pd.Index([*members["d"], "not_a_customer"], dtype=object)
    members["empty"] = pd.Index([], dtype=object)
    inputs = StakeInputs(clv=clv if basis == "excess_churn" else None, churn_probability=p, base_rate=0.3,
                         spend=spend, members=members)
    recs = [Recommendation(rule=f"r_{t}", strategy="s", text="", target=t) for t in targets]
    copies = [Recommendation(rule=r.rule, strategy="s", text="", target=r.target) for r in recs]
    want, want_assigned = _reference(copies, inputs)
    ranked, assigned = rank(recs, inputs)
    got = [(r.rule, r.rank, r.value_at_stake, r.customers, r.size if r.target in members else float(len(
        members.get(r.target, []))), r.spend if r.target in members else (0.0 if inputs.spend is not None else None))
           for r in ranked]
    assert got == want  # exactly: the same sums in the same order
    assert assigned.to_dict() == want_assigned
    assert list(assigned.index) == list(want_assigned)
    assert assigned.dtype == "string"


def test_members_are_the_distinct_ids_in_python_text_order() -> None:
    from loyalscope.strategy.targets import members

    rng = np.random.default_rng(1)
    ids = pd.Series(rng.choice([f"c{i}" for i in range(5000)] + ["é", "Z", "a b", "c10"], 20000))
    rfm = pd.DataFrame({"customer_id": ids, "frequency": rng.integers(1, 3, 20000),
                        "segment_id": rng.choice(["x", "y"], 20000)})
    got = members(["all", "one_time", "x", "y"], rfm=rfm)
    want = {"all": rfm.customer_id, "one_time": rfm.customer_id[rfm.frequency == 1],
            "x": rfm.customer_id[rfm.segment_id == "x"], "y": rfm.customer_id[rfm.segment_id == "y"]}
    for k, v in want.items():
        pd.testing.assert_index_equal(got[k], pd.Index(sorted(set(v)), dtype="object"))


def test_value_at_stake_is_computed_once_and_its_inputs_cannot_be_replaced() -> None:
    import dataclasses

    ids = pd.Index(["a", "b", "c"], dtype=object)
    clv = pd.Series([100.0, 50.0, np.inf], index=ids)
    p = pd.Series([0.5, 0.1, 0.9], index=ids)
    inputs = StakeInputs(clv=clv, churn_probability=p, base_rate=0.2)
    stake = inputs.stake()
    assert inputs.stake() is stake  # the same Series on every call
    # (p - base)+ x clv+, not-finite values left out: an independent computation
    assert stake.to_dict() == {"a": 100.0 * (0.5 - 0.2), "b": 0.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.clv = clv * 2  # type: ignore[misc]
