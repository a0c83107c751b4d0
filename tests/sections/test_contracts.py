"""Section "contracts": sBG from a real Dataset's contracts table, against Fader & Hardie (2007)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.i18n import t
from loyalscope.sections import ORDER
from loyalscope.sections.context import SectionContext
from loyalscope.sections.contracts import build, period_discount_rate

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]  # FH 2007: alpha 0.704, beta 1.182, LL -1680.27


def fh_contracts(survivors=REGULAR, first_year=2010, fee=100.0) -> pd.DataFrame:
    """One yearly contract term per row; customers churning after t years hold t terms, the last
    not renewed; survivors hold one more term, still running on 1 January after the last year."""
    n = np.asarray(survivors)
    years = np.concatenate([np.repeat(np.arange(1, n.size), -np.diff(n)), np.full(n[-1], n.size)])
    rows = [(f"c{i}", f"{first_year + j}-01-01", f"{first_year + j}-12-31", j < terms - 1 or terms == n.size)
            for i, terms in enumerate(years) for j in range(terms)]
    frame = pd.DataFrame(rows, columns=["customer_id", "start_date", "end_date", "renewed"])
    frame["start_date"], frame["end_date"] = pd.to_datetime(frame.start_date), pd.to_datetime(frame.end_date)
    frame["fee"] = fee
    return frame


def _dataset(frame, as_of="2017-06-30"):
    from loyalscope.data.dataset import Dataset

    config = AnalysisConfig.model_validate({"analysis": {"analysis_date": as_of}})
    return Dataset.from_frames({"contracts": frame}, config=config), SectionContext(config=config)


def test_section_reproduces_the_published_fit_from_a_contracts_table():
    ds, ctx = _dataset(fh_contracts())
    section = build(ds, ctx)
    assert section.data["params"]["alpha"] == pytest.approx(0.704, abs=5e-4)
    assert section.data["params"]["beta"] == pytest.approx(1.182, abs=5e-4)
    assert section.data["loglik"] == pytest.approx(-1680.27, abs=0.01)
    assert section.data["customers"] == 1000 and section.data["churned"] == 759
    life = ctx.results["contracts"]["life_table"]
    np.testing.assert_allclose(life.survival, np.array(REGULAR[1:]) / 1000)  # one cohort: survivor shares
    charts = [b for b in section.blocks if type(b).__name__ == "Chart"]
    survival = charts[1].frame
    assert survival.observed.iloc[:8].tolist() == pytest.approx(np.array(REGULAR) / 1000)
    assert survival.observed.iloc[8:].isna().all() and survival.fitted.notna().all()


def test_derl_equals_a_direct_discounted_sum():
    ds, ctx = _dataset(fh_contracts())
    section = build(ds, ctx)
    al, be = section.data["params"]["alpha"], section.data["params"]["beta"]
    d = period_discount_rate(AnalysisConfig().value.annual_discount_rate, 364.0)
    assert section.data["period_discount_rate"] == pytest.approx(d)
    # S(t) by the retention recursion S(t) = S(t-1) (beta+t-1)/(alpha+beta+t-1), summed directly
    t = np.arange(1, 5001)
    s = np.concatenate([[1.0], np.cumprod((be + t - 1) / (al + be + t - 1))])
    for n in (0, 3, 10):
        direct = sum(s[k] / s[n] / (1 + d) ** (k - n - 1) for k in range(n + 1, 5001))
        assert section.data["derl"][n] == pytest.approx(direct, rel=1e-9)


def test_two_cohorts_with_different_censoring():
    """A later cohort is censored earlier; durations pool both (no invented churn)."""
    late = fh_contracts([1000, 869, 743, 653, 593, 551], first_year=2012)  # high-end cohort, 5 years
    late["customer_id"] = "h" + late.customer_id
    ds, ctx = _dataset(pd.concat([fh_contracts(), late], ignore_index=True))
    section = build(ds, ctx)
    assert section.data["customers"] == 2000
    assert section.data["churned"] == 759 + 1000 - 551
    life = ctx.results["contracts"]["life_table"]
    # survivors at the start of each period, both cohorts while the later one is observed
    assert life.at_risk.tolist()[:6] == [1000 + 1000, 631 + 869, 468 + 743, 382 + 653, 326 + 593, 289]


def test_too_few_contracts_are_not_estimable_with_the_reason():
    ds, ctx = _dataset(fh_contracts([10, 8, 7]))
    section = build(ds, ctx)
    assert section.data["status"]["status"] == "not_estimable"
    assert [i["code"] for i in section.data["status"]["issues"]] == ["too_few_customers", "too_few_churned"]
    assert "params" not in section.data and not any(type(b).__name__ == "Number" for b in section.blocks)
    assert ctx.results["contracts"]["model"] is None


def test_one_renewal_period_is_not_estimable():
    """Two years of yearly contracts (the demo): before, alpha with SE 4,094, CI [-8,024, 8,026]
    and "rises from 63.1% in period 1 to 63.1% in period 1"."""
    ds, ctx = _dataset(fh_contracts([1000, 631]), as_of="2011-06-30")
    section = build(ds, ctx)
    assert section.data["status"]["status"] == "not_estimable"
    assert "one_renewal_period" in {i["code"] for i in section.data["status"]["issues"]}
    keys = [b.key for b in section.blocks if type(b).__name__ == "Text"]
    assert "sbg.section.finding" not in keys and "models.issue.one_renewal_period" in keys
    assert not any(type(b).__name__ in ("Number", "Table") for b in section.blocks)
    observed = next(b for b in section.blocks if type(b).__name__ == "Chart")
    assert observed.frame.retention.tolist() == pytest.approx([0.631])


def test_registered_after_value_with_both_languages():
    assert ORDER.index("contracts") == ORDER.index("value") + 1
    assert t("report.section.contracts", "en") != t("report.section.contracts", "zh_CN")


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_report_renders_the_section(lang):
    from loyalscope.analysis import analyze
    from loyalscope.report.html import render_html

    ds, _ = _dataset(fh_contracts())
    result = analyze(ds, sections=("contracts",))
    html = render_html(result, lang)
    assert t("report.section.contracts", lang) in html
    assert t("sbg.section.derl_table", lang) in html and "sbg.section." not in html


@pytest.mark.slow
def test_sbg_on_the_two_year_demo_is_not_estimable():
    """The 2-year demo company (``loyalscope demo``): yearly terms, one renewal observed."""
    from loyalscope.data.dataset import Dataset
    from loyalscope.data.simulate import simulate

    company = simulate(customers=3000, days=730, seed=0)
    ds = Dataset.from_frames({k: company.tables[k] for k in ("contracts", "transactions")})
    section = build(ds, SectionContext(config=AnalysisConfig()))
    assert section.data["status"]["status"] == "not_estimable"
    assert "one_renewal_period" in {i["code"] for i in section.data["status"]["issues"]}


@pytest.mark.slow
def test_sbg_on_five_years_of_the_demo_company_is_estimable_with_the_truth_inside_the_ci():
    """The demo company (3,000 customers, seed 0) observed for 5 years instead of 2."""
    from loyalscope.data.dataset import Dataset
    from loyalscope.data.simulate import simulate
    from loyalscope.data.simulate_extras import SBG

    company = simulate(customers=3000, days=1825, seed=0)
    ds = Dataset.from_frames({k: company.tables[k] for k in ("contracts", "transactions")})
    ctx = SectionContext(config=AnalysisConfig())
    section = build(ds, ctx)
    assert section.data["status"]["status"] == "ok" and section.data["periods"] >= 3
    table = next(b for b in section.blocks if type(b).__name__ == "Table" and b.title == "sbg.section.parameters")
    shown = table.frame.set_index("param")
    for name in ("alpha", "beta"):
        assert shown.lower_95[name] < SBG[name] < shown.upper_95[name]


@pytest.mark.slow
def test_simulated_company_recovers_the_true_sbg_parameters():
    """The simulator's contracts follow sBG(0.7, 1.3) with yearly terms; terms still running at
    the window end have renewed = NA and a capped end date, which must count as censored."""
    from loyalscope.data.dataset import Dataset
    from loyalscope.data.simulate import simulate
    from loyalscope.data.simulate_extras import SBG

    company = simulate(customers=20_000, days=1825, seed=1)
    ds = Dataset.from_frames({k: company.tables[k] for k in ("contracts", "transactions")})
    ctx = SectionContext(config=AnalysisConfig())
    section = build(ds, ctx)
    model = ctx.results["contracts"]["model"]
    assert section.data["status"]["status"] == "ok"
    summary = model.summary().set_index("param")
    for name in ("alpha", "beta"):  # the truth inside the 95% interval the section shows
        assert summary.lower_95[name] < SBG[name] < summary.upper_95[name]
    assert 0 < section.data["churned"] < section.data["customers"]
