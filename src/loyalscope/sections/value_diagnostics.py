"""BTYD diagnostics added to the value section: the tracking plot and the calibration-period
repeat-transaction distribution of the chosen model, and each customer's repeat purchase days
(for the P(alive) history on the web customer page).

Called once from :func:`loyalscope.sections.value.build` after the section is built; reads the
fitted model from ``ctx.results["value"]``. Aggregates come from the engine: customers by
first-purchase day, repeat purchase days by day (purchase days as in
:mod:`loyalscope.metrics.summary`), and per customer the list of repeat purchase days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalscope.metrics._base import epoch_days
from loyalscope.models.purchase.clv import DAYS_PER_UNIT
from loyalscope.models.purchase.tracking import frequency_distribution, tracking_frame
from loyalscope.results import Chart, Section, Text
from loyalscope.sections.value_inputs import by_customer_buckets

MAX_PERIODS = 104
"""At most this many tracking periods (weeks, or longer periods for long histories)."""


def _days(ds: Any) -> Any:
    tx = ds.table("transactions", "customer_id", "order_ts")
    d = tx.select(customer_id=tx.customer_id, day=epoch_days(tx.order_ts.date())).distinct()
    first = d.group_by("customer_id").aggregate(first=d.day.min()).rename(cid="customer_id")
    return d.inner_join(first, d.customer_id == first.cid)


def tracking_inputs(ds: Any, days: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customers per first-purchase day, repeat purchase days per day), days since 1970.

    Sorted by day: the expected curve is a sum over births, and a group-by returns its groups in
    a different order on each multi-threaded run (the sum's last digits changed run to run).
    ``days``: the purchase days of :func:`_days`, when the caller has them materialised."""
    j = _days(ds) if days is None else days
    births = (j.filter(j.day == j.first).group_by("first").aggregate(n=j.customer_id.count())
              .order_by("first").execute())
    rep = j.filter(j.day > j.first)
    repeats = rep.group_by("day").aggregate(n=rep.customer_id.count()).order_by("day").execute()
    return births, repeats


def repeat_purchase_days(ds: Any, days: Any = None) -> pd.DataFrame:
    """customer_id and repeat_purchase_days: the days after the first purchase day on which the
    customer bought again, space separated in increasing order (sorted in the engine: the same
    text on every run and engine, not the order the engine's threads collected them in)."""
    j = _days(ds) if days is None else days
    rep = j.filter(j.day > j.first).mutate(offset=(j.day - j.first).cast("int64"))

    def per_customer(part: Any) -> Any:  # lists per customer: in buckets past BUCKET_ROWS
        agg = part.group_by("customer_id").aggregate(days=part.offset.collect())
        return agg.select("customer_id", repeat_purchase_days=agg.days.sort().map(lambda v: v.cast("string")).join(" "))

    out = by_customer_buckets(rep, per_customer)
    out["customer_id"] = out["customer_id"].astype(str)
    return out


def add_btyd_diagnostics(section: Section, ds: Any, ctx: Any, full: pd.DataFrame,
                         tracking: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> None:
    """Add the tracking and frequency-distribution charts of the fitted model to ``section``.

    ``tracking``: what :func:`tracking_inputs` returns, when the caller has it
    (:mod:`loyalscope.sections.value_inputs`); ``full`` may carry the ``repeat_purchase_days``
    column already. With both, nothing is queried here."""
    fitted = (ctx.results.get("value") or {}).get("model") if ctx is not None else None
    if fitted is None or section.skipped:
        return
    if tracking is not None and "repeat_purchase_days" in full:
        _add(section, ds, ctx, full, fitted, None, tracking)
        return
    with _days(ds).cache() as cached:  # purchase days and first days: one pass, read twice
        _add(section, ds, ctx, full, fitted, cached, tracking)


def _add(section: Section, ds: Any, ctx: Any, full: pd.DataFrame, fitted: Any, days: Any,
         tracking: tuple[pd.DataFrame, pd.DataFrame] | None) -> None:
    unit = ctx.config.value.time_unit
    per = DAYS_PER_UNIT[unit]
    births, repeats = tracking_inputs(ds, days) if tracking is None else tracking
    last_repeat = float(repeats["day"].max()) if len(repeats) else 0.0
    start, end = float(births["first"].min()), max(float(births["first"].max()), last_repeat)
    step = max(7.0, float(np.ceil((end - start + 1) / MAX_PERIODS / 7.0)) * 7.0)  # whole weeks
    ends = np.arange(start + step, end + step, step)
    frame = tracking_frame(fitted, births["first"].to_numpy(float) / per, births["n"].to_numpy(float),
                           repeats["day"].to_numpy(float) / per, repeats["n"].to_numpy(float), ends / per)
    frame["period_end"] = pd.to_datetime(ends - 1, unit="D").strftime("%Y-%m-%d")
    stats = (ctx.results.get("value") or {}).get("full_rows")
    if stats is not None:  # distinct (x, t_x, T) rows with counts: the same sums, exactly
        dist = frequency_distribution(fitted, stats.x, stats.T, weights=stats.counts)
    else:
        dist = frequency_distribution(fitted, full.frequency, full["T"])
    section.add(
        Chart(kind="tracking", title="models.charts.tracking_title", frame=frame,
              options={"height": 520, "x_title": "models.charts.week_ending"},
              note="models.charts.tracking_note", note_kw={"days": int(step)}),
        Chart(kind="frequency_distribution", title="models.charts.distribution_title", frame=dist,
              note="models.charts.distribution_note", note_kw={"n": len(full)}),
    )
    gap = float(frame.cumulative_actual.iloc[-1] - frame.cumulative_expected.iloc[-1])
    total = float(frame.cumulative_actual.iloc[-1])
    section.add(Text("models.charts.tracking_finding", {"actual": f"{total:,.0f}", "expected": f"{total - gap:,.0f}",
                                                        "gap": f"{gap / total:+.1%}" if total else "-"}, style="note"))
    section.data["btyd_model"] = fitted.to_dict()
    section.data["tracking"] = {"period_days": step, "cumulative_actual": total,
                                "cumulative_expected": float(frame.cumulative_expected.iloc[-1])}
    ages = pd.DataFrame({"customer_id": full.customer_id.astype(str).to_numpy(), "btyd_T": full["T"].to_numpy(float)})
    if "repeat_purchase_days" in full:
        ages["repeat_purchase_days"] = full.repeat_purchase_days.to_numpy(object)
    else:
        try:
            ages = ages.merge(repeat_purchase_days(ds, days), on="customer_id", how="left")
        except Exception:
            pass
    ctx.add_customer_columns(ages)
