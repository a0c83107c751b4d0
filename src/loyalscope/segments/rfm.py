"""RFM: recency, frequency and monetary summaries, n-tile scores and named segments.

Definitions (at the date ``as_of``, using only orders strictly before it)

- ``recency_days`` = days from the last order to ``as_of`` (0 for an order on the day before).
- ``frequency`` = number of orders.
- ``monetary`` = total order amount.

Scores (1 .. ``bins``, default 5)
    Each of R, F, M is an n-tile of customers by "goodness": with ``below`` the number of
    customers whose value is strictly worse, ``score = floor(below * bins / n) + 1``. Goodness is
    ``-recency_days`` for R (so the MOST RECENT buyer gets the HIGHEST R score; the bug of
    scoring lapsed customers high is tested against), ``frequency`` for F and ``monetary`` for M.

Tie rule
    Equal values get equal scores: the score depends on the value only, never on the customer
    id. Where many customers share a value the bins are unequal and some scores can be empty
    (with 60% one-time buyers, F jumps from 1 to 4); :func:`score_bins` states every score's
    value range and customer count, and the report shows that distribution. Customers with the
    lowest value always score 1, so one-time buyers never reach the top F score. (Before, ties
    were broken by customer id: one-time buyers got F scores 1-5 in equal shares and 769 of them
    were "Champions".)

Segments: see :mod:`loyalscope.segments.scheme`.

Reference: Hughes, A. M. (1994). *Strategic Database Marketing*, ch. on RFM.
"""

from __future__ import annotations

from datetime import date, datetime

import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.metrics._base import collect_by_customer
from loyalscope.segments.scheme import Scheme, load_scheme

_DIMS = ("recency_days", "frequency", "monetary")


def rfm_summary(ds: Dataset, as_of: date | None = None) -> pd.DataFrame:
    """Per-customer ``recency_days``, ``frequency``, ``monetary`` computed in the engine.

    Only orders with ``order_ts < as_of`` (midnight) count; default ``as_of`` is
    ``ds.analysis_date``. One row per customer with at least one such order. Memoised per date
    (a copy is returned); :func:`prefetch_summaries` computes several dates in one query.
    """
    as_of = as_of or ds.analysis_date
    prefetch_summaries(ds, [as_of])
    return _summaries(ds)[as_of].copy()


def _summaries(ds: Dataset) -> dict[date, pd.DataFrame]:
    """The summaries computed so far on this dataset, by date."""
    return ds.memo(("rfm_summaries",), dict)


MEMBER_TOTALS = ("order_count", "total_spend", "last_order_ts")
"""The columns of a member list (a CRM's customers with their purchase totals) that give RFM
without the orders."""


def from_member_totals(ds: Dataset) -> bool:
    """Whether the RFM summary comes from a member list's totals: the data have no orders, and
    the customers have :data:`MEMBER_TOTALS`."""
    return not ds.has("transactions") and all(ds.has("customers", c) for c in MEMBER_TOTALS)


def member_summary(ds: Dataset, as_of: date) -> pd.DataFrame:
    """:func:`rfm_summary` from a member list: per member with at least one purchase,
    ``recency_days`` = days from ``last_order_ts`` to ``as_of``, ``frequency`` = ``order_count``,
    ``monetary`` = ``total_spend`` (the CRM's own totals, as the list states them). Only the
    analysis date has one: the totals at an earlier date are not in the list."""
    cu = ds.table("customers", "customer_id", *MEMBER_TOTALS)
    cu = cu.filter((cu.order_count > 0) & cu.last_order_ts.notnull()
                   & (cu.last_order_ts < datetime.combine(as_of, datetime.min.time())))
    # through Arrow, sorted by id as text, as the summaries from the orders are
    frame = collect_by_customer(cu.select("customer_id", "last_order_ts", frequency=cu.order_count,
                                          monetary=cu.total_spend.fill_null(0.0)), ds).reset_index()
    last = pd.to_datetime(frame["last_order_ts"])
    frame["recency_days"] = (pd.Timestamp(as_of) - last).dt.total_seconds() / 86400.0
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["monetary"] = frame["monetary"].astype("float64")
    return frame[["customer_id", *_DIMS]].reset_index(drop=True)


