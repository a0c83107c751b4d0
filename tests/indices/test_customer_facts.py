"""The per-customer facts shared by the loyalty-index indicators and the excellent-customer
inputs, against pandas group-bys on the raw frames of a simulated company."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate
from loyalscope.indices.customer_facts import SURVEY_COLUMNS, customer_facts
from loyalscope.indices.excellent_inputs import excellent_inputs
from loyalscope.indices.indicators import loyalty_indicators

AS_OF = date(2024, 11, 1)  # inside the simulated span: later rows must not count
HALF = 90


@pytest.fixture(scope="module")
def company() -> dict[str, pd.DataFrame]:
    return simulate(customers=400, days=500, seed=5).tables


def _before(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    return frame[frame[col] < pd.Timestamp(AS_OF)]


def test_facts_against_pandas(company: dict[str, pd.DataFrame]) -> None:
    got = customer_facts(Dataset.from_frames(company), AS_OF, HALF)
    cut = pd.Timestamp(AS_OF)
    mid, start = cut - pd.Timedelta(days=HALF), cut - pd.Timedelta(days=2 * HALF)
    tx = _before(company["transactions"], "order_ts")
    g = tx.groupby("customer_id")
    ids = sorted(tx.customer_id.unique())
    assert list(got.index) == ids and len(tx) < len(company["transactions"])
    exp = pd.DataFrame({
        "first_ts": g.order_ts.min(), "last_ts": g.order_ts.max(),
        "orders": g.size(),
        "recent": g.order_ts.apply(lambda s: int((s >= mid).sum())),
        "prior": g.order_ts.apply(lambda s: int(((s >= start) & (s < mid)).sum())),
        "revenue": g.amount.sum(), "margin": g.margin.sum(),
        "channels": g.channel.nunique(), "categories": g.category.nunique(),
    }).reindex(ids)
    for c in ("first_ts", "last_ts"):
        assert (got[c].to_numpy() == exp[c].to_numpy()).all(), c
    for c in ("orders", "recent", "prior", "channels", "categories"):
        np.testing.assert_array_equal(got[c].to_numpy(float), exp[c].to_numpy(float), err_msg=c)
    for c in ("revenue", "margin"):
        np.testing.assert_allclose(got[c].to_numpy(float), exp[c].to_numpy(float), rtol=1e-12, err_msg=c)
    assert exp.recent.sum() > 0 and exp.prior.sum() > 0  # both windows hold orders

    sv = _before(company["surveys"], "answered_ts").groupby("customer_id")
    sv_exp = pd.DataFrame({"n_surveys": sv.size(), "recommendation": sv.nps.mean(),
                           **{c: sv[c].apply(lambda s: s.astype(float).mean())
                              for c in SURVEY_COLUMNS}}).reindex(ids)
    assert sv_exp.n_surveys.notna().sum() > 5
    for c in sv_exp.columns:
        np.testing.assert_allclose(got[c].to_numpy(float), sv_exp[c].to_numpy(float),
                                   rtol=1e-12, err_msg=c)
    cp = _before(company["complaints"], "opened_ts").groupby("customer_id").size()
    it = company["interactions"]
    fb = _before(it[it.kind == "feedback"], "ts").groupby("customer_id").size()
    rf = _before(company["referrals"], "referred_ts").groupby("referrer_id").size()
    for col, counts in (("n_complaints", cp), ("n_feedback", fb), ("n_referrals", rf)):
        np.testing.assert_array_equal(got[col].to_numpy(float),
                                      counts.reindex(ids).to_numpy(float), err_msg=col)
        assert got[col].notna().any() and got[col].isna().any()  # customers without any: null


def test_categories_from_order_lines_and_a_customer_without_one() -> None:
    ts = pd.Timestamp
    tx = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
                       "order_ts": [ts("2024-01-02"), ts("2024-02-02"), ts("2024-03-02")],
                       "amount": [10.0, 20.0, 30.0]})
    lines = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3"], "customer_id": ["a", "a", "a", "b"],
                          "order_ts": [ts("2024-01-02"), ts("2024-01-02"), ts("2024-02-02"),
                                       ts("2024-03-02")],
                          "category": ["food", "home", "food", None]})
    got = customer_facts(Dataset.from_frames({"transactions": tx, "order_lines": lines}),
                         date(2024, 6, 1))
    assert got.categories.to_dict() == {"a": 2, "b": 0}
    assert "channels" not in got and "n_surveys" not in got


def test_indicators_and_excellent_inputs_read_one_shared_table(
        company: dict[str, pd.DataFrame]) -> None:
    ds = Dataset.from_frames(company)
    ind = loyalty_indicators(ds, AS_OF, HALF)
    facts = customer_facts(ds, AS_OF, HALF)
    assert customer_facts(ds, AS_OF, HALF) is facts  # computed once per dataset and cut-off
    np.testing.assert_array_equal(ind.A12.to_numpy(), facts.orders.to_numpy(float))
    np.testing.assert_array_equal(ind.A13.to_numpy(), (facts.recent - facts.prior).to_numpy(float))
    days = (facts.last_ts - facts.first_ts).dt.total_seconds().to_numpy() / 86400
    np.testing.assert_allclose(ind.A11.to_numpy(), days)
    inp = excellent_inputs(ds, AS_OF)
    assert inp.index.equals(ind.index)
    np.testing.assert_allclose(inp.revenue_share.sum(), 1.0)
    assert facts.orders.dtype.kind == "i"  # the shared frame was not modified by its readers
