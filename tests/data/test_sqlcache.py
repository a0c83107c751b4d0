"""The per-structure SQL cache of the load (``data.sqlcache``): the SQL it gives is the SQL Ibis
compiles, and loads that reuse it give what a fresh process gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

import loyalscope as ls
from loyalscope import engine
from loyalscope.data import sqlcache
from loyalscope.data.shapes.statuses import classify

REAL = Path(__file__).parent / "real"
SRC = Path(ls.__file__).resolve().parents[1]


def _tables(con: Any) -> tuple[ibis.Table, ibis.Table]:
    a = pd.DataFrame({"order_id": ["C1", "A2", "A3"], "status": ["已取消", "paid", None],
                      "amount": [1.5, -2.0, 3.0], "_source": ["a.csv", "a.csv", "b 'x'.csv"]})
    b = a.assign(order_id=["B1", "CB2", "B3"], _source=["c.csv", "d.csv", "c.csv"])
    return con.create_table("t_one", a), con.create_table("t_two", b)


def _expr(t: ibis.Table, first: str, second: str) -> ibis.Table:
    """An expression shaped like the load's: file names as literals, statuses, a self-join."""
    src = ibis.cases((t.amount < 0, first), (t.amount > 2, second), else_=ibis.null("string"))
    t = t.mutate(_file=src, cls=classify(t.status), cancel=t.order_id.upper().startswith("C"),
                 named=t._source.contains(first) | (t._source == second))
    ids = t.filter(t.amount > 0).select(oid=t.order_id)
    return t.left_join(ids, t.order_id == ids.oid).drop("oid")


def test_bound_sql_is_the_sql_ibis_compiles() -> None:
    con = engine.connect()
    one, two = _tables(con)
    with sqlcache.late_strings(["a.csv", "b 'x'.csv", "c.csv", "d.csv"]):
        first = sqlcache.bound_sql(con, _expr(one, "a.csv", "b 'x'.csv"))
        hits = len(sqlcache._SQL)
        second = sqlcache.bound_sql(con, _expr(two, "c.csv", "d.csv"))
        assert len(sqlcache._SQL) == hits  # same structure: the template was reused
    assert first == con.compile(_expr(one, "a.csv", "b 'x'.csv"))
    assert second == con.compile(_expr(two, "c.csv", "d.csv"))
    assert "t_two" in second and "'d.csv'" in second and "t_one" not in second
    # and the results are those of Ibis
    got = sqlcache.fetch(_expr(two, "c.csv", "d.csv"), con).sort_values("order_id")
    want = _expr(two, "c.csv", "d.csv").execute().sort_values("order_id")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_memtables_are_not_cached() -> None:
    con = engine.connect()
    mem = ibis.memtable(pd.DataFrame({"x": [1, 2]}))
    assert sqlcache.bound_sql(con, mem.filter(mem.x > 1)) is None
    assert sqlcache.count(mem.filter(mem.x > 1), con) == 1


_SUMMARY = r'''
import json, sys
import pandas as pd
import loyalscope as ls
from loyalscope.config import AnalysisConfig

def summary(path):
    ds = ls.load(path, config=AnalysisConfig(), now=pd.Timestamp("2024-06-01"))
    out = {"quality": ds.quality.to_dict(), "orders": ds.quality.orders,
           "quarantine": ds.quality.quarantine.astype(str).values.tolist()}
    for name, tbl in sorted(ds.tables.items()):
        df = tbl.to_pandas()
        out[name] = sorted(map(str, df.astype(str).values.tolist())) + [str(df.dtypes.to_dict())]
    return json.loads(json.dumps(out, default=str, sort_keys=True))
'''


def _fresh(path: Path) -> dict[str, Any]:
    """The summary of one load in a new process (nothing cached)."""
    code = _SUMMARY + "\nprint(json.dumps(summary(sys.argv[1])))"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _orders(path: Path, rows: list[str]) -> Path:
    path.write_text("订单编号,客户编号,下单时间,金额,数量\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_loads_in_one_process_give_what_fresh_processes_give(tmp_path: Path) -> None:
    first = _orders(tmp_path / "orders.csv", [
        "A1,C1,2024-01-05,¥300,1", 'A2,C2,2024/1/5,"1,200",2', "A3,C1,13/01/2024,(5),",
        "A4,,2024-02-01,20,1", "A5,C3,2030-01-01,5,1"])
    # the same columns in another file: the cached SQL is reused with other names and rows
    again = _orders(tmp_path / "其他 'orders'.csv", [
        "B1,C1,2024-03-05,12,1", "B1,C1,2024-03-05,-4,1", "B2,C2,2024-03-06,x,1",
        "B3,,2024-03-07,7,"])
    paths = [first, REAL / "olist", again, REAL / "online_retail", first]
    ns: dict[str, Any] = {}
    exec(_SUMMARY, ns)  # the same summary code in this process and the fresh ones
    here = [ns["summary"](p) for p in paths]
    fresh = {p: _fresh(p) for p in dict.fromkeys(paths)}
    for p, got in zip(paths, here, strict=True):
        assert got == fresh[p], p
    assert here[0] == here[-1]
    assert here[0]["quarantine"] and here[2]["quarantine"]  # the quarantine paths ran