def prefetch_summaries(ds: Dataset, dates: list[date]) -> None:
    """Compute the :func:`rfm_summary` of each date not yet computed in one pass over the
    orders (per customer, the aggregates of the orders before each date) and memoise them.
    From a member list (:func:`from_member_totals`) only the analysis date has one."""
    done = _summaries(ds)
    todo = sorted({d for d in dates if d not in done})
    if not todo:
        return
    if from_member_totals(ds):
        if ds.analysis_date in todo:
            done[ds.analysis_date] = member_summary(ds, ds.analysis_date)
        return
    cuts = [datetime.combine(d, datetime.min.time()) for d in todo]
    tx = ds.table("transactions", "customer_id", "order_ts", "amount")
    tx = tx.filter(tx.order_ts < max(cuts))
    aggs = {}
    for i, cut in enumerate(cuts):
        before = tx.order_ts < cut
        aggs[f"last_ts{i}"] = tx.order_ts.max(where=before)
        aggs[f"frequency{i}"] = tx.count(where=before)
        # exact and independent of row order, as money_sum
        aggs[f"monetary{i}"] = tx.amount.cast(dt.Decimal(18, 4)).sum(where=before).cast("float64")
    # through Arrow, sorted by id as text, the ids those of earlier per-customer frames
    # (:func:`collect_by_customer`; Ibis's ``to_pandas`` made a Python object of every value of
    # a column holding a missing value: 0.5-1 s at a million customers)
    wide = collect_by_customer(tx.group_by("customer_id").aggregate(**aggs), ds).reset_index()
    for i, (day, cut) in enumerate(zip(todo, cuts, strict=True)):
        freq = wide[f"frequency{i}"].fillna(0).astype("int64")
        df = pd.DataFrame({"customer_id": wide["customer_id"], "last_ts": wide[f"last_ts{i}"],
                           "frequency": freq, "monetary": wide[f"monetary{i}"]})[freq.to_numpy() > 0]
        last = pd.to_datetime(df["last_ts"])
        df["recency_days"] = (pd.Timestamp(cut) - last).dt.total_seconds() / 86400.0
        df["monetary"] = df["monetary"].astype("float64")
        df = df[["customer_id", *_DIMS]].reset_index(drop=True)
        done[day] = df


