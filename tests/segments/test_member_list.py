"""RFM from a member list: a CRM's customers with their purchase totals, without the orders.

Chinese shop systems (有赞, 微盟, 客如云) export a member list with each member's 累计消费次数,
累计消费金额 and 最近消费时间; many small companies have nothing else. Such a folder gave a report
in which every section was skipped ("needs the table transactions"). The totals give R, F and M
(``segments.rfm.member_summary``): the segments section and the strategies by segment run, and
say what needs the orders. No public export with a licence was found: the header is the one
those systems write, the rows are made here, and the scores are computed again below with the
module docstring's rule (``floor(bins * below / n) + 1``, ``below`` the members with a strictly
worse value).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.segments.rfm import from_member_totals, rfm_summary, score_rfm

HEADER = ["客户姓名", "手机号", "会员等级", "成为会员时间", "累计消费金额", "累计消费次数", "最近消费时间", "积分"]
runner = CliRunner()


def _member_list(folder: Path, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    count = rng.integers(0, 25, n)  # some members never bought
    frame = pd.DataFrame({
        "客户姓名": [f"会员{i}" for i in range(n)],
        "手机号": [str(13800000000 + i) for i in range(n)],
        "会员等级": rng.choice(["普通会员", "银卡会员", "金卡会员"], n),
        "成为会员时间": "2023-01-01 10:00:00",
        "累计消费金额": np.where(count > 0, count * rng.integers(30, 400, n), 0),
        "累计消费次数": count,
        "最近消费时间": [f"2024-{m:02d}-{d:02d} {h:02d}:00:00" if c else ""
                     for m, d, h, c in zip(rng.integers(1, 13, n), rng.integers(1, 29, n),
                                           rng.integers(8, 22, n), count, strict=True)],
        "积分": rng.integers(0, 5000, n)})
    frame.to_csv(folder / "客户列表.csv", index=False, encoding="utf-8-sig")
    return frame


def _scores(good: pd.Series, bins: int = 5) -> pd.Series:
    below = good.rank(method="min") - 1  # members with a strictly worse value
    return (np.floor(bins * below / len(good)) + 1).astype(int)


def test_the_totals_give_rfm_as_the_docstring_defines_it(tmp_path: Path) -> None:
    raw = _member_list(tmp_path)
    ds = ls.load(tmp_path)
    assert from_member_totals(ds)
    last = pd.to_datetime(raw["最近消费时间"].replace("", None))
    assert ds.analysis_date == (last.max() + pd.Timedelta(days=1)).date()
    got = score_rfm(rfm_summary(ds)).set_index("customer_id").sort_index()
    bought = raw[raw["累计消费次数"] > 0].set_index("手机号").sort_index()
    assert got.index.tolist() == bought.index.tolist()
    recency = (pd.Timestamp(ds.analysis_date) - pd.to_datetime(bought["最近消费时间"])).dt.total_seconds() / 86400
    assert np.allclose(got.recency_days, recency)
    assert (got.frequency == bought["累计消费次数"]).all() and (got.monetary == bought["累计消费金额"]).all()
    assert (got.r == _scores(-recency)).all()
    assert (got.f == _scores(bought["累计消费次数"])).all()
    assert (got.m == _scores(bought["累计消费金额"].astype(float))).all()


def test_analyze_segments_the_members_and_says_what_needs_the_orders(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    raw = _member_list(data)
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(data), "--out", str(out), "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    status = json.loads(res.stdout)["sections"]
    assert status["segments"] == "ok" and status["strategy"] == "ok"
    assert "transactions" in status["retention"] or "metrics" in status["retention"]
    sections = json.loads((out / "analysis.json").read_text(encoding="utf-8"))["sections"]
    seg = sections["segments"]
    texts = [b.get("key") for b in seg["blocks"] if b["type"] == "text"]
    assert "segments.report.members_note" in texts
    assert sum(seg["data"]["segments"].values()) == int((raw["累计消费次数"] > 0).sum())
    scored = pd.read_parquet(out / "customers.parquet").dropna(subset=["rfm_segment"])
    assert len(scored) == int((raw["累计消费次数"] > 0).sum())
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "From a member list" in html


def test_totals_without_a_last_purchase_time_are_no_rfm(tmp_path: Path) -> None:
    """Shopify's customers export has Total Spent and Total Orders but no last order date:
    recency cannot be known, and the segments section says it needs the orders."""
    pd.DataFrame({"Customer ID": ["1", "2"], "Email": ["a@x.com", "b@x.com"], "Total Spent": [120.5, 30.0],
                  "Total Orders": [3, 1]}).to_csv(tmp_path / "customers_export.csv", index=False)
    ds = ls.load(tmp_path)
    assert ds.has("customers", "total_spend") and ds.has("customers", "order_count")
    assert not from_member_totals(ds)
    an = ls.analyze(ds, sections=("segments",))
    assert an.sections[0].skipped == "report.skipped_because"
