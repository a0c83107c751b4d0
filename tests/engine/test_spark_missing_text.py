"""Missing text values survive the trip to Spark (issue 14: missing ``churn_reason`` values
arrived as ``net.razorvine.pickle.objects.ClassDictConstructor@...`` strings, so the churn
reason table had junk categories and the shares were wrong)."""

from __future__ import annotations

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.data.simulate import simulate
from loyalscope.segments.churn_reasons import reason_codes

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_churn_reason_counts_on_spark_match_pandas(spark_con) -> None:
    customers = simulate(customers=400, days=400, seed=2).tables["customers"]
    assert customers["churn_reason"].isna().sum() > 100  # the case that broke
    ds = ls.load({"customers": customers}, con=spark_con)
    back = ds.table("customers").select("customer_id", "churn_reason").to_pandas()
    back = back.set_index("customer_id")["churn_reason"].reindex(customers["customer_id"])
    assert back.isna().to_numpy().tolist() == customers["churn_reason"].isna().tolist()
    assert back.dropna().tolist() == customers["churn_reason"].dropna().tolist()
    got = reason_codes(ds).set_index("churn_reason")["n"].sort_index()
    want = customers["churn_reason"].value_counts().sort_index()
    pd.testing.assert_series_equal(got, want, check_names=False, check_dtype=False,
                                   check_index_type=False)
    share = reason_codes(ds).set_index("churn_reason")["share"]
    assert share.to_dict() == pytest.approx((want / want.sum()).to_dict(), rel=1e-12)
