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


def _scores(section_src) -> tuple[ls.results.Section, pd.DataFrame]:
    an = ls.analyze(ls.load(section_src, now=pd.Timestamp("2025-01-01")), sections=("contracts",))
    section = next(s for s in an.sections if s.id == "contracts")
    return section, an.customers.set_index("customer_id")


def test_telco_customer_scores_come_from_their_plans_model() -> None:
    """Month-to-month (167 customers, 74 left) gets its own sBG, equal to the independent fit on
    its rows; one- and two-year plans (1 and 2 leavers, under the minimum of 5 for a model of
    tenure) one churn probability each, (left + 1/2) / (customers + 1), not the pooled fit (which
    gave them 8-11% a month). Every current customer is scored; those who left are not."""
    section, scores = _scores(TELCO)
    raw = pd.read_csv(TELCO).set_index("customerID")
    models = {r["plan"]: r for r in section.data["snapshot"]["plan_models"]}
    assert set(models) == {"Month-to-month", "One year", "Two year"}
    row = models["Month-to-month"]
    assert row["model"] == "sbg.section.models.sbg"
    m2m = raw[(raw.Contract == "Month-to-month") & (raw.tenure >= 1)]
    a, b = _hazard_fit(m2m.tenure.to_numpy(float), m2m.Churn.eq("Yes").to_numpy(float))
    assert row["params"]["alpha"] == pytest.approx(a, rel=1e-5) and row["params"]["beta"] == pytest.approx(b, rel=1e-5)
    fitted = raw[raw.tenure >= 1]
    p = {plan: (g.Churn.eq("Yes").sum() + 0.5) / (len(g) + 1) for plan, g in fitted.groupby("Contract")}
    for plan in ("One year", "Two year"):
        assert models[plan]["model"] == "sbg.section.models.few_leavers"
        assert models[plan]["params"]["p"] == pytest.approx(p[plan], rel=1e-12) and p[plan] < 0.04
    current = raw[raw.Churn.eq("No")]
    assert set(scores.index) == set(current.index)
    s = scores.loc[current.index]
    m2m_now = (current.Contract == "Month-to-month").to_numpy()
    t = current.tenure.to_numpy(float)
    want = np.where(m2m_now, a / (a + b + t), current.Contract.map(p).to_numpy(float))
    np.testing.assert_allclose(s.p_leave_next, want, rtol=1e-5)
    np.testing.assert_allclose(s.residual_value, s.derl.to_numpy() * current.MonthlyCharges.to_numpy(), rtol=1e-12)
    total = next(b for b in section.blocks if isinstance(b, ls.results.Number) and b.label == "sbg.section.residual_value")
    assert total.value == pytest.approx(s.residual_value.sum()) and total.n == len(current)


def test_a_plan_whose_churn_does_not_fall_with_tenure_gets_one_churn_probability() -> None:
    """A plan where everyone leaves with 5% a month whatever their tenure runs the sBG to its
    edge (no heterogeneity); its limit, the geometric model with p = left / customers, is used:
    p_leave_next = p and DERL = (1 - p)(1 + d) / (d + p)."""
    rng = np.random.default_rng(8)
    tenure = rng.integers(1, 61, 3000)
    left = rng.random(3000) < 0.05
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(3000)], "tenure": tenure,
                          "churn": np.where(left, "Yes", "No"), "contract": "Two year",
                          "monthly charges": 50.0})
    section, scores = _scores({"customers": frame})
    [row] = section.data["snapshot"]["plan_models"]
    p = left.sum() / 3000
    assert row["model"] == "sbg.section.models.geometric" and row["params"]["p"] == pytest.approx(p, rel=1e-12)
    d = (1.10) ** (365.25 / 12 / 365.25) - 1  # 10% a year, per month
    np.testing.assert_allclose(scores.p_leave_next, p, rtol=1e-12)
    np.testing.assert_allclose(scores.derl, (1 - p) * (1 + d) / (d + p), rtol=1e-9)