def ntile_scores(values: np.ndarray, bins: int = 5) -> np.ndarray:
    """Scores 1..bins, higher for higher ``values``: ``floor(bins * below / n) + 1`` with ``below``
    the number of values strictly lower (equal values, equal scores; missing values, sorted
    last, count as equal to each other).

    ``below`` is read off one sort: in sorted order, each value's count of lower values is the
    position where its run of equal values starts (a search of every value in the sorted array
    cost twice the sort at a million customers)."""
    v = np.asarray(values, dtype=float)
    n = v.size
    if n == 0:
        return np.zeros(0, dtype=int)
    order = np.argsort(v, kind="stable")
    s = v[order]
    nan = np.isnan(s)
    starts = np.ones(n, dtype=bool)
    starts[1:] = (s[1:] != s[:-1]) & ~(nan[1:] & nan[:-1])
    pos = np.arange(n)
    below = np.empty(n, dtype=np.int64)
    below[order] = np.maximum.accumulate(np.where(starts, pos, 0))
    return (below * bins // n + 1).astype(int)


def score_rfm(summary: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """Add ``r``, ``f``, ``m`` scores (1..bins) to an :func:`rfm_summary` frame."""
    out = summary.copy()
    out["r"] = ntile_scores(-out["recency_days"].to_numpy(float), bins)
    out["f"] = ntile_scores(out["frequency"].to_numpy(float), bins)
    out["m"] = ntile_scores(out["monetary"].to_numpy(float), bins)
    return out


def score_bins(scored: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """The bins as scored: per dimension (``r``, ``f``, ``m``) and score 1..bins, the lowest and
    highest value of the customers with that score (recency in days, frequency in orders,
    monetary in currency) and their number and share; empty scores have no values and 0 customers."""
    rows = []
    n = max(len(scored), 1)
    for dim, col in (("r", "recency_days"), ("f", "frequency"), ("m", "monetary")):
        g = scored.groupby(dim)[col].agg(["min", "max", "size"])
        for score in range(1, bins + 1):
            has = score in g.index
            rows.append({"dimension": dim, "score": score,
                         "lowest": float(g.loc[score, "min"]) if has else None,
                         "highest": float(g.loc[score, "max"]) if has else None,
                         "customers": int(g.loc[score, "size"]) if has else 0,
                         "share": (int(g.loc[score, "size"]) if has else 0) / n})
    return pd.DataFrame(rows)


def _codes(scored: pd.DataFrame, scheme: Scheme) -> pd.Series:
    """The code of each customer: the scores written one after the other ("53", "545") or
    H/L per dimension ("HLH"). The parts take a handful of values, so each distinct combination
    is written once and gathered (no string work per customer)."""
    if scheme.key == "r_fm":
        fm = np.floor((scored["f"] + scored["m"]) / 2 + 0.5).astype(int)
        parts = [scored["r"].to_numpy(), fm.to_numpy()]
    elif scheme.key == "rfm":
        parts = [scored[c].to_numpy() for c in ("r", "f", "m")]
    else:
        split = high_low_splits(scored, scheme)
        parts = [np.where(scored["recency_days"] < split["recency_days"], "H", "L"),
                 np.where(scored["frequency"] > split["frequency"], "H", "L"),
                 np.where(scored["monetary"] > split["monetary"], "H", "L")]
    return pd.Series(_joined(parts), index=scored.index)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """``str(p1) + str(p2) + ...`` per row, as an object array, computed once per distinct row."""
    n = len(parts[0]) if parts else 0
    if n == 0:
        return np.empty(0, dtype=object)
    key = np.zeros(n, dtype=np.int64)
    uniques = []
    for p in parts:
        codes, u = pd.factorize(p, sort=False)
        key = key * len(u) + codes
        uniques.append(u)
    inverse, keys = pd.factorize(key, sort=False)
    texts = np.empty(len(keys), dtype=object)
    for i, k in enumerate(np.asarray(keys, dtype=np.int64)):
        digits = []
        for u in reversed(uniques):
            k, c = divmod(int(k), len(u))
            digits.append(str(u[c]))
        texts[i] = "".join(reversed(digits))
    return texts[inverse]


def high_low_splits(summary: pd.DataFrame, scheme: Scheme) -> dict[str, float]:
    """The split values of a "high_low" scheme: mean, median or the given thresholds."""
    if scheme.split == "thresholds":
        return dict(scheme.thresholds)
    agg = "mean" if scheme.split == "mean" else "median"
    return {d: float(getattr(summary[d], agg)()) for d in _DIMS}


def assign_segments(scored: pd.DataFrame, scheme: Scheme, lang: str = "en") -> pd.DataFrame:
    """Add ``code``, ``segment_id`` and ``segment`` (name in ``lang``) to a scored frame."""
    return _add_segments(scored.copy(), scheme, lang)


def _add_segments(out: pd.DataFrame, scheme: Scheme, lang: str) -> pd.DataFrame:
    """:func:`assign_segments` on ``out`` itself (a frame of the caller's own)."""
    lookup = scheme.lookup()
    out["code"] = _codes(out, scheme).to_numpy()
    codes, uniques = pd.factorize(out["code"], sort=False)  # a few dozen codes: look each up once
    segs = [lookup[c] for c in uniques]
    out["segment_id"] = np.array([s.id for s in segs], dtype=object)[codes] if len(out) else out["code"]
    out["segment"] = np.array([s.name(lang) for s in segs], dtype=object)[codes] if len(out) else out["code"]
    return out


def rfm_segments(
    ds: Dataset,
    scheme: str | Scheme = "classic11",
    as_of: date | None = None,
    bins: int | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """RFM summary, scores and segments of every customer who bought before ``as_of``."""
    sch = scheme if isinstance(scheme, Scheme) else load_scheme(scheme)
    if sch.key == "r_fm":
        bins = sch.bins  # the grid patterns are written for the file's number of levels
    elif sch.key == "high_low":
        bins = bins or ds.config.segments.rfm_bins  # scores shown beside the H/L code
    else:
        bins = bins or sch.bins
    scored = score_rfm(rfm_summary(ds, as_of), bins)
    return _add_segments(scored, sch, lang)  # a fresh frame: no copy (1M customers: 0.1 s)


def segment_counts(segmented: pd.DataFrame, scheme: Scheme, lang: str = "en") -> dict[str, int]:
    """Customers per segment, every segment of the scheme listed (zero counts included)."""
    counts = segmented["segment_id"].value_counts()
    return {s.name(lang): int(counts.get(s.id, 0)) for s in scheme.segments}


def migration(
    ds: Dataset,
    start: date,
    end: date,
    scheme: str | Scheme = "classic11",
    lang: str = "en",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment migration from ``start`` to ``end``: (counts, row shares).

    Rows are segments at ``start``, columns segments at ``end``; customers who had not bought
    by ``start`` appear in the row "(new)". Shares are counts divided by the row total.
    """
    sch = scheme if isinstance(scheme, Scheme) else load_scheme(scheme)
    a = rfm_segments(ds, sch, start, lang=lang)[["customer_id", "segment"]]
    b = rfm_segments(ds, sch, end, lang=lang)[["customer_id", "segment"]]
    both = b.merge(a, on="customer_id", how="left", suffixes=("_end", "_start"))
    both["segment_start"] = both["segment_start"].fillna("(new)")
    names = [s.name(lang) for s in sch.segments]
    counts = pd.crosstab(both["segment_start"], both["segment_end"])
    counts = counts.reindex(index=[*names, "(new)"], columns=names, fill_value=0)
    counts = counts.loc[counts.sum(axis=1) > 0]
    shares = counts.div(counts.sum(axis=1), axis=0)
    return counts, shares

