"""Per-customer frames are not held to the end of a run: the section that reads one last
forgets it (``LAST_READER_OF``, :meth:`Dataset.forget`; ``LAST_READER_OF_RESULTS`` for the
sections' shared results); a later reader computes it again."""

from __future__ import annotations

import inspect

import pandas as pd

import loyalscope as ls
from loyalscope.analysis import analyze
from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate
from loyalscope.indices.customer_facts import customer_facts
from loyalscope.sections import ORDER, churn, loyalty_index, run_order, segments, strategy
from loyalscope.sections.context import SectionContext


def test_forget_drops_one_family_and_a_later_reader_computes_it_again() -> None:
    tx = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"],
                       "order_ts": pd.to_datetime(["2024-01-01", "2024-02-01"]), "amount": [1.0, 2.0]})
    ds = Dataset.from_frames({"transactions": tx}, config=AnalysisConfig())
    calls: list[int] = []
    for k in (1, 2):
        ds.memo(("family", k), lambda k=k: calls.append(k) or k)
    ds.memo(("other",), lambda: calls.append(0) or 0)
    assert ds.forget("family") == 2 and ds.forget("family") == 0
    assert ds.memo(("family", 1), lambda: calls.append(9) or 9) == 9  # built again
    assert ds.memo(("other",), lambda: calls.append(8) or 8) == 0  # kept
    assert calls == [1, 2, 0, 9]


def test_a_run_keeps_no_per_customer_frame_after_its_last_reader(tmp_path) -> None:
    simulate(customers=600, days=500, seed=11).write(tmp_path)
    ds = ls.load(tmp_path)
    analyze(ds)
    assert segments.LAST_READER_OF == ("rfm_summaries",)
    assert loyalty_index.LAST_READER_OF == ("customer_facts",)
    assert churn.LAST_READER_OF == ("churn_features",)
    for name in (*segments.LAST_READER_OF, *loyalty_index.LAST_READER_OF, *churn.LAST_READER_OF):
        assert ds.forget(name) == 0, name  # nothing of it was left
    assert len(customer_facts(ds)) > 0  # and it can be computed again


def test_a_run_drops_the_per_customer_results_after_their_last_reader(tmp_path) -> None:
    simulate(customers=600, days=500, seed=11).write(tmp_path)
    ds = ls.load(tmp_path)
    ctx = SectionContext(config=ds.config)
    analyze(ds, context=ctx)
    assert strategy.LAST_READER_OF_RESULTS == ("rfm", "rfm_previous", "quadrant", "churn")
    assert not set(strategy.LAST_READER_OF_RESULTS) & set(ctx.results)
    assert {"metric_values", "findings", "value"} <= set(ctx.results)  # the rest is kept
    assert ctx.customers is not None and {"rfm_segment", "churn_tier", "loyalty_index"} <= set(ctx.customers)


def test_no_section_after_the_last_reader_reads_what_it_drops() -> None:
    plan = [sid for sid, _ in run_order(list(ORDER))]
    later = plan[plan.index("strategy") + 1:]
    assert later  # monitoring and the closing sections
    for sid, module in run_order(later):
        source = inspect.getsource(module)
        for name in strategy.LAST_READER_OF_RESULTS:
            assert f'results.get("{name}"' not in source and f'results["{name}"]' not in source, (sid, name)