def test_telco_lists_the_current_customers_with_most_fees_at_risk() -> None:
    """Fees at risk over the coming year = fee x the 12 months the customer is expected not to
    pay: for month-to-month customers from the plan's sBG survival S(t+k)/S(t), written here with
    scipy's beta function; for one churn probability p, sum of 1 - (1-p)^k. The list is the top
    20, and month-to-month customers (about 40% a month) lead it, not the two-year ones."""
    from scipy.special import beta as beta_fn

    section, scores = _scores(TELCO)
    raw = pd.read_csv(TELCO).set_index("customerID")
    current = raw[raw.Churn.eq("No")]
    models = {r["plan"]: r["params"] for r in section.data["snapshot"]["plan_models"]}
    k = np.arange(1, 13)
    want = {}
    for cid, row in current.iterrows():
        par = models[row.Contract]
        if "p" in par:
            stay = (1 - par["p"]) ** k
        else:
            a, b, t = par["alpha"], par["beta"], row.tenure
            stay = beta_fn(a, b + t + k) / beta_fn(a, b + t)
        want[cid] = row.MonthlyCharges * (1 - stay).sum()
    want = pd.Series(want)
    np.testing.assert_allclose(scores.fee_at_risk.loc[want.index], want, rtol=1e-8)
    table = next(b for b in section.blocks if isinstance(b, ls.results.Table) and b.title == "sbg.section.at_risk")
    top = want.sort_values(ascending=False)
    assert table.frame.customer_id.tolist() == top.index[:20].tolist()
    assert table.frame.plan.tolist() == raw.loc[table.frame.customer_id].Contract.tolist()
    assert (table.frame.plan == "Month-to-month").all()


def _warned(section: ls.results.Section) -> list[ls.results.Text]:
    return [b for b in section.blocks if isinstance(b, ls.results.Text) and b.key == "sbg.section.tenure_maybe_years"]


def test_a_bank_snapshot_with_tenure_in_years_is_warned_of(telco) -> None:
    """Kaggle's Churn_Modelling (a bank: CustomerId, Tenure 0-10 in years, Exited) maps to a
    snapshot and would be read in months: nothing in the numbers tells the unit, so the section
    says so when no tenure exceeds a year's months, and not once the unit is set (nor on Telco's
    0-72 months)."""
    rng = np.random.default_rng(5)
    n = 800
    frame = pd.DataFrame({"CustomerId": [f"{15600000 + i}" for i in range(n)],
                          "Tenure": rng.integers(0, 11, n), "Exited": rng.binomial(1, 0.2, n)})
    warned = _warned(_contracts({"customers": frame}))
    assert len(warned) == 1 and warned[0].kw["longest"] == frame.Tenure.max() == 10
    years = ls.config.AnalysisConfig.load(None, **{"value.tenure_unit": "year"})
    an = ls.analyze(ls.load({"customers": frame}, config=years, now=pd.Timestamp("2025-01-01")),
                    sections=("contracts",))
    assert not _warned(next(s for s in an.sections if s.id == "contracts"))
    assert not _warned(telco[0])


def test_first_year_churn_counts_the_periods_of_a_year() -> None:
    """The plan table's first-year churn is over the periods of a year of `[value] tenure_unit`
    (it was over twelve whatever the unit: twelve years once tenure is in years)."""
    years = ls.config.AnalysisConfig.load(None, **{"value.tenure_unit": "year"})
    months = ls.config.AnalysisConfig.load(None)
    got = {}
    for name, cfg in (("year", years), ("month", months)):
        an = ls.analyze(ls.load(TELCO, config=cfg, now=pd.Timestamp("2025-01-01")), sections=("contracts",))
        section = next(s for s in an.sections if s.id == "contracts")
        got[name] = pd.DataFrame(section.data["snapshot"]["plan_models"]).set_index("plan")
    assert len(got["year"]) >= 2
    np.testing.assert_allclose(got["year"]["year"], got["year"]["first"], rtol=1e-12)
    geometric = got["month"][got["month"].model != "sbg.section.models.sbg"]
    np.testing.assert_allclose(geometric["year"], 1 - (1 - geometric["first"]) ** 12, rtol=1e-12)
