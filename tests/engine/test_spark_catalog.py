"""``analyze pyspark://``: the tables of the Spark session's catalog are the data; an empty
catalog is a clear error naming where it looked and how to fix it (it used to find nothing and
say nothing useful)."""

from __future__ import annotations

import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.data.simulate import simulate
from loyalscope.errors import SchemaError

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_tables_in_the_spark_catalog_are_read(spark_con) -> None:
    session = spark_con._session
    tx = simulate(customers=60, days=200, seed=4).tables["transactions"]
    session.sql("CREATE DATABASE IF NOT EXISTS ls_catalog_test")
    session.createDataFrame(tx.astype({"order_ts": "datetime64[us]"})).write.mode("overwrite") \
        .saveAsTable("ls_catalog_test.transactions")
    try:
        ds = ls.load("pyspark://ls_catalog_test", config=AnalysisConfig())
        got = ds.table("transactions").to_pandas()
        assert len(got) == len(tx)
        assert sorted(got["order_id"]) == sorted(tx["order_id"])
        assert got["amount"].sum() == pytest.approx(tx["amount"].sum(), rel=1e-12)
    finally:
        session.sql("DROP DATABASE IF EXISTS ls_catalog_test CASCADE")


def test_empty_catalog_says_where_it_looked(spark_con) -> None:
    session = spark_con._session
    session.sql("CREATE DATABASE IF NOT EXISTS ls_empty_test")
    try:
        with pytest.raises(SchemaError) as err:
            ls.load("pyspark://ls_empty_test", config=AnalysisConfig())
        assert "ls_empty_test" in err.value.message
        assert "--engine spark" in (err.value.fix or "")
    finally:
        session.sql("DROP DATABASE IF EXISTS ls_empty_test CASCADE")
