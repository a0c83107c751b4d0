"""Independent pandas computations of every metric, written straight from the spec text.

Each function takes the canonical frames, a grain and an optional customers column ``by`` and
returns ``period``, [``by``], ``numerator``, ``denominator`` [, ``value``].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CODE = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
W = 180  # default inactivity_days
K = 6  # default trend_periods


def bucket(ts: pd.Series, g: str) -> pd.Series:
    return ts.dt.to_period(CODE[g]).dt.start_time.dt.date


def pidx(ts: pd.Series, g: str) -> pd.Series:
    return ts.dt.to_period(CODE[g]).map(lambda p: p.ordinal)


def analysis_date(fr) -> pd.Timestamp:
    return fr["transactions"].order_ts.max().normalize() + pd.Timedelta(days=1)


def calendar(fr, g: str) -> pd.DataFrame:
    tx = fr["transactions"]
    first = tx.order_ts.min().to_period(CODE[g])
    last = (analysis_date(fr) - pd.Timedelta(days=1)).to_period(CODE[g])
    ps = pd.period_range(first, last, freq=CODE[g])
    return pd.DataFrame({"period": ps.start_time.date, "end": (ps + 1).start_time})


def _tx(fr, g, by=None):
    tx = fr["transactions"].copy()
    tx["period"] = bucket(tx.order_ts, g)
    if by:
        tx = tx.merge(fr["customers"][["customer_id", by]], on="customer_id", how="left")
    return tx


def _keys(by):
    return ["period", *([by] if by else [])]


def _out(df, by):
    return df.reset_index()[[*_keys(by), "numerator", "denominator"]]


def purchase_frequency(fr, g, by=None):
    tx = _tx(fr, g, by)
    pc = tx.groupby([*_keys(by), "customer_id"]).size().rename("n").reset_index()
    a = pc.groupby(_keys(by)).agg(numerator=("n", "sum"), denominator=("customer_id", "count"))
    return _out(a, by)


def purchase_frequency_distribution(fr, g, by=None):
    tx = _tx(fr, g)
    n = tx.groupby(["period", "customer_id"]).size().rename("n").reset_index()
    n["orders_bucket"] = pd.cut(n.n, [0, 1, 2, 5, np.inf], labels=["1", "2", "3-5", ">5"]).astype(str)
    a = n.groupby(["period", "orders_bucket"]).size().rename("numerator").reset_index()
    a["denominator"] = a.groupby("period").numerator.transform("sum")
    return a


def purchase_amount(fr, g, by=None):
    tx = _tx(fr, g, by)
    a = tx.groupby(_keys(by)).agg(numerator=("amount", "sum"), denominator=("customer_id", "nunique"))
    return _out(a, by)


def order_value(fr, g, by=None):
    tx = _tx(fr, g, by)
    a = tx.groupby(_keys(by)).agg(numerator=("amount", "sum"), denominator=("order_id", "count"))
    return _out(a, by)


def repeat_purchase_rate(fr, g, by=None):
    tx = _tx(fr, g, by)
    n = tx.groupby([*_keys(by), "customer_id"]).size()
    a = (n >= 2).groupby(level=list(range(len(_keys(by))))).agg(["sum", "count"])
    a.columns = ["numerator", "denominator"]
    return _out(a, by)


def repurchase_rate(fr, g, by=None):
    tx = _tx(fr, g, by)
    tx["i"] = pidx(tx.order_ts, g)
    act = set(zip(tx.customer_id, tx.i, strict=True))
    periods = dict(zip(tx.i, tx.period, strict=True))
    grp = dict(zip(tx.customer_id, tx[by], strict=True)) if by else {}
    rows = []
    for c, i in act:
        if i + 1 in periods:
            rows.append({"period": periods[i + 1], **({by: grp[c]} if by else {}),
                         "back": (c, i + 1) in act})
    d = pd.DataFrame(rows)
    a = d.groupby(_keys(by)).agg(numerator=("back", "sum"), denominator=("back", "count"))
    return _out(a, by)


def _gaps(fr, g, by=None):
    tx = _tx(fr, g, by).sort_values(["customer_id", "order_ts", "order_id"])
    d = tx.order_ts.dt.normalize()
    tx["gap"] = (d - d.groupby(tx.customer_id).shift()).dt.days
    return tx.dropna(subset=["gap"])


def interpurchase_interval(fr, g, by=None):
    t = _gaps(fr, g, by)
    return _out(t.groupby(_keys(by)).agg(numerator=("gap", "sum"), denominator=("gap", "count")), by)


def interpurchase_interval_median(fr, g, by=None):
    t = _gaps(fr, g, by)
    a = t.groupby(_keys(by)).agg(numerator=("gap", "sum"), denominator=("gap", "count"),
                                 value=("gap", "median"))
    return a.reset_index()


def relationship_duration(fr, g, by=None):
    tx = _tx(fr, g, by)
    first = tx.groupby("customer_id").order_ts.min().dt.normalize()
    pc = tx.groupby([*_keys(by), "customer_id"]).order_ts.max().dt.normalize().rename("last")
    pc = pc.reset_index()
    pc["days"] = (pc["last"] - pc.customer_id.map(first)).dt.days
    return _out(pc.groupby(_keys(by)).agg(numerator=("days", "sum"),
                                          denominator=("days", "count")), by)


def frequency_trend(fr, g, by=None):
    tx = _tx(fr, g, by)
    tx["i"] = pidx(tx.order_ts, g)
    n = tx.groupby(["customer_id", "i"]).size()
    periods = dict(zip(tx.i, tx.period, strict=True))
    grp = dict(zip(tx.customer_id, tx[by], strict=True)) if by else {}
    rows = []
    for t in sorted(periods):
        for c in tx.customer_id.unique():
            y = np.array([n.get((c, t - K + 1 + x), 0) for x in range(K)], dtype=float)
            if y.sum() > 0:
                slope = np.polyfit(np.arange(K), y, 1)[0]
                rows.append({"period": periods[t], **({by: grp[c]} if by else {}), "s": slope})
    d = pd.DataFrame(rows)
    return _out(d.groupby(_keys(by)).agg(numerator=("s", "sum"), denominator=("s", "count")), by)


def share_of_wallet(fr, g, by=None):
    s = fr["surveys"].copy()
    s["period"] = bucket(s.answered_ts, g)
    if by:
        s = s.merge(fr["customers"][["customer_id", by]], on="customer_id", how="left")
    a = s.groupby(_keys(by), dropna=False).agg(numerator=("share_of_wallet", "sum"),
                                               denominator=("share_of_wallet", "count"))
    return _out(a, by)


def cross_selling(fr, g, by=None):
    tx = _tx(fr, g, by)
    pc = tx.groupby([*_keys(by), "customer_id"]).category.nunique().rename("c").reset_index()
    return _out(pc.groupby(_keys(by)).agg(numerator=("c", "sum"), denominator=("c", "count")), by)


def _mix(fr, g, col):
    tx = _tx(fr, g)
    tx["one"] = 1.0
    a = tx.groupby(["period", "channel"])[col].sum().rename("numerator").reset_index()
    a["denominator"] = a.groupby("period").numerator.transform("sum")
    return a


def channel_mix(fr, g, by=None):
    return _mix(fr, g, "one")


def channel_mix_spend(fr, g, by=None):
    return _mix(fr, g, "amount")


def pareto_share(fr, g, by=None):
    tx = _tx(fr, g, by)
    rows = []
    for key, grp in tx.groupby(_keys(by)):
        spend = grp.groupby("customer_id").amount.sum().reset_index()
        spend = spend.sort_values(["amount", "customer_id"], ascending=[False, True])
        top = -(-len(spend) // 5)  # ceil(20% of n)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(_keys(by), key, strict=True)),
                     "numerator": spend.amount.iloc[:top].sum(), "denominator": spend.amount.sum()})
    return pd.DataFrame(rows)


def _contract_ended(fr, s, e) -> set:
    """Customers with a contract ending in [s, e), not renewed, and no other contract that
    starts before e and ends on or after e."""
    if "contracts" not in fr:
        return set()
    c = fr["contracts"]
    start, end = pd.to_datetime(c.start_date), pd.to_datetime(c.end_date)
    ended = set(c.customer_id[(end >= s) & (end < e) & ~c.renewed.fillna(False).astype(bool)])
    running = set(c.customer_id[(start < e) & (end >= e)])
    return ended - running


def _sets(fr, g):
    tx = fr["transactions"]
    d = tx.order_ts.dt.normalize()
    first = d.groupby(tx.customer_id).min()
    lb = pd.Timedelta(days=W)
    for _, row in calendar(fr, g).iterrows():
        s, e = pd.Timestamp(row.period), row.end
        S = set(tx.customer_id[(d >= s - lb) & (d < s)])
        E = set(tx.customer_id[(d >= e - lb) & (d < e)])
        N = set(first.index[(first >= s) & (first < e)])
        yield row.period, S, E, N, _contract_ended(fr, s, e)


def _ret(fr, g, f):
    rows = [{"period": p, **dict(zip(("numerator", "denominator"), f(S, E, N, C), strict=True))}
            for p, S, E, N, C in _sets(fr, g)]
    return pd.DataFrame(rows)


def retention_rate_std(fr, g, by=None):
    # retained: active at the start and not lost (churn_rate's complement)
    return _ret(fr, g, lambda S, E, N, C: (len(S & (E - C)), len(S)))


def reactivation_rate(fr, g, by=None):
    # active at the end, neither active at the start nor new
    return _ret(fr, g, lambda S, E, N, C: (len(E - N - S), len(E)))


def retention_rate_seed(fr, g, by=None):
    return _ret(fr, g, lambda S, E, N, C: (len(E - N), len(E)))


def churn_rate(fr, g, by=None):
    # lost: no order in the window before the end, or contract ended in the period
    return _ret(fr, g, lambda S, E, N, C: (len(S - (E - C)), len(S)))


def join_rate(fr, g, by=None):
    return _ret(fr, g, lambda S, E, N, C: (len(N), len(E)))


def renewal_rate(fr, g, by=None):
    c = fr["contracts"].copy()
    c["period"] = bucket(c.end_date, g)
    return _out(c.groupby("period").agg(numerator=("renewed", "sum"),
                                        denominator=("renewed", "count")), None)


def renewal_rate_seed(fr, g, by=None):
    # renewed customers / all customers (first contract or first order before the period end)
    c = fr["contracts"].copy()
    c["period"] = bucket(c.end_date, g)
    num = c[c.renewed.fillna(False).astype(bool)].groupby("period").customer_id.nunique()
    periods = sorted(set(c.period))
    first = pd.concat([c.set_index("customer_id").start_date.dt.normalize(),
                       fr["transactions"].set_index("customer_id").order_ts.dt.normalize()]).groupby(level=0).min()
    ends = {p: pd.Period(p, CODE[g]).end_time.normalize() + pd.Timedelta(days=1) for p in periods}
    rows = [{"period": p, "numerator": float(num.get(p, 0)), "denominator": float((first < ends[p]).sum())}
            for p in periods]
    return pd.DataFrame(rows)


def _on_cal(fr, g, a):
    cal = calendar(fr, g)[["period"]]
    return cal.merge(a, on="period", how="left").fillna({"numerator": 0.0, "denominator": 0.0})


def complaint_rate(fr, g, by=None):
    tx = _tx(fr, g)
    k = fr["complaints"].copy()
    k["period"] = bucket(k.opened_ts, g)
    comp = set(zip(k.period, k.customer_id, strict=True))
    act = tx[["period", "customer_id"]].drop_duplicates()
    act["c"] = [(p, c) in comp for p, c in zip(act.period, act.customer_id, strict=True)]
    a = act.groupby("period").agg(numerator=("c", "sum"), denominator=("c", "count")).reset_index()
    return _on_cal(fr, g, a)


def complaints_per_1000_orders(fr, g, by=None):
    tx = _tx(fr, g)
    k = fr["complaints"].copy()
    k["period"] = bucket(k.opened_ts, g)
    a = pd.DataFrame({"numerator": k.groupby("period").size(),
                      "denominator": tx.groupby("period").size()}).fillna(0).reset_index()
    a = a.rename(columns={"index": "period"})
    a = _on_cal(fr, g, a)
    a["value"] = np.where(a.denominator > 0, 1000 * a.numerator / a.denominator.where(a.denominator > 0), np.nan)
    return a


def _returns(fr, g):
    tx = _tx(fr, g)
    r = fr["returns"].set_index("order_id").amount
    tx["returned"] = tx.order_id.isin(r.index)
    tx["ramount"] = tx.order_id.map(r).fillna(0.0)
    return tx


def _no_order(fr, g):
    """Returns of a known customer whose order is not in transactions, by the return's period."""
    r = fr["returns"]
    if "customer_id" not in r.columns:
        return pd.DataFrame({"period": [], "n": [], "amount": []})
    r = r[r.customer_id.notna() & ~r.order_id.isin(fr["transactions"].order_id)].copy()
    r["period"] = bucket(r.return_ts, g)
    return r.groupby("period").agg(n=("order_id", "count"), amount=("amount", "sum")).reset_index()


