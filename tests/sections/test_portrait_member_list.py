"""The customer portrait of a member list without orders (``sections/portrait.py``).

A CRM's member list (有赞 / 微盟 style: 会员等级, 性别, 年龄, 首次消费时间, 累计消费次数,
累计消费金额, 最近消费时间) gave RFM segments, but its portrait was skipped ("needs the orders")
although the list says who the members are and, in its totals, whether they bought again and
lately. The rows are made here (no public member list with a licence was found, see
tests/data/README.md); each table is computed again below with pandas from the written rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.i18n import use_lang
from loyalscope.report.html import render_html
from loyalscope.results import Table

HEADER = ["手机号", "会员等级", "性别", "年龄", "首次消费时间", "累计消费次数", "累计消费金额", "最近消费时间"]


def _members(folder: Path, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(21)
    count = rng.integers(0, 12, n)  # some members never bought
    last = pd.Timestamp("2024-12-31") - pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    first = last - pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    frame = pd.DataFrame({
        "手机号": [str(13900000000 + i) for i in range(n)],
        "会员等级": rng.choice(["普通会员", "银卡会员", "金卡会员"], n, p=[0.6, 0.3, 0.1]),
        "性别": rng.choice(["男", "女"], n),
        "年龄": rng.integers(18, 70, n),
        "首次消费时间": [f.strftime("%Y-%m-%d %H:%M:%S") if c else "" for f, c in zip(first, count, strict=True)],
        "累计消费次数": count,
        "累计消费金额": count * rng.integers(20, 300, n),
        "最近消费时间": [d.strftime("%Y-%m-%d %H:%M:%S") if c else "" for d, c in zip(last, count, strict=True)],
    })[HEADER]
    frame.to_csv(folder / "会员列表.csv", index=False, encoding="utf-8-sig")
    return frame


@pytest.mark.parametrize("window", [None, 90])
def test_a_member_list_has_its_portrait_from_its_totals(tmp_path: Path, window: int | None) -> None:
    raw = _members(tmp_path)
    config = AnalysisConfig.model_validate({"analysis": {"inactivity_days": window}} if window else {})
    ds = ls.load(tmp_path, config=config)
    an = ls.analyze(ds, sections=("segments", "portrait"))
    portrait = next(s for s in an.sections if s.id == "portrait")
    assert portrait.skipped is None, portrait.skipped_kw

    # independently: the members with a purchase before the analysis date (the day after the
    # last purchase), repeat = 2+ purchases, retained = last purchase within the window
    last = pd.to_datetime(raw["最近消费时间"].replace("", None))
    asof = last.max().normalize() + pd.Timedelta(days=1)
    bought = raw[(raw["累计消费次数"] > 0) & last.notna()].copy()
    recency = (asof - pd.to_datetime(bought["最近消费时间"]).dt.normalize()).dt.days
    days = window or 180
    bought["repeat"] = bought["累计消费次数"] >= 2
    bought["retained"] = recency <= days
    assert portrait.data["customers"] == len(bought)
    expect = bought.groupby("会员等级").agg(customers=("repeat", "size"), repeat_rate=("repeat", "mean"),
                                          retention=("retained", "mean"))
    tier = next(b for b in portrait.blocks if isinstance(b, Table) and b.title == "portrait.by.member_tier")
    got = tier.frame.set_index("group")[["customers", "repeat_rate", "retention"]].sort_index()
    pd.testing.assert_frame_equal(got, expect.sort_index(), check_names=False, check_dtype=False)
    assert {"member_tier", "gender", "age_band", "cohort"} <= set(portrait.data["descriptors"])
    cohort = next(b for b in portrait.blocks if isinstance(b, Table) and b.title == "portrait.by.cohort")
    quarters = pd.to_datetime(bought["首次消费时间"]).dt.to_period("Q").astype(str).str.replace("Q", "-Q")
    assert dict(zip(cohort.frame.group, cohort.frame.customers, strict=True)) == \
        quarters.value_counts().sort_index().to_dict()
    with use_lang("en"):
        en = render_html(an, "en")
    with use_lang("zh"):
        zh = render_html(an, "zh")
    assert f"Who the {len(bought):,} members with a purchase are" in en
    assert f"in the {days} days before the analysis date" in en
    assert "依据会员列表的累计数据" in zh and f"分析日期前 {days} 天内" in zh


def test_orders_still_decide_the_portrait_when_the_list_comes_with_them(tmp_path: Path) -> None:
    raw = _members(tmp_path, n=200)
    buyers = raw[raw["累计消费次数"] > 0].head(50)
    pd.DataFrame({"订单号": [f"O{i}" for i in range(len(buyers))], "手机号": buyers["手机号"].to_numpy(),
                  "下单时间": "2024-06-01 10:00:00", "实付金额": 99.0}).to_csv(
        tmp_path / "订单.csv", index=False, encoding="utf-8-sig")
    ds = ls.load(tmp_path)
    an = ls.analyze(ds, sections=("segments", "portrait"))
    portrait = next(s for s in an.sections if s.id == "portrait")
    assert portrait.data["customers"] == 50  # the customers with orders, one order each
    intro = portrait.blocks[0]
    assert intro.key == "portrait.intro"
