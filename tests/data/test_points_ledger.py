"""A points ledger of signed changes (a CRM's 积分明细: 客户编号, 积分变动, 变动时间, 变动原因).

Chinese CRMs export member points as one row per change, ``+100`` for points earned and ``-50``
for points redeemed. Loyalscope asked for earned and redeemed points as two columns: such a file
was refused (its name stands for loyalty points since the head-noun rule) or, named otherwise,
left unused. The signed change is now split, with a note that counts each side; a ledger
without a negative change is said so (it may mark redemptions in another column). The rows are
made here (no public CRM export with a licence was found); the expected numbers are pandas'.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import loyalscope as ls
from loyalscope.metrics import compute

NOW = pd.Timestamp("2024-12-31")


def _company(folder: Path, signed: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 240
    ledger = pd.DataFrame({
        "客户编号": [f"C{i}" for i in rng.integers(0, 30, n)],
        "积分变动": rng.integers(1, 300, n) * np.where(rng.random(n) < 0.3, -1, 1),
        "变动时间": [f"2024-{m:02d}-{d:02d} 10:00:00" for m, d in zip(rng.integers(1, 13, n),
                                                                     rng.integers(1, 28, n), strict=True)],
        "变动原因": "消费"})
    if not signed:
        ledger["积分变动"] = ledger["积分变动"].abs()
    ledger.to_csv(folder / "会员积分明细.csv", index=False, encoding="utf-8")
    (folder / "订单.csv").write_text("订单编号,客户编号,下单时间,金额\nA1,C1,2024-01-05,10\n",
                                     encoding="utf-8")
    return ledger


def test_signed_changes_are_points_earned_and_redeemed(tmp_path: Path) -> None:
    ledger = _company(tmp_path)
    ds = ls.load(tmp_path, now=NOW)
    rep = ds.quality.tables["loyalty_points"]
    assert rep.rows_read == rep.rows_accepted == len(ledger)
    got = ds.table("loyalty_points").to_pandas()
    change = ledger["积分变动"]
    assert got.points_earned.sum() == change[change > 0].sum()
    assert got.points_redeemed.sum() == -change[change < 0].sum()
    assert (got.points_earned * got.points_redeemed == 0).all()
    note = next(n for n in rep.notes if "points_change" in n)
    assert f"{(change > 0).sum()} positive" in note and f"{(change < 0).sum()} negative" in note
    # the redemption rate of the engagement section, month by month, against pandas
    rate = compute(ds, "program_redemption_rate").set_index("period")
    month = pd.to_datetime(ledger["变动时间"]).dt.to_period("M").dt.to_timestamp()
    want = ledger.assign(m=month).groupby("m")["积分变动"].agg(
        earned=lambda v: v[v > 0].sum(), redeemed=lambda v: -v[v < 0].sum())
    assert rate.numerator.tolist() == want.redeemed.tolist()
    assert rate.denominator.tolist() == want.earned.tolist()


def test_a_ledger_without_a_negative_change_says_so(tmp_path: Path) -> None:
    ledger = _company(tmp_path, signed=False)
    rep = ls.load(tmp_path, now=NOW).quality.tables["loyalty_points"]
    note = next(n for n in rep.notes if "points_change" in n)
    assert "no negative change" in note and f"all {len(ledger)} changes" in note