def _add(a, extra, col):
    a = a.merge(extra[["period", col]], on="period", how="outer").fillna(0.0)
    a["numerator"] = a.numerator + a[col]
    return a.drop(columns=[col])


def return_rate(fr, g, by=None):
    tx = _returns(fr, g)
    a = tx.groupby("period").agg(numerator=("returned", "sum"), denominator=("order_id", "count"))
    return _on_cal(fr, g, _add(a.reset_index(), _no_order(fr, g), "n"))


def return_amount_rate(fr, g, by=None):
    tx = _returns(fr, g)
    a = tx.groupby("period").agg(numerator=("ramount", "sum"), denominator=("amount", "sum"))
    return _on_cal(fr, g, _add(a.reset_index(), _no_order(fr, g), "amount"))


def _complaints(fr, g, by=None):
    k = fr["complaints"].copy()
    k["period"] = bucket(k.opened_ts, g)
    if by and by not in k.columns:
        k = k.merge(fr["customers"][["customer_id", by]], on="customer_id", how="left")
    return k


def complaint_resolution_rate(fr, g, by=None):
    k = _complaints(fr, g, by)
    return _out(k.groupby(_keys(by)).agg(numerator=("resolved", "sum"),
                                         denominator=("resolved", "count")), by)


def _rt(fr, g, by, q):
    k = _complaints(fr, g, by).dropna(subset=["closed_ts"])
    k["h"] = (k.closed_ts - k.opened_ts).dt.total_seconds() / 3600
    return k.groupby(_keys(by)).agg(numerator=("h", "sum"), denominator=("h", "count"),
                                    value=("h", lambda s: s.quantile(q))).reset_index()


