"""The executive summary: 3-5 findings chosen by the ranking rules, each tested against the
numbers it quotes (recomputed from the raw frames with pandas where the spec allows it)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalscope.i18n import t
from loyalscope.report.format import render_kw
from loyalscope.results import Number, Text
from loyalscope.sections import _findings as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "metrics"))
import reference  # the metric suite's independent pandas computations

# metrics whose reference computation does not depend on the inactivity window
INDEPENDENT = ("repeat_purchase_rate", "repurchase_rate", "return_rate", "complaints_per_1000_orders")


@pytest.fixture(scope="module")
def findings(demo) -> list[dict]:
    return demo.analysis.section("summary").data["findings"]


def test_three_to_five_findings_ranked_by_money_and_evidence(findings) -> None:
    assert 3 <= len(findings) <= 5
    assert all(abs(f["z"]) >= F.Z_NORMAL for f in findings)
    priorities = [((f["money"] or 0) * min(abs(f["z"]), F.Z_CAP) / F.Z_NORMAL, abs(f["z"])) for f in findings]
    assert priorities == sorted(priorities, reverse=True)
    assert len({f["subject"] for f in findings}) == len(findings)


def test_change_findings_quote_the_numbers_of_the_data(demo, findings) -> None:
    grain = demo.analysis.config.analysis.period
    for f in (f for f in findings if f["comparison"] in ("previous_period", "last_year")):
        now, before = f["numerator"] / f["denominator"], f["reference_numerator"] / f["reference_denominator"]
        assert f["value"] == pytest.approx(now) and f["reference"] == pytest.approx(before)
        assert f["change"] == pytest.approx(now - before)
        p = (f["numerator"] + f["reference_numerator"]) / (f["denominator"] + f["reference_denominator"])
        se = np.sqrt(p * (1 - p) * (1 / f["denominator"] + 1 / f["reference_denominator"]))
        assert f["z"] == pytest.approx((now - before) / se)
        if f["metric"] in INDEPENDENT:
            ref = getattr(reference, f["metric"])(demo.frames, grain)
            ref = ref.set_index(ref.period.astype(str))
            for period, num, den in ((f["period"], f["numerator"], f["denominator"]),
                                     (f["reference_period"], f["reference_numerator"], f["reference_denominator"])):
                assert ref.loc[period, "numerator"] == pytest.approx(num)
                assert ref.loc[period, "denominator"] == pytest.approx(den)


def test_competitor_findings_recomputed_from_the_answers(demo, findings) -> None:
    sv = demo.frames["surveys"]
    for f in (f for f in findings if f["comparison"] == "competitor"):
        pair = sv[[f"dim_{f['dimension']}", f"comp_{f['competitor']}_{f['dimension']}"]].dropna()
        assert f["n"] == len(pair)
        assert f["value"] == pytest.approx(pair.iloc[:, 0].mean())
        assert f["reference"] == pytest.approx(pair.iloc[:, 1].mean())


def test_action_findings_recomputed_from_the_scored_customers(demo, findings) -> None:
    cu = pd.read_parquet(demo.out / "customers.parquet")
    base = demo.analysis.section("strategy").data["base_rate"]
    for f in (f for f in findings if f["comparison"] == "base_rate"):
        mine = cu[cu.target_of == f["rule"]]
        stake = mine.clv / mine.p_alive.clip(lower=1e-3) * (mine.churn_probability - base).clip(lower=0)
        assert f["customers"] == len(mine)
        assert f["value"] == pytest.approx(stake.sum(), rel=1e-9)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sentences_carry_their_numbers_and_a_link(demo, findings, lang: str) -> None:
    texts = [b for b in demo.analysis.section("summary").blocks if isinstance(b, Text) and b.style == "finding"]
    assert len(texts) == len(findings)
    for block, f in zip(texts, findings, strict=True):
        sentence = t(block.key, lang, **render_kw(block.kw, lang))
        assert block.link == f["section"]
        if f["unit"] == "percent" and f["comparison"] in ("previous_period", "last_year"):
            assert f"{f['value'] * 100:.1f}%" in sentence and f"{f['reference'] * 100:.1f}%" in sentence
            assert f"{abs(f['change']) * 100:.1f}" in sentence
        if f["comparison"] == "base_rate":
            assert f"{f['value']:,.0f}" in sentence and f"{int(f['customers']):,}" in sentence
        if f["comparison"] == "competitor":
            assert f"{abs(f['change']):.2f}" in sentence and str(f["competitor"]) in sentence


def _finding(subject: str, z: float, money: float | None) -> F.Finding:
    return F.Finding(id=subject, subject=subject, section="behaviour", key="summary.finding.change", kw={},
                     value=0.5, unit="percent", comparison="previous_period", reference=0.4, change=0.1,
                     z=z, money=money, n=100.0)


def test_ranking_rules() -> None:
    picked = F.select([
        _finding("a", 1.5, 1e6),      # within chance: never quoted, whatever the money
        _finding("b", 3.0, 1_000.0),
        _finding("c", 10.0, 500.0),   # z capped at 6: 500 x 6 / 1.96 > 1,000 x 3 / 1.96
        _finding("d", 2.5, None),     # no money: after the findings with money
        _finding("b", 8.0, 10.0),     # same subject as a stronger finding
        _finding("e", 4.0, 2_000.0),
    ])
    assert [f.subject for f in picked] == ["e", "c", "b", "d"]


def test_flagged_numbers_are_not_quoted() -> None:
    ok = Number("x", 0.5, "percent", denominator=400)
    partial = Number("x", 0.5, "percent", denominator=400, flags=["partial_period"])
    small = Number("x", 0.5, "percent", denominator=12)
    cands = [_finding("m1", 5.0, 100.0), _finding("m2", 5.0, 90.0), _finding("m3", 5.0, 80.0)]
    picked = F.select(cands, {"m1": ok, "m2": partial, "m3": small})
    assert [f.subject for f in picked] == ["m1"]
