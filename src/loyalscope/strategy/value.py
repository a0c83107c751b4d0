"""Value at stake, target lists and ranking of the fired recommendations.

Value at stake of a customer over the CLV horizon (Fader & Hardie's CLV times the churn risk
above normal; see Gupta, Lehmann & Stuart 2004 for CLV as the value of a customer)::

    stake_i = CLV_i x max(p_churn_i - base_rate, 0)

``CLV_i`` is the value the customer brings over the horizon if retained: the model CLV of the
value section (discounted margin over the horizon) divided by the customer's P(alive), i.e. the
BTYD expectation given that the customer is still active (the model CLV already discounts by
P(alive), so multiplying it by a churn probability again would count the risk twice), and
``base_rate`` the churn rate of the scored population (the calibrated base rate of the churn
model when it reports one, else the mean predicted probability). A recommendation's value at
stake is the sum over the customers it targets. Without a CLV or a churn model the value falls
back to the customers' past spend (``basis = "spend"``), which the report says.

Ranking and de-duplication (greedy, by value): the recommendation whose remaining target
customers carry the most value at stake is ranked first and takes them; the next one is ranked
on the customers still free; and so on. No customer is targeted twice, and a recommendation
whose customers all went to higher-ranked ones stays listed with 0 customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.strategy.engine import Recommendation


@dataclass(frozen=True)
class StakeInputs:
    """Per-customer inputs of the value at stake (index: customer_id as string).

    Frozen: the value at stake is computed once (:meth:`stake`; the ranking, the section's
    count, the customer columns and the target lists each read it: 0.3 s a time at a million
    customers) and the inputs cannot be replaced after it."""

    clv: pd.Series | None = None
    churn_probability: pd.Series | None = None
    base_rate: float | None = None
    spend: pd.Series | None = None
    """Spend before the analysis date (fallback value and context)."""
    members: dict[str, pd.Index] = field(default_factory=dict)
    """target id -> customer ids in that target group."""

    @property
    def basis(self) -> str:
        return "excess_churn" if self.clv is not None and self.churn_probability is not None else "spend"

    def base(self) -> float:
        if self.base_rate is not None:
            return float(self.base_rate)
        p = self.churn_probability
        return float(p.mean()) if p is not None and len(p) else 0.0

    def stake(self) -> pd.Series:
        """Value at stake per customer (0 where unknown); the same Series on every call (read
        it, do not change it in place)."""
        return self._stake

    @cached_property
    def _stake(self) -> pd.Series:
        if self.basis == "excess_churn":
            assert self.clv is not None and self.churn_probability is not None
            excess = (self.churn_probability - self.base()).clip(lower=0.0)
            out = self.clv.reindex(excess.index).fillna(0.0).clip(lower=0.0) * excess
        else:
            out = self.spend if self.spend is not None else pd.Series(dtype=float)
        out = out.astype(float)
        out.index = out.index.astype(str)
        return out[np.isfinite(out)]


def rank(recs: list[Recommendation], inputs: StakeInputs) -> tuple[list[Recommendation], pd.Series]:
    """Rank ``recs`` by value at stake, giving each customer to one recommendation only.

    Returns the ranked recommendations (``rank``, ``customers``, ``value_at_stake``, ``basis``
    set) and a Series customer_id -> rule id of the customers each one targets.
    """
    stake = inputs.stake()
    stake = stake[~stake.index.duplicated(keep="last")]  # as a dict of it would keep
    ids = {r.rule: _distinct_text(inputs.members.get(r.target, pd.Index([]))) for r in recs}
    # every targeted customer once, as a position: value and "taken" are arrays over positions
    universe = pd.Index(np.concatenate([np.asarray(i, dtype=object) for i in ids.values()])
                        if ids else np.empty(0, dtype=object)).unique()
    value = stake.reindex(universe).fillna(0.0).to_numpy(dtype=float)
    groups = {rule: universe.get_indexer(i) for rule, i in ids.items()}
    taken = np.zeros(universe.size, dtype=bool)
    assigned_ids: list[np.ndarray] = []
    assigned_rules: list[str] = []
    pending = list(recs)
    ranked: list[Recommendation] = []
    while pending:
        free = {r.rule: groups[r.rule][~taken[groups[r.rule]]] for r in pending}
        # each group's value summed in its customers' order, one after the other (np.cumsum is
        # sequential), as the sum over a list of them was
        values = {rule: float(np.cumsum(value[pos])[-1]) if pos.size else 0.0 for rule, pos in free.items()}
        # most value first; ties: more customers, then the rule file's (documents') order
        best = max(pending, key=lambda r: (values[r.rule], free[r.rule].size, -recs.index(r)))
        mine = free[best.rule]
        if best.size is None and best.target in inputs.members:
            best.size = float(groups[best.rule].size)
        if best.spend is None and inputs.spend is not None and best.target in inputs.members:
            best.spend = float(inputs.spend.reindex(ids[best.rule]).fillna(0.0).sum())
        best.value_at_stake = values[best.rule]
        best.customers = float(mine.size)
        best.basis = inputs.basis
        best.rank = len(ranked) + 1
        assigned_ids.append(np.asarray(universe[mine], dtype=object))
        assigned_rules.extend([best.rule] * mine.size)
        taken[mine] = True
        ranked.append(best)
        pending.remove(best)
    index = np.concatenate(assigned_ids) if assigned_ids else np.empty(0, dtype=object)
    return ranked, pd.Series(pd.array(assigned_rules, dtype="string"), index=pd.Index(index, dtype=object),
                             name="target_of")


def _distinct_text(members: Any) -> pd.Index:
    """The distinct member ids as text, in their order (the target lists are already that)."""
    idx = pd.Index(members).unique()
    if idx.dtype != object or pd.api.types.infer_dtype(idx, skipna=False) not in ("string", "empty"):
        idx = pd.Index([str(c) for c in idx], dtype=object).unique()
    return idx


def target_table(assigned: pd.Series, inputs: StakeInputs, recs: list[Recommendation],
                 extra: Mapping[str, pd.Series] | None = None) -> pd.DataFrame:
    """One row per targeted customer: ids ready for a CRM import.

    Columns: customer_id, rank, recommendation (rule id), strategy (id), clv, churn_probability,
    excess_churn, value_at_stake, spend, plus ``extra`` columns (e.g. rfm segment id).
    """
    by_rule = {r.rule: r for r in recs}
    frame = pd.DataFrame({"customer_id": assigned.index.astype(str), "recommendation": assigned.to_numpy()})
    frame["rank"] = frame.recommendation.map(lambda r: by_rule[r].rank).astype("Int64")
    frame["strategy"] = frame.recommendation.map(lambda r: by_rule[r].strategy)
    idx = frame.customer_id
    if inputs.clv is not None:
        frame["clv"] = inputs.clv.reindex(idx).to_numpy()
    if inputs.churn_probability is not None:
        p = inputs.churn_probability.reindex(idx).to_numpy()
        frame["churn_probability"] = p
        frame["excess_churn"] = np.clip(p - inputs.base(), 0.0, None)
    frame["value_at_stake"] = inputs.stake().reindex(idx).fillna(0.0).to_numpy()
    if inputs.spend is not None:
        frame["spend"] = inputs.spend.reindex(idx).fillna(0.0).to_numpy()
    for name, col in (extra or {}).items():
        frame[name] = col.reindex(idx).to_numpy()
    return frame.sort_values(["rank", "value_at_stake", "customer_id"],
                             ascending=[True, False, True]).reset_index(drop=True)