def resolution_time(fr, g, by=None):
    return _rt(fr, g, by, 0.5)


def resolution_time_p90(fr, g, by=None):
    return _rt(fr, g, by, 0.9)


def post_complaint_repurchase(fr, g, by=None):
    k = _complaints(fr, g, by)
    last = fr["transactions"].groupby("customer_id").order_ts.max()
    fc = k.groupby([*_keys(by), "customer_id"]).opened_ts.min().reset_index()
    fc["back"] = fc.customer_id.map(last) > fc.opened_ts
    return _out(fc.groupby(_keys(by)).agg(numerator=("back", "sum"),
                                          denominator=("back", "count")), by)


def silent_dissatisfied(fr, g, by=None):
    k = _complaints(fr, g, by)
    a = k.groupby(_keys(by)).customer_id.nunique().rename("numerator").reset_index()
    a["denominator"] = 1.0
    a["value"] = a.numerator * 25.0
    return a


def _base(fr, g):
    first = fr["transactions"].groupby("customer_id").order_ts.min().dt.normalize()
    cal = calendar(fr, g)
    cal["denominator"] = [(first < e).sum() for e in cal.end]
    return cal[["period", "denominator"]]


def _per_base(fr, g, num: pd.Series):
    b = _base(fr, g)
    b["numerator"] = b.period.map(num).fillna(0.0)
    return b


