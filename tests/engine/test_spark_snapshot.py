"""The contracts section on a customer snapshot (IBM's Telco excerpt) gives on Spark what it
gives on DuckDB: the counts grouped in the engine, the fits on them and the customer scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls

pytestmark = [pytest.mark.spark, pytest.mark.slow]

TELCO = Path(__file__).parents[1] / "data" / "real" / "telco" / "Telco-Customer-Churn_excerpt.csv"


def _run(**kw) -> tuple[dict, pd.DataFrame]:
    an = ls.analyze(ls.load(TELCO, now=pd.Timestamp("2025-01-01"), **kw), sections=("contracts",))
    section = next(s for s in an.sections if s.id == "contracts")
    return section.data, an.customers.set_index("customer_id").sort_index()


def test_snapshot_on_spark_equals_duckdb(spark_con) -> None:
    spark, spark_scores = _run(con=spark_con)
    duck, duck_scores = _run()
    assert spark["snapshot"]["customers"] == duck["snapshot"]["customers"] == 311
    pd.testing.assert_frame_equal(pd.DataFrame(spark["snapshot"]["by_plan"]), pd.DataFrame(duck["snapshot"]["by_plan"]),
                                  check_exact=False, rtol=1e-12)
    assert spark["snapshot"]["plan_models"] == duck["snapshot"]["plan_models"] or \
        pd.DataFrame(spark["snapshot"]["plan_models"]).drop(columns="params").equals(
            pd.DataFrame(duck["snapshot"]["plan_models"]).drop(columns="params"))
    assert spark["params"] == pytest.approx(duck["params"], rel=1e-9)
    pd.testing.assert_frame_equal(spark_scores, duck_scores, check_exact=False, rtol=1e-9)
