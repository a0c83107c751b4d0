"""Points ledgers: a signed change per row (积分变动 +100 / -50) read as points earned and
redeemed.

A loyalty programme's export is either two columns (points earned, points redeemed) or one
ledger column whose sign says which (会员积分明细: 变动积分 ``+200`` for a purchase, ``-500`` for a
gift). The loyalty_points table holds the two columns (``schema``); a ledger is split here, per
source file, before the sources of the table are stacked, with a note that says what the sign
was read as and how many rows went each way.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalscope.data import sqlcache
from loyalscope.i18n import t


def split_points(rows: ir.Table, cols: list[ir.Value]) -> list[ir.Value]:
    """``cols`` with points earned (the positive changes) and points redeemed (the negative
    ones, as positive numbers) added from ``rows.points_change``, where the file gives no such
    column itself.

    earned = max(change, 0); redeemed = max(-change, 0) (points; a change of 0 is neither).
    """
    change = rows.points_change
    have = {c.get_name() for c in cols}
    out = list(cols)
    zero = ibis.literal(0.0)
    if "points_earned" not in have:
        out.append(ibis.ifelse(change > 0, change, zero).name("points_earned"))
    if "points_redeemed" not in have:
        out.append(ibis.ifelse(change < 0, -change, zero).name("points_redeemed"))
    return out


def points_note(rows: ir.Table, header: str) -> str:
    """What a ledger's signed change was read as, with its counts; a ledger without a single
    negative change may mark its redemptions in another column (变动类型), and is said so."""
    c = rows.points_change
    n = sqlcache.fetch(rows.aggregate(pos=(c > 0).sum(), neg=(c < 0).sum())).iloc[0]
    pos, neg = int(n["pos"] or 0), int(n["neg"] or 0)
    key = "note_points_change" if neg else "note_points_unsigned"
    return t(f"data.validate.{key}", column=header, earned=pos, redeemed=neg)


__all__ = ["points_note", "split_points"]
