"""The contracts section on a snapshot of customers (tenure + churn flag, no dates), checked on IBM's
Telco sample against pandas and an independent fit of the left-truncated likelihood, and on a
simulated steady business against its truth.

Before: the Telco snapshot gave an empty report (every section skipped; tenure, Churn,
MonthlyCharges and Contract read and not used).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import loyalscope as ls

TELCO = Path(__file__).parents[1] / "data" / "real" / "telco" / "Telco-Customer-Churn_excerpt.csv"


def _contracts(src) -> ls.results.Section:
    an = ls.analyze(ls.load(src, now=pd.Timestamp("2025-01-01")), sections=("contracts",))
    return next(s for s in an.sections if s.id == "contracts")


def _wilson(k: float, n: float) -> tuple[float, float]:
    z = stats.norm.ppf(0.975)
    p = k / n
    mid, half = (p + z * z / (2 * n)), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (mid - half) / (1 + z * z / n), (mid + half) / (1 + z * z / n)


def _hazard_fit(tenure: np.ndarray, churned: np.ndarray) -> tuple[float, float]:
    """The customers at tenure t >= 1 leave with probability alpha / (alpha + beta + t - 1)."""
    def nll(lp: np.ndarray) -> float:
        a, b = np.exp(lp)
        h = a / (a + b + tenure - 1)
        return -float((churned * np.log(h) + (1 - churned) * np.log1p(-h)).sum())
    res = optimize.minimize(nll, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12})
    a, b = np.exp(res.x)
    return float(a), float(b)


@pytest.fixture(scope="module")
def telco() -> tuple[ls.results.Section, pd.DataFrame]:
    return _contracts(TELCO), pd.read_csv(TELCO)


def test_telco_counts_equal_pandas(telco) -> None:
    section, raw = telco
    snap = section.data["snapshot"]
    left = raw.Churn.eq("Yes")
    assert snap["customers"] == len(raw) == 311 and snap["churned"] == int(left.sum())
    share = next(b for b in section.blocks if isinstance(b, ls.results.Number))
    assert share.value == pytest.approx(left.mean()) and share.denominator == len(raw)
    assert share.interval == pytest.approx(_wilson(left.sum(), len(raw)), rel=1e-9)
    by_plan = pd.DataFrame(snap["by_plan"]).set_index("plan")
    want = raw.assign(left=left).groupby("Contract").left.agg(["size", "sum"])
    assert by_plan.customers.to_dict() == want["size"].to_dict()
    assert by_plan.churned.to_dict() == want["sum"].to_dict()
    for _, row in by_plan.iterrows():
        assert (row.lower_95, row.upper_95) == pytest.approx(_wilson(row.churned, row.customers), rel=1e-9)
    intro = section.blocks[0]
    assert intro.key == "sbg.section.snapshot_intro" and intro.kw["left_out"] == str(int((raw.tenure < 1).sum()))


def test_telco_fit_is_the_independent_left_truncated_fit(telco) -> None:
    section, raw = telco
    rows = raw[raw.tenure >= 1]
    a, b = _hazard_fit(rows.tenure.to_numpy(float), rows.Churn.eq("Yes").to_numpy(float))
    assert section.data["params"]["alpha"] == pytest.approx(a, rel=1e-5)
    assert section.data["params"]["beta"] == pytest.approx(b, rel=1e-5)
    assert section.data["customers"] == len(rows) and section.data["status"]["status"] == "ok"


def test_a_simulated_snapshot_recovers_its_truth() -> None:
    """Four years of a steady business, 60 customers joining a month with monthly churn
    probabilities ~ Beta(0.7, 3): the 95% intervals hold the truth."""
    rng = np.random.default_rng(11)
    tenure, left = [], []
    for age in range(1, 49):
        leave = rng.geometric(rng.beta(0.7, 3.0, 60))
        here = leave >= age
        tenure += [age] * int(here.sum())
        left += list(np.where(leave[here] == age, "是", "否"))
    frame = pd.DataFrame({"客户编号": [f"c{i}" for i in range(len(tenure))], "在网时长": tenure, "是否流失": left})
    section = _contracts({"customers": frame})
    table = next(b for b in section.blocks if isinstance(b, ls.results.Table) and b.title == "sbg.section.parameters")
    s = table.frame.set_index("param")
    assert s.lower_95["alpha"] < 0.7 < s.upper_95["alpha"] and s.lower_95["beta"] < 3.0 < s.upper_95["beta"]
