"""Engagement (互动与参与), referrals and switching, and the points programme.

"Customer base at the end of a period" = customers whose first order is before the period end
(a customer known only from interactions or surveys is not in the base).
"""

from __future__ import annotations

import ibis

from loyalscope.metrics._base import (
    calendar,
    cases,
    customer_periods,
    f64,
    first_orders,
    in_periods,
    ind,
    keys,
    money_sum,
    windowed,
    with_group,
)
from loyalscope.metrics.registry import Metric, MetricContext, register


def _base(ds, ctx: MetricContext) -> ibis.Table:
    """(period, [group], base): customers with a first order before each period end."""
    cal = calendar(ds, ctx)
    fo = with_group(ds, ctx, first_orders(ds, ctx))
    j = cal.inner_join(fo, fo.first_date < cal.period_end)
    base = j.group_by(keys(ctx)).aggregate(denominator=f64(j.customer_id.count()))
    if ctx.by:
        return base
    return cal.select("period").left_join(base, "period").select(
        "period", denominator=ibis._.denominator.fill_null(0.0)
    )


def _per_base(ds, ctx: MetricContext, num: ibis.Table) -> ibis.Table:
    """Join a (period, [group], numerator) table onto the customer base."""
    base = _base(ds, ctx)
    j = base.left_join(num, keys(ctx))
    return j.select(*keys(ctx), numerator=j.numerator.fill_null(0.0), denominator=j.denominator)


def _interactions(ds, ctx: MetricContext, *cols: str) -> ibis.Table:
    return in_periods(ds, ctx, ds.table("interactions", "customer_id", "ts", "kind", *cols), "ts")


def interaction_frequency(ds, ctx: MetricContext) -> ibis.Table:
    """Interactions in the period / customer base at the period end."""
    i = _interactions(ds, ctx)
    num = i.group_by(keys(ctx)).aggregate(numerator=f64(i.customer_id.count()))
    return _per_base(ds, ctx, num)


def participation_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Documents' form (客户参与度 = 参与活动次数 / 客户总数 x 100%): event participations
    (``kind == "event"`` interactions, each one counted) in the period / customer base at the
    period end. Can exceed 100% when customers take part more than once."""
    i = _interactions(ds, ctx)
    i = i.filter(i.kind == "event")
    num = i.group_by(keys(ctx)).aggregate(numerator=f64(i.customer_id.count()))
    return _per_base(ds, ctx, num)


def feedback_channel_utilisation(ds, ctx: MetricContext) -> ibis.Table:
    """Effective feedback / all feedback (``kind == "feedback"``), per channel."""
    i = _interactions(ds, ctx, "effective", "channel")
    i = i.filter(i.kind == "feedback")
    return i.group_by(keys(ctx, "channel")).aggregate(
        numerator=f64(ind(i.effective.fill_null(False)).sum()),
        denominator=f64(i.customer_id.count()),
    )


def program_redemption_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Points redeemed / points earned in the period; ``n`` = members with a points record in
    the period (the points are summed over their records, and a member's records are not
    independent cases: a rate from 3 members with 200 records each is a rate from 3 members)."""
    p = _points(ds, ctx)
    return p.group_by(keys(ctx)).aggregate(
        numerator=money_sum(p.points_redeemed), denominator=money_sum(p.points_earned),
        n=cases(p.customer_id.nunique()),
    )


def _points(ds, ctx: MetricContext) -> ibis.Table:
    return in_periods(ds, ctx, ds.table("loyalty_points", "customer_id", "ts", "points_earned",
                                        "points_redeemed"), "ts")


def point_members(ds, ctx: MetricContext) -> ibis.Value:
    """Distinct members with a points record in ``ctx.window``: the whole-window ``n`` of
    :func:`program_redemption_rate` (a member active in several periods counts once)."""
    return cases(_points(ds, ctx).customer_id.nunique())


def _members(ds, ctx: MetricContext) -> ibis.Table:
    """Per (period, [group], customer) of ordering customers: ``member`` ("member" when the
    customer has any loyalty_points row, else "non_member"), orders and spend.

    The orders and spend are those of :func:`customer_periods` (the same definition), read from
    its shared table: grouping the orders again cost a pass over them per metric (2.2 s each at
    ten million orders)."""
    pc = customer_periods(ds, ctx).select(*keys(ctx), "customer_id", "n", "spend")
    p = ds.table("loyalty_points", "customer_id")
    mem = p.select(mcid=p.customer_id).distinct()
    j = pc.left_join(mem, pc.customer_id == mem.mcid)
    return j.mutate(member=j.mcid.notnull().ifelse("member", "non_member")).drop("mcid")