def interaction_frequency(fr, g, by=None):
    i = fr["interactions"]
    return _per_base(fr, g, i.groupby(bucket(i.ts, g)).size())


def participation_rate(fr, g, by=None):
    i = fr["interactions"]
    i = i[i.kind == "event"]
    return _per_base(fr, g, i.groupby(bucket(i.ts, g)).size())  # participations, not customers


def feedback_channel_utilisation(fr, g, by=None):
    i = fr["interactions"]
    i = i[i.kind == "feedback"].assign(period=lambda d: bucket(d.ts, g))
    return i.groupby(["period", "channel"]).agg(numerator=("effective", "sum"),
                                                denominator=("effective", "count")).reset_index()


def program_redemption_rate(fr, g, by=None):
    p = fr["loyalty_points"].assign(period=lambda d: bucket(d.ts, g))
    return p.groupby("period").agg(numerator=("points_redeemed", "sum"),
                                   denominator=("points_earned", "sum")).reset_index()


def referral_rate(fr, g, by=None):
    r = fr["referrals"].assign(period=lambda d: bucket(d.referred_ts, g))
    first = fr["transactions"].groupby("customer_id").order_ts.min().dt.normalize()
    ends = dict(zip(calendar(fr, g).period, calendar(fr, g).end, strict=True))
    r = r[r.period.isin(ends)]
    ok = [c in first.index and first[c] < ends[p] for c, p in zip(r.referrer_id, r.period, strict=True)]
    return _per_base(fr, g, r[ok].groupby("period").referrer_id.nunique())


