"""A churn model no better than chance out of time is said to be so, and ranks nobody.

Found on a real export (Tableau's Sample - Superstore: out-of-time AUC 0.47, 95% interval
0.39-0.54, 780 customers): the section showed risk tiers, a "high-risk lift" of 2.19, an
expected churn rate of 12.4% beside a base rate of 7.9%, and scored every customer.

Here every customer buys as a Poisson process of one rate (one order per 45 days on average):
whether a customer orders in the next window does not depend on the past, so no model can
tell churners from the others.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import loyalscope as ls
from loyalscope.report.html import render_html
from loyalscope.results import Table, Text


def _memoryless_shop(folder: Path) -> None:
    rng = np.random.default_rng(3)
    start, days, rows = pd.Timestamp("2022-01-01"), 3 * 365, []
    for c in range(800):
        for i, d in enumerate(np.sort(rng.uniform(0, days, rng.poisson(days / 45)))):
            rows.append((f"O{c}_{i}", f"C{c:04d}", str(start + pd.Timedelta(days=float(d))),
                         round(float(rng.gamma(2.0, 30.0)), 2)))
    pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "amount"]).to_csv(
        folder / "transactions.csv", index=False)


def test_a_model_no_better_than_chance_is_not_used(tmp_path: Path) -> None:
    _memoryless_shop(tmp_path)
    an = ls.analyze(ls.load(tmp_path, now=pd.Timestamp("2025-01-01")), sections=("segments", "churn", "strategy"))
    churn = next(s for s in an.sections if s.id == "churn")
    lo, hi = churn.data["auc_valid_interval"]
    assert lo <= 0.5 <= hi and lo < churn.data["auc_valid"] < hi
    assert churn.data["risk_model"] == {"not_used": "no_discrimination"}
    warning = next(b for b in churn.blocks if isinstance(b, Text) and b.key.endswith("no_discrimination"))
    assert warning.kw["n"] == churn.data["n_valid"] and warning.style == "warning"
    titles = {b.title for b in churn.blocks if isinstance(b, Table)}
    assert not any(t.endswith(("churn.tiers", "churn.coefficients")) for t in titles)
    assert "high_risk_lift" not in churn.data
    story = next(b for b in churn.blocks if isinstance(b, Table) and b.title.endswith("churn_story.table"))
    assert "churn_probability" not in story.frame.columns  # no risk score in the by-segment story
    assert "churn_probability" not in an.customers.columns  # nobody scored, ranked or targeted on it
    zh, en = render_html(an, "zh"), render_html(an, "en")
    assert "不比随机更好" in zh and "better than chance" in en