def member_repeat_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Repeat purchase rate of points-programme members vs non-members: customers with >= 2
    orders in the period / customers with an order, per membership."""
    m = _members(ds, ctx)
    return m.group_by(keys(ctx, "member")).aggregate(
        numerator=f64(ind(m.n >= 2).sum()), denominator=f64(m.customer_id.count())
    )


def member_spend(ds, ctx: MetricContext) -> ibis.Table:
    """Spend per ordering customer of members vs non-members."""
    m = _members(ds, ctx)
    return m.group_by(keys(ctx, "member")).aggregate(
        numerator=money_sum(m.spend), denominator=f64(m.customer_id.count())
    )


def referral_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Customers in the base who referred someone in the period / customer base at the end."""
    r = windowed(ds.table("referrals", "referrer_id", "referred_ts"), "referred_ts", ctx)
    fo = first_orders(ds, ctx)
    r = r.mutate(period=ctx.bucket(r.referred_ts), customer_id=r.referrer_id)
    cal = calendar(ds, ctx).select("period", "period_end")
    r = r.inner_join(fo, "customer_id").inner_join(cal, "period")
    r = with_group(ds, ctx, r.filter(r.first_date < r.period_end))
    num = r.group_by(keys(ctx)).aggregate(numerator=f64(r.customer_id.nunique()))
    return _per_base(ds, ctx, num)


def referral_conversion_rate(ds, ctx: MetricContext) -> ibis.Table:
    """Referred people who converted / people referred in the period."""
    r = windowed(ds.table("referrals", "referrer_id", "referred_ts", "converted"),
                 "referred_ts", ctx)
    r = r.mutate(period=ctx.bucket(r.referred_ts), customer_id=r.referrer_id)
    r = with_group(ds, ctx, r)
    return r.group_by(keys(ctx)).aggregate(
        numerator=f64(ind(r.converted.fill_null(False)).sum()),
        denominator=f64(r.customer_id.count()),
    )


def switching_rate(ds, ctx: MetricContext) -> ibis.Table:
    """New customers (first order in the period) who came from a competitor / new customers."""
    fo = first_orders(ds, ctx)
    fo = fo.mutate(period=ctx.bucket(fo.first_date.cast("timestamp")))
    if ctx.window is not None:
        fo = windowed(fo.mutate(_ts=fo.first_date.cast("timestamp")), "_ts", ctx)
    cust = ds.table("customers", "customer_id", "came_from_competitor")
    cust = cust.group_by(cid=cust.customer_id).aggregate(ccc=cust.came_from_competitor.max())
    j = fo.left_join(cust, fo.customer_id == cust.cid)
    j = with_group(ds, ctx, j.drop("cid"))
    return j.group_by(keys(ctx)).aggregate(
        numerator=f64(ind(j.ccc.fill_null(False)).sum()),
        denominator=f64(j.customer_id.count()),
    )


for _id, _fn, _req, _sec, _pct, _bd in (
    ("interaction_frequency", interaction_frequency, ("transactions", "interactions"),
     "engagement", False, None),
    ("participation_rate", participation_rate, ("transactions", "interactions"),
     "engagement", True, None),
    ("feedback_channel_utilisation", feedback_channel_utilisation,
     ("interactions.effective", "interactions.channel"), "engagement", True, "channel"),
    ("program_redemption_rate", program_redemption_rate, ("loyalty_points",), "engagement",
     True, None),
    ("member_repeat_rate", member_repeat_rate, ("transactions", "loyalty_points"),
     "engagement", True, "member"),
    ("member_spend", member_spend, ("transactions", "loyalty_points"), "engagement", False,
     "member"),
    ("referral_rate", referral_rate, ("transactions", "referrals"), "satisfaction", True, None),
    ("referral_conversion_rate", referral_conversion_rate, ("referrals.converted",),
     "satisfaction", True, None),
    ("switching_rate", switching_rate, ("transactions", "customers.came_from_competitor"),
     "satisfaction", True, None),
):
    register(Metric(_id, _sec, _req, _fn, percent=_pct, breakdown=_bd,  # type: ignore[arg-type]
                    window_n=point_members if _id == "program_redemption_rate" else None))
