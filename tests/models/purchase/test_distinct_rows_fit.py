"""Fits and predictions on distinct (x, t_x, T) rows with counts (the value section's compressed
sufficient statistics) against the same on one row per customer, and the weighted holdout
selection against the per-customer one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.models.numerics.grouping import distinct_customer_rows
from loyalscope.models.purchase.bgnbd import BGNBD
from loyalscope.models.purchase.clv import discounted_purchases
from loyalscope.models.purchase.pareto_nbd import ParetoNBD
from loyalscope.models.purchase.selection import select_model


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    """30,000 customers drawn from a BG/NBD process over 104 weeks, durations in whole days
    (so many customers share an (x, t_x, T) row), with holdout purchases."""
    truth = BGNBD()
    truth.params_ = {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5}
    rng = np.random.default_rng(3)
    ages = np.round(rng.uniform(1.0, 104.0, 30_000) * 7.0) / 7.0
    sim = truth.simulate(ages, t_holdout=26.0, seed=4)
    return pd.DataFrame({"x": sim.frequency.to_numpy(float), "tx": np.minimum(np.round(sim.recency.to_numpy(float) * 7.0) / 7.0, ages),
                         "T": ages, "xh": sim.frequency_holdout.to_numpy(float)})


def test_distinct_rows_count_the_customers(customers):
    rows = distinct_customer_rows(customers.x, customers.tx, customers["T"])
    expected = customers.groupby(["x", "tx", "T"]).size()
    got = pd.Series(rows.counts, index=pd.MultiIndex.from_arrays(rows.xtT, names=["x", "tx", "T"])).sort_index()
    pd.testing.assert_series_equal(got, expected.astype(float), check_names=False)
    for k, col in enumerate(("x", "tx", "T")):
        np.testing.assert_array_equal(rows.columns[k][rows.inverse], customers[col].to_numpy())
    assert rows.size < 0.8 * len(customers)  # customers share rows: the compression the section relies on


@pytest.mark.parametrize("model", [BGNBD, ParetoNBD])
def test_weighted_fit_on_distinct_rows_is_the_fit_on_every_customer(customers, model):
    """The same parameters, log-likelihood and standard errors to the last bit (rows in order of
    first appearance group as the customers do); and the log-likelihood is the per-customer
    sum computed here independently from ``loglik_individual``."""
    rows = distinct_customer_rows(customers.x, customers.tx, customers["T"])
    every = model().fit(customers.x, customers.tx, customers["T"])
    weighted = model().fit(*rows.xtT, weights=rows.counts)
    assert weighted.params_ == every.params_
    assert weighted.loglik_ == every.loglik_ and weighted.se_ == every.se_
    per_customer = every.loglik_individual(customers.x, customers.tx, customers["T"]).sum()
    assert weighted.loglik_ == pytest.approx(per_customer, rel=1e-10)
    for method in ("p_alive",):
        np.testing.assert_array_equal(getattr(weighted, method)(*rows.xtT)[rows.inverse],
                                      getattr(every, method)(customers.x, customers.tx, customers["T"]))
    np.testing.assert_array_equal(weighted.predict_purchases(13.0, *rows.xtT)[rows.inverse],
                                  every.predict_purchases(13.0, customers.x, customers.tx, customers["T"]))


def test_discounted_purchases_gathered_equal_the_loop_on_every_customer(customers):
    rows = distinct_customer_rows(customers.x, customers.tx, customers["T"])
    model = BGNBD().fit(*rows.xtT, weights=rows.counts)
    got = discounted_purchases(model, *rows.xtT, horizon=52.0, time_unit="week", annual_discount_rate=0.1)[rows.inverse]
    # independently: the discount sum of the module doc on every customer, 12 monthly steps
    x, tx, T = (customers[c].to_numpy() for c in ("x", "tx", "T"))
    expected, previous = np.zeros(len(customers)), np.zeros(len(customers))
    for k in range(1, 13):
        t_k = 52.0 * k / 12
        cumulative = model.predict_purchases(t_k, x, tx, T)
        expected += (cumulative - previous) / 1.1 ** (t_k * 7.0 / 365.25)
        previous = cumulative
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


def test_selection_on_distinct_rows_equals_the_per_customer_selection(customers):
    """Holdout errors per customer from each row's prediction: the same table, rule and p-value;
    the holdout RMSE also equals a pandas computation of the per-customer errors."""
    rows = distinct_customer_rows(customers.x, customers.tx, customers["T"])
    kw = {"holdout_frequency": customers.xh, "holdout_duration": 26.0, "candidates": ["bgnbd", "pareto_nbd"]}
    every = select_model(customers.x, customers.tx, customers["T"], **kw)
    weighted = select_model(*rows.xtT, weights=rows.counts, inverse=rows.inverse, **kw)
    pd.testing.assert_frame_equal(weighted.table, every.table)
    assert (weighted.rule, weighted.chosen, weighted.p_value) == (every.rule, every.chosen, every.p_value)
    pred = every.fitted["bgnbd"].predict_purchases(26.0, customers.x, customers.tx, customers["T"])
    np.testing.assert_array_equal(weighted.predictions["bgnbd"][rows.inverse], pred)
    rmse = float(np.sqrt(((pd.Series(pred) - customers.xh) ** 2).mean()))
    assert weighted.table.set_index("model").holdout_rmse["bgnbd"] == pytest.approx(rmse, rel=1e-12)
    with pytest.raises(ValueError, match="inverse"):
        select_model(*rows.xtT, weights=rows.counts, **kw)
