"""``registry.prefetch``: every split of a metric from one engine query gives the frames
``compute`` gives one column at a time (on DuckDB, Spark and PostgreSQL); and the grouped
tables now read from the shared per-customer-period table (orders, buyers, revenue, order
value, complaint rate) against pandas, for a customers attribute and for a column of the
transactions themselves (the order's channel)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from canonical_frames import make_frames
from reference import bucket

from loyalscope.data.dataset import Dataset
from loyalscope.errors import SchemaError
from loyalscope.metrics import REGISTRY, _base, combined, compute
from loyalscope.metrics.registry import MetricContext, prefetch
from loyalscope.monitoring.catalogue import headline_ids

BYS = ["region", "channel", "tier"]
"""region: a customers attribute; channel: also a column of transactions (orders are split by
their own channel there); tier: a customers attribute with nulls (a null group)."""


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    fr = make_frames(seed=3)
    cust = fr["customers"].copy()
    cust["tier"] = np.where(np.arange(len(cust)) % 4 == 0, None,
                            np.where(np.arange(len(cust)) % 2 == 0, "gold", "silver"))
    cust["age"] = np.arange(len(cust)) % 3 + 20  # an integer column: left to compute()
    surveys = fr["surveys"].copy()
    i = np.arange(len(surveys))
    surveys["nps"], surveys["csat"] = i * 7 % 11, i % 5 + 1
    return {**fr, "customers": cust, "surveys": surveys}


def _metrics(ds: Dataset) -> list[str]:
    return [m for m in headline_ids() if not ds.missing(REGISTRY[m].requires)]


def test_prefetch_gives_the_frames_of_compute_and_memoises_them(make_ds) -> None:
    fetched, alone = make_ds(), make_ds()
    metrics = _metrics(fetched)
    assert len(metrics) >= 30
    seeded = 0
    for mid in metrics:
        prefetch(fetched, mid, "month", BYS)
        for by in BYS:
            key = ("metric", mid, "month", by, None)
            seeded += key in fetched._memo  # memoised by prefetch, before any compute()
            try:
                want = compute(alone, mid, "month", by=by)
            except Exception as exc:  # the same error both ways
                with pytest.raises(type(exc)):
                    compute(fetched, mid, "month", by=by)
                continue
            got = compute(fetched, mid, "month", by=by)
            # float sums (share_of_wallet's) may differ in the last bits between two query plans
            pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=0,
                                          obj=f"{mid} by {by}")
    # every metric whose three splits build and line up comes from one query
    assert seeded >= 3 * (len(metrics) - 5), (seeded, len(metrics))


def test_a_column_that_is_not_text_is_left_to_compute(frames, make_ds) -> None:
    ds = make_ds()
    prefetch(ds, "orders", "month", ["region", "channel", "age"])
    assert ("metric", "orders", "month", "region", None) in ds._memo
    assert ("metric", "orders", "month", "age", None) not in ds._memo
    got = compute(ds, "orders", "month", by="age")
    tx = frames["transactions"].merge(frames["customers"][["customer_id", "age"]])
    ref = tx.groupby([bucket(tx.order_ts, "month").rename("period"), "age"]).size()
    assert got.set_index(["period", "age"]).value.to_dict() == ref.astype(float).to_dict()


def _by_order_channel(frames) -> pd.DataFrame:
    """Per (month, order channel): orders, buyers, revenue and mean order value in pandas."""
    tx = frames["transactions"].copy()
    tx["period"] = bucket(tx.order_ts, "month")
    g = tx.groupby(["period", "channel"])
    return pd.DataFrame({"orders": g.order_id.count().astype(float),
                         "buyers": g.customer_id.nunique().astype(float),
                         "revenue": g.amount.sum(),
                         "order_value": g.amount.sum() / g.order_id.count()})


@pytest.mark.parametrize("metric", ["orders", "buyers", "revenue", "order_value"])
def test_volumes_split_by_the_orders_own_channel_match_pandas(frames, make_ds,
                                                              metric: str) -> None:
    ds = make_ds()
    prefetch(ds, metric, "month", BYS)
    got = compute(ds, metric, "month", by="channel").set_index(["period", "channel"]).value
    ref = _by_order_channel(frames)[metric]
    assert sorted(got.index) == sorted(ref.index)
    np.testing.assert_allclose(got.sort_index(), ref.sort_index(), rtol=1e-12)


@pytest.mark.parametrize("by", ["tier", "channel"])
def test_complaint_rate_by_a_customers_attribute_matches_pandas(frames, make_ds,
                                                                by: str) -> None:
    ds = make_ds()
    prefetch(ds, "complaint_rate", "month", BYS)
    got = compute(ds, "complaint_rate", "month", by=by)
    # complaint_rate's orders carry the order channel; customers' own column otherwise
    tx = frames["transactions"].copy()
    if by == "tier":
        tx = tx.merge(frames["customers"][["customer_id", by]], how="left")
    tx["period"] = bucket(tx.order_ts, "month")
    act = tx[["period", by, "customer_id"]].drop_duplicates()
    cp = frames["complaints"].copy()
    cp["period"] = bucket(cp.opened_ts, "month")
    cp = cp[["period", "customer_id"]].drop_duplicates().assign(k=1)
    j = act.merge(cp, on=["period", "customer_id"], how="left")
    ref = j.groupby(["period", by], dropna=False).agg(numerator=("k", "count"),
                                                       denominator=("customer_id", "count"))
    got = got.assign(**{by: got[by].fillna("<na>")}).set_index(["period", by])
    ref = ref.reset_index().assign(**{by: lambda f: f[by].fillna("<na>")}).set_index(
        ["period", by])
    assert sorted(got.index) == sorted(ref.index)
    for col in ("numerator", "denominator"):
        assert got[col].sort_index().tolist() == ref[col].astype(float).sort_index().tolist()


@pytest.mark.parametrize("metric", ["orders", "buyers", "order_value", "purchase_frequency",
                                    "repurchase_rate", "churn_rate", "complaint_rate",
                                    "return_rate"])
def test_prefetch_agrees_on_other_engines(make_ds, other_engine, metric: str) -> None:
    duck = make_ds()
    prefetch(other_engine, metric, "month", BYS)
    for by in BYS:
        a = compute(other_engine, metric, "month", by=by)
        b = compute(duck, metric, "month", by=by)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                      check_exact=False, rtol=1e-12, check_dtype=False,
                                      obj=f"{metric} by {by}")


def test_retention_splits_come_from_the_one_pass_on_every_engine(make_ds, other_engine) -> None:
    """The activity facts split by every column in one query (activity.prefetch_counts) run
    on Spark and PostgreSQL too (not a silent fallback to one pass per column), and give the
    DuckDB counts."""
    from loyalscope.metrics.activity import activity_counts
    from loyalscope.metrics.registry import MetricContext
    from loyalscope.metrics.window import inactivity_days

    duck = make_ds()
    prefetch(other_engine, "retention_rate_std", "month", BYS)
    w, end = inactivity_days(other_engine), other_engine.analysis_date
    for by in BYS:
        assert ("activity_counts", "month", None, by, w, end) in other_engine._memo, by
        a, b = (activity_counts(d, MetricContext(period="month", by=by))
                .sort_values(["period", by], na_position="first", kind="stable")
                .reset_index(drop=True) for d in (other_engine, duck))
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=by)


# ---- several customer columns from one query (metrics.combined) ------------------------------
ADDITIVE = ["purchase_frequency", "repeat_purchase_rate", "repurchase_rate", "complaint_rate",
            "return_rate", "nps", "csat_top2"]


def test_the_additive_metrics_are_the_ones_flagged() -> None:
    assert sorted(m for m, r in REGISTRY.items() if r.additive) == sorted(
        [*ADDITIVE, "mention_rate"])


@pytest.mark.parametrize("metric", ADDITIVE)
def test_a_split_added_up_from_the_combined_query_equals_the_split_alone(make_ds,
                                                                          metric: str) -> None:
    fetched, alone = make_ds(), make_ds()
    # channel is a column of the orders (and complaints): there each row is in its own
    # channel's group, not a customer attribute, so it is split on its own; the surveys have
    # no channel: the survey metrics take the customer's
    cols = BYS if metric in ("nps", "csat_top2") else ["region", "tier"]
    assert combined.prefetch(fetched, REGISTRY[metric], "month", BYS) == cols
    for by in cols:
        assert ("metric", metric, "month", by, None) in fetched._memo
        got, want = compute(fetched, metric, "month", by=by), compute(alone, metric, "month", by=by)
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"{metric} by {by}")


def test_the_combined_path_is_taken_and_agrees_on_other_engines(make_ds, other_engine) -> None:
    duck = make_ds()
    for metric in ("repurchase_rate", "return_rate", "complaint_rate"):
        assert combined.prefetch(other_engine, REGISTRY[metric], "month", BYS) == [
            "region", "tier"], metric
        for by in ("region", "tier"):
            a = compute(other_engine, metric, "month", by=by)
            b = compute(duck, metric, "month", by=by)
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                          check_exact=True, check_dtype=False,
                                          obj=f"{metric} by {by}")


def test_a_customer_missing_from_customers_is_in_every_columns_null_group(frames,
                                                                         config) -> None:
    tx = frames["transactions"]
    ghost = tx.iloc[:5].assign(customer_id="GHOST", order_id=lambda f: "G" + f.order_id)
    fr = {**frames, "transactions": pd.concat([tx, ghost], ignore_index=True)}
    fetched = Dataset.from_frames(fr, config=config)
    alone = Dataset.from_frames(fr, config=config)
    assert combined.prefetch(fetched, REGISTRY["purchase_frequency"], "month", BYS) == [
        "region", "tier"]
    for by in ("region", "tier"):
        got = compute(fetched, "purchase_frequency", "month", by=by)
        pd.testing.assert_frame_equal(got, compute(alone, "purchase_frequency", "month", by=by),
                                      check_exact=True)
    assert compute(fetched, "purchase_frequency", "month", by="region").region.isna().any()


def test_customer_columns_are_text_attributes_absent_from_the_metrics_tables(make_ds) -> None:
    ds = make_ds()
    assert combined.customer_columns(ds, ("transactions",), [*BYS, "age"]) == ["region", "tier"]
    assert combined.customer_columns(ds, ("surveys.nps",), BYS) == (
        [b for b in BYS if b not in ds.table("surveys").columns])


@pytest.mark.parametrize("values", [
    ("north", "gold"), (None, "gold"), ("a|b", "c\\d"), ("\\N", None), ("", ""),
    ("华东", "金卡|银卡"), (None, None), ("|", "\\"),
])
def test_the_combination_text_decodes_to_its_values(values: tuple[str | None, ...]) -> None:
    t = ibis.memtable({"a": [values[0]], "b": [values[1]]},
                      schema={"a": "string", "b": "string"})
    code = ibis.duckdb.connect().execute(t.select(c=combined.combination(t, ("a", "b"))))["c"][0]
    assert combined.decode(code, 2) == values


def test_distinct_values_give_distinct_combinations() -> None:
    rows = [("a|b", "c"), ("a", "b|c"), ("a\\", "|c"), (None, "x"), ("\\N", "x"), ("", "x")]
    t = ibis.memtable({"a": [r[0] for r in rows], "b": [r[1] for r in rows]},
                      schema={"a": "string", "b": "string"})
    codes = ibis.duckdb.connect().execute(t.select(c=combined.combination(t, ("a", "b"))))["c"]
    assert codes.nunique() == len(rows)


def test_a_combined_query_that_fails_leaves_each_column_to_its_own_split(frames, config) -> None:
    surveys = frames["surveys"].drop(columns=["nps"])
    ds = Dataset.from_frames({**frames, "surveys": surveys}, config=config)
    with pytest.raises(SchemaError):
        combined.prefetch(ds, REGISTRY["nps"], "month", BYS)
    assert combined.combined_for(ds, "region") is None
    table = _base.customer_periods(ds, MetricContext(period="month", by="region"))
    assert combined.PREFIX not in " ".join(table.columns)