def referral_conversion_rate(fr, g, by=None):
    r = fr["referrals"].assign(period=lambda d: bucket(d.referred_ts, g))
    return r.groupby("period").agg(numerator=("converted", "sum"),
                                   denominator=("converted", "count")).reset_index()


def switching_rate(fr, g, by=None):
    tx = fr["transactions"]
    first = tx.groupby("customer_id").order_ts.min().dt.normalize().rename("f").reset_index()
    first["period"] = bucket(first.f, g)
    ccc = fr["customers"].set_index("customer_id").came_from_competitor
    first["x"] = first.customer_id.map(ccc).fillna(False).astype(bool)
    return first.groupby("period").agg(numerator=("x", "sum"), denominator=("x", "count")).reset_index()


def clv_simple(fr, g, by=None):
    a = purchase_amount(fr, g)
    c = churn_rate(fr, g).set_index("period")
    rate = (c.numerator / c.denominator.where(c.denominator > 0)).where(c.numerator > 0)
    acq = fr["customers"].acquisition_cost.mean()
    a["value"] = a.numerator / a.denominator / a.period.map(rate) - acq
    return a


def _members(fr, g):
    tx = _tx(fr, g)
    pc = tx.groupby(["period", "customer_id"]).agg(n=("order_id", "count"),
                                                    spend=("amount", "sum")).reset_index()
    members = set(fr["loyalty_points"].customer_id)
    pc["member"] = np.where(pc.customer_id.isin(members), "member", "non_member")
    return pc


def member_repeat_rate(fr, g, by=None):
    pc = _members(fr, g)
    pc["rep"] = pc.n >= 2
    return pc.groupby(["period", "member"]).agg(numerator=("rep", "sum"),
                                                denominator=("rep", "count")).reset_index()


def member_spend(fr, g, by=None):
    pc = _members(fr, g)
    return pc.groupby(["period", "member"]).agg(numerator=("spend", "sum"),
                                                denominator=("spend", "count")).reset_index()
