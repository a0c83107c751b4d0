"""Metric records and the registry.

A metric is a record (:class:`Metric`) whose ``build`` returns an Ibis table with the columns
``period`` (date, start of the period), the group column when ``ctx.by`` is set, ``numerator``
and ``denominator`` (float64), optionally ``value`` (for statistics that are not a ratio,
e.g. a median), and optionally ``n`` (int64: the number of cases behind the value, for metrics
whose denominator is an amount of money or points rather than a number of customers, orders or
answers). :func:`compute` runs it and turns it into a pandas frame with ``value``,
``numerator``, ``denominator``, [``n``] and ``reason`` (null where the value is defined;
``"zero_denominator"`` where the denominator is 0: the value is then null, never 0).

Display names and formulas come from the i18n catalogues: ``metrics.<id>.name`` and
``metrics.<id>.formula``; a metric whose name and definition depend on the data (CSAT of a yes /
no question is the share of yes, not a top-2-box share) gives the keys of the variant that fits a
dataset through its ``wording`` hook (``metrics.<id>.<variant>.name`` / ``.formula``). Whatever
shows such a metric's name or definition with the data at hand asks :func:`wording`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Literal

import ibis
import numpy as np
import pandas as pd

from loyalscope.errors import ConfigError, SchemaError
from loyalscope.i18n import t

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

Grain = Literal["day", "week", "month", "quarter", "year"]
GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
_TRUNC = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class MetricContext:
    """How a metric is asked for: period grain, optional group column, optional window."""

    period: Grain = "month"
    by: str | None = None
    window: tuple[date, date] | None = None
    """[start, end) dates; rows outside are ignored."""

    def bucket(self, ts: ibis.Value) -> ibis.Value:
        """The start date of the period that timestamp ``ts`` falls in."""
        return ts.truncate(_TRUNC[self.period]).cast("date")


Builder = Callable[["Dataset", MetricContext], ibis.Table]


@dataclass(frozen=True)
class Wording:
    """The catalogue keys of a metric's display name and of its definition (the formula the
    report shows with each number)."""

    name: str
    formula: str

    @classmethod
    def of(cls, key: str) -> Wording:
        """``metrics.csat_top2.yes_no`` -> its ``.name`` and ``.formula`` keys."""
        return cls(f"{key}.name", f"{key}.formula")


@dataclass(frozen=True)
class Metric:
    """One catalogue entry."""

    id: str
    section: Literal["behaviour", "retention", "satisfaction", "service", "engagement", "value"]
    requires: tuple[str, ...]
    """"table" or "table.column" names the metric needs."""
    build: Builder
    percent: bool = True
    """Whether ``value`` is a share shown as a percentage."""
    breakdown: str | None = None
    """A column the metric is always split by (e.g. ``channel`` for the channel mix)."""
    window_n: Callable[[Dataset, MetricContext], ibis.Value] | None = None
    """For a metric whose ``n`` counts people (customers, members), who are not additive across
    periods: the number of distinct cases over ``ctx.window`` (an Ibis scalar), so that a figure
    pooled over several periods gets its true sample size. None where ``n`` adds up (orders)
    or is absent."""
    prefetch: Callable[[Dataset, MetricContext, list[str]], None] | None = None
    """Optional: compute what the metric's splits by several columns share in one pass and
    memoise it (``prefetch(dataset, ctx, bys)``, ``ctx`` without a group), before
    :func:`prefetch` builds the splits; e.g. the retention family's per-customer activity
    facts (:func:`loyalscope.metrics.activity.prefetch_counts`)."""

    additive: bool = False
    """Whether ``numerator``, ``denominator`` and ``n`` are counts of cases that each belong to
    one customer (orders, ordering customers, answers), so that a split by several customer
    attributes at once adds up to the split by each of them
    (:mod:`loyalscope.metrics.combined`). Not for sums of money (their float sums would
    differ in the last digits), a constant denominator (the volumes' 1) or statistics given as
    ``value`` (medians)."""

    wording: Callable[[Dataset], Wording] | None = None
    """For a metric whose name and definition depend on the data (``csat_top2``: share of yes,
    top box or top two boxes by the satisfaction question's scale): the keys that fit a dataset.
    None: ``metrics.<id>.name`` / ``.formula`` whatever the data. Read it through
    :func:`wording`."""

    def name(self, lang: str | None = None, ds: Dataset | None = None) -> str:
        return t(wording(self.id, ds).name, lang)

    def formula(self, lang: str | None = None, ds: Dataset | None = None) -> str:
        return t(wording(self.id, ds).formula, lang)


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add ``metric`` to the registry (ids are unique)."""
    if metric.id in REGISTRY:
        raise ValueError(f"metric {metric.id!r} registered twice")
    REGISTRY[metric.id] = metric
    return metric


def wording(metric_id: str, ds: Dataset | None = None) -> Wording:
    """The catalogue keys of ``metric_id``'s display name and definition on ``ds``.

    ``metrics.<id>.name`` / ``.formula``, except for a metric with a ``wording`` hook given a
    dataset: the variant that says what was counted on that data (see :class:`Metric`). The
    metric id itself never changes (it is the stable id of analysis.json and configurations).
    """
    metric = REGISTRY.get(metric_id)
    if ds is not None and metric is not None and metric.wording is not None:
        return metric.wording(ds)
    return Wording.of(f"metrics.{metric_id}")


def get(metric_id: str) -> Metric:
    """The metric ``metric_id``; a clear error listing the known ids otherwise."""
    try:
        return REGISTRY[metric_id]
    except KeyError:
        raise ConfigError(
            f"Unknown metric {metric_id!r}.",
            value=metric_id,
            fix="Run `loyalscope metrics list` for the ids; known: " + ", ".join(sorted(REGISTRY)),
        ) from None


def compute(
    dataset: Dataset,
    metric_id: str,
    period: Grain = "month",
    by: str | None = None,
    window: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """Compute ``metric_id`` per period (and group).

    Returns
    -------
    pandas.DataFrame
        ``period``, [``by``], ``value``, ``numerator``, ``denominator``, [``n``], ``reason``;
        sorted by period (and group); ``n`` only for the metrics that compute it. ``reason`` is ``"zero_denominator"`` where the value is undefined.
        Computed once per dataset (:meth:`Dataset.memo`); each call returns a copy.
    """
    if period not in GRAINS:
        raise ConfigError(
            f"Unknown period {period!r}.", value=period, fix=f"Use one of: {', '.join(GRAINS)}."
        )
    metric = get(metric_id)
    missing = dataset.missing(metric.requires)
    if missing:
        raise SchemaError(
            t("core.errors.needs", what=", ".join(missing)),
            fix=t("core.errors.missing_column_fix", table=missing[0].split("|")[-1].split(".")[0],
                  column=missing[0].split("|")[-1].partition(".")[2] or "..."),
        )
    ctx = MetricContext(period=period, by=by, window=window)

    def run() -> pd.DataFrame:
        return finish(metric.build(dataset, ctx).execute(), by, metric.breakdown)

    # one computation per dataset: the sections, the monitor and the CLI ask for the same series
    return dataset.memo(("metric", metric_id, period, by, window), run).copy()


def prefetch(dataset: Dataset, metric_id: str, period: Grain, bys: list[str],
             window: tuple[date, date] | None = None) -> None:
    """Compute ``metric_id`` split by each column of ``bys`` in one engine query (a union of
    the per-column tables, tagged) and memoise each split as :func:`compute` would: the later
    ``compute(..., by=b)`` calls return the same frames without a query each. A metric's own
    ``prefetch`` (:attr:`Metric.prefetch`) runs first; an additive metric
    (:attr:`Metric.additive`) gets its splits by customer attributes from one query grouped by
    all of them (:mod:`loyalscope.metrics.combined`), the other columns from the union.

    Only an optimisation: columns whose table cannot be built, or whose tables do not line up
    (another column set or type; a group column that is not a string, whose pandas type could
    change once padded with nulls), are left to :func:`compute`, which raises as usual."""
    metric = get(metric_id)
    if period not in GRAINS or dataset.missing(metric.requires) or len(bys) < 2:
        return
    if metric.prefetch is not None:
        try:
            metric.prefetch(dataset, MetricContext(period=period, window=window), list(bys))
        except Exception:  # only an optimisation: compute() raises as usual
            pass
    bys = list(dict.fromkeys(bys))
    if metric.additive:  # the customer columns from one query grouped by all of them
        from loyalscope.metrics import combined

        try:
            done = combined.prefetch(dataset, metric, period, bys, window)
        except Exception:  # only an optimisation: the columns are split one by one below
            done = []
        bys = [b for b in bys if b not in done]
    parts: list[tuple[str, ibis.Table]] = []
    for by in bys:
        try:
            expr = metric.build(dataset, MetricContext(period=period, by=by, window=window))
        except Exception:  # compute() raises it again, where it is handled
            continue
        if by in expr.columns and expr.schema()[by].is_string():
            parts.append((by, expr))
    rest = [c for c in parts[0][1].columns if c != parts[0][0]] if parts else []
    shape = [(c, parts[0][1].schema()[c]) for c in rest]
    parts = [(b, e) for b, e in parts if [(c, e.schema()[c]) for c in e.columns if c != b] == shape]
    if len(parts) < 2:
        return
    slots = {b: f"_g{i}" for i, (b, _) in enumerate(parts)}
    tagged = [e.select(_part=ibis.literal(i).cast("int64"),
                       **{slots[b2]: (e[b] if b2 == b else ibis.null().cast("string"))
                          for b2, _ in parts},
                       **{c: e[c] for c in rest})
              for i, (b, e) in enumerate(parts)]
    try:
        frame = ibis.union(*tagged, distinct=False).execute()
    except Exception:  # left to compute(), one column at a time
        return
    tag = frame["_part"].to_numpy()
    for i, (by, expr) in enumerate(parts):
        part = frame[tag == i].rename(columns={slots[by]: by})[list(expr.columns)]
        done = finish(part.reset_index(drop=True), by, metric.breakdown)
        dataset.memo(("metric", metric_id, period, by, window), partial(_same, done))


def _same(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


def finish(df: pd.DataFrame, by: str | None, breakdown: str | None = None) -> pd.DataFrame:
    """Add ``value`` (numerator / denominator where not given) and ``reason``; keep ``n``
    (int64) when the metric computes it; sort.

    The columns are computed as arrays and the frame is built once (a frame per metric split:
    the column-by-column assignments on a copy were most of the time a monitor run spent
    here)."""
    df = df.reset_index(drop=True)  # positions (a stable sort keeps their order among ties)
    num = df["numerator"].astype("float64")
    den = df["denominator"].astype("float64")
    zero = (den.fillna(0) == 0).to_numpy()
    if "value" in df.columns:
        value = df["value"].astype("float64").to_numpy(copy=True)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (num / den).to_numpy(copy=True)
    value[zero] = np.nan
    reason = pd.Series("zero_denominator", index=df.index, dtype=object).where(zero, None)
    if "reason" in df.columns:
        given = df["reason"]
        reason = reason.where(zero, given.where(given.notna(), None))
    period = df["period"]
    period = (period.dt.date if pd.api.types.is_datetime64_dtype(period.dtype)
              else pd.to_datetime(period).dt.date)
    keys = ["period"] + ([by] if by else []) + ([breakdown] if breakdown and breakdown != by else [])
    out = {"period": period, **{k: df[k] for k in keys[1:]}, "value": value, "numerator": num,
           "denominator": den}
    if "n" in df.columns:  # periods or groups without rows have no case: 0, never null
        out["n"] = df["n"].fillna(0).astype("int64")
    out["reason"] = reason
    frame = pd.DataFrame(out, index=df.index)
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)
