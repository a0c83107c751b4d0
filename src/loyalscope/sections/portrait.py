"""Customer portrait (消费者画像): who the customers are and how loyalty differs between them.

For each descriptor the data has (region, gender, age band, acquisition channel, member tier,
acquisition cohort), a table per group of the number of customers and their share, the repeat
purchase rate (>= 2 orders), retention (an order within the inactivity window before the analysis
date), mean CLV and NPS of the group's respondents, with a chi-square test of independence of
group and repeat purchase and of group and retention (Pearson 1900; df = (groups - 1)), shown
with its n. Groups smaller than ``MIN_GROUP`` customers are pooled into "other" for the test.
Customer-sized frames only (one row per customer), as the architecture allows.

A member list without orders (its CRM totals: order count, total spend, last purchase time,
:func:`loyalscope.segments.rfm.from_member_totals`) gives the same tables: repeat purchase is an
order count of 2 or more, retention a last purchase within the window, the cohort the quarter of
the list's first purchase time (none without one); said in the section's first line.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.metrics._base import collect_by_customer, join_by_customer
from loyalscope.metrics.window import DEFAULT_DAYS, inactivity_days
from loyalscope.results import Chart, Number, Phrase, Section, Table, Text
from loyalscope.sections.context import SectionContext
from loyalscope.segments.rfm import from_member_totals

SECTION_ID = "portrait"
NEEDS = ("segments", "value")
K = "portrait."
MIN_GROUP = 5
MAX_GROUPS = 12
AGE_BANDS = (0, 25, 35, 45, 55, 200)
AGE_IDS = ("under_25", "25_34", "35_44", "45_54", "55_plus")
DESCRIPTORS = ("region", "gender", "age_band", "channel", "member_tier", "cohort")


def age_band(age: pd.Series) -> pd.Series:
    """Age band ids (``under_25`` ... ``55_plus``); missing ages stay missing."""
    cut = pd.cut(pd.to_numeric(age, errors="coerce"), AGE_BANDS, right=False, labels=AGE_IDS)
    return cut.astype("string")


def chi_square(groups: pd.Series, outcome: pd.Series) -> dict[str, float] | None:
    """Chi-square test of independence between a group label and a 0/1 outcome.

    Groups are compared by their text (``astype("string")``; missing: ``__unknown__``); groups
    with fewer than :data:`MIN_GROUP` customers whose outcome is known are pooled as
    ``__other__``; the table's rows and columns are in sorted order (``pd.crosstab``'s table).
    Returns chi2, df, p, n, or None when fewer than two groups remain or the outcome does not
    vary.
    """
    return _chi_square_coded(*group_codes(groups), outcome)


def group_codes(groups: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The distinct group texts (``astype("string")`` of each value, ``__unknown__`` for a
    missing one) and each row's position among them.

    Each distinct value is written as text once (not each of a million rows), and values with
    the same text (``1`` and ``"1"``) are one group."""
    raw, uniques = pd.factorize(groups, use_na_sentinel=True)
    texts = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype("string")
    names = np.array([*texts.fillna("__unknown__").tolist(), "__unknown__"], dtype=object)
    merged, labels = pd.factorize(names)
    return np.asarray(labels, dtype=object), merged[np.where(raw < 0, len(names) - 1, raw)]


def _chi_square_coded(labels: np.ndarray, codes: np.ndarray, outcome: pd.Series) -> dict[str, float] | None:
    """:func:`chi_square` from :func:`group_codes`: the table counted from integer codes."""
    y = outcome.astype(float).to_numpy()
    known = ~np.isnan(y)
    codes, y = codes[known], y[known]
    counts = np.bincount(codes, minlength=len(labels))
    final = np.where(counts < MIN_GROUP, "__other__", labels.astype(object))
    rows = sorted({str(v) for v in final[counts > 0]})
    at = {v: i for i, v in enumerate(rows)}  # a lookup: a city or product column has thousands
    row_of = np.array([at[v] if c > 0 else -1 for v, c in zip(final, counts, strict=True)], dtype=np.int64)
    col, cols = pd.factorize(y, sort=True)  # hashed, then the few distinct values sorted
    if len(rows) < 2 or len(cols) < 2:
        return None
    table = np.bincount(row_of[codes] * len(cols) + col,
                        minlength=len(rows) * len(cols)).reshape(len(rows), len(cols)).astype(np.int64)
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    return {"chi2": float(chi2), "df": float(dof), "p": float(p), "n": float(table.sum())}


def _profile(ds: Dataset, ctx: SectionContext) -> pd.DataFrame:
    """One row per customer with orders: descriptors and loyalty outcomes."""
    seg = ctx.results.get("rfm")
    if seg is None:  # no orders, orders without customer ids, or segments skipped for a reason
        ds.table("transactions", "customer_id")  # the first two say so themselves
        raise InsufficientDataError(t("portrait.needs_segments"), fix=t("portrait.needs_segments_fix"))
    prof = seg[["customer_id", "frequency", "recency_days"]].copy()
    prof["customer_id"] = prof.customer_id.astype(str)
    prof["repeat"] = (prof.frequency >= 2).astype(float)
    prof["retained"] = (prof.recency_days <= window_days(ds)).astype(float)
    cu = ctx.customers
    if cu is not None and "clv" in cu.columns:
        ids = cu.customer_id.astype(str)
        if ids.reset_index(drop=True).equals(prof.customer_id.reset_index(drop=True)):
            prof["clv"] = cu.clv.to_numpy()  # the same customers in the same order: no lookup
        else:
            prof = prof.merge(pd.DataFrame({"customer_id": ids, "clv": cu.clv}), on="customer_id", how="left")
    # first order, descriptors and mean NPS per customer: joined in the engine, one merge here
    if from_member_totals(ds):  # a member list: its first purchase time, where it has one
        cu = ds.table("customers", "customer_id")
        firsts = cu.select("customer_id", first=cu.first_order_ts if "first_order_ts" in cu.columns
                           else ibis.null().cast("timestamp"))
    else:
        tx = ds.table("transactions", "customer_id", "order_ts")
        firsts = tx.group_by("customer_id").aggregate(first=tx.order_ts.min())
    parts = []
    if ds.has("customers"):
        cols = [c for c in ("region", "gender", "age", "channel", "member_tier", "signup_date")
                if ds.has("customers", c)]
        if cols:
            parts.append(ds.table("customers", "customer_id", *cols))
    if ds.has("surveys", "nps"):
        sv = ds.linked_answers("nps")
        parts.append(sv.group_by("customer_id").aggregate(nps=sv.nps.mean()))
    more = collect_by_customer(join_by_customer(firsts, *parts), ds)
    if more.index.equals(pd.Index(prof.customer_id)):  # the same customers in the same order
        for c in more.columns:  # no join on ten million ids (and their copies) in pandas
            prof[c] = more[c].to_numpy()
    else:
        prof = prof.merge(more.reset_index(), on="customer_id", how="left")
    if "age" in prof.columns:
        prof["age_band"] = age_band(prof.age)
    prof["cohort"] = quarter_labels(pd.to_datetime(prof["first"]))
    return prof


def window_days(ds: Dataset) -> int:
    """The inactivity window (days) of "retained": the analysis's (:func:`inactivity_days`);
    for a member list, whose totals hold no gaps between purchases to measure it from,
    ``[analysis] inactivity_days`` or :data:`~loyalscope.metrics.window.DEFAULT_DAYS`."""
    if from_member_totals(ds):
        return ds.config.analysis.inactivity_days or DEFAULT_DAYS
    return inactivity_days(ds)


def quarter_labels(ts: pd.Series) -> pd.Series:
    """"2025-Q3" per timestamp (missing stays missing), written once per distinct quarter."""
    valid = ts.notna().to_numpy()
    key = np.where(valid, ts.dt.year.fillna(0).to_numpy("int64") * 4 + ts.dt.quarter.fillna(1).to_numpy("int64") - 1, -1)
    codes, uniques = pd.factorize(key, sort=False)
    texts = np.array([f"{k // 4}-Q{k % 4 + 1}" if k >= 0 else None for k in uniques], dtype=object)
    return pd.Series(texts[codes] if len(codes) else np.empty(0, dtype=object), index=ts.index, dtype="string")


def _group_table(prof: pd.DataFrame, col: str) -> pd.DataFrame:
    # grouped by integer codes in first-appearance order (the order grouping the texts with
    # sort=False gives): each groupby below hashed the million texts again
    codes, texts = pd.factorize(prof[col].astype("string").fillna("__unknown__"))
    g = pd.Series(codes, index=prof.index, name="g")
    agg = prof[["customer_id", "repeat", "retained"]].groupby(g, sort=False).agg(
        customers=("customer_id", "size"), repeat_rate=("repeat", "mean"), retention=("retained", "mean"))
    if "clv" in prof.columns:
        agg["clv"] = prof.clv.groupby(g).mean()
    if "nps" in prof.columns:
        answered = prof.nps.notna()
        grp = prof.nps[answered].groupby(g[answered])
        agg["nps"] = grp.apply(lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean()))
        agg["respondents"] = grp.size()
        agg["respondents"] = agg.respondents.fillna(0).astype(int)
        agg.loc[agg.respondents < 30, "nps"] = np.nan  # not quoted from fewer than 30 answers
    agg["share"] = agg.customers / agg.customers.sum()
    agg.index = pd.Index(texts[agg.index.to_numpy()], name="g")
    agg = agg.sort_values("customers", ascending=False).head(MAX_GROUPS).reset_index()
    if col == "cohort":
        agg = agg.sort_values("g").reset_index(drop=True)
    agg["group"] = [_group_label(col, v) for v in agg.g]
    return agg.drop(columns="g")


def _group_label(col: str, value: str) -> str | Phrase:
    if value == "__unknown__":
        return Phrase(K + "unknown")
    if col == "age_band":
        return Phrase(K + "age." + value)
    return value


def build(ds: Dataset, ctx: SectionContext) -> Section:
    prof = _profile(ds, ctx)
    section = Section(SECTION_ID)
    n = len(prof)
    members = from_member_totals(ds)
    section.add(Text(K + ("intro_members" if members else "intro"),
                     {"n": f"{n:,}", "days": window_days(ds)}, style="note"),
                Number(K + "customers", float(n), "count"),
                Number("metrics.repeat_purchase_rate.name", float(prof.repeat.mean()), "percent",
                       numerator=float(prof.repeat.sum()), denominator=float(n),
                       note=K + ("all_time_members" if members else "all_time")),
                Number(K + "retained", float(prof.retained.mean()), "percent",
                       numerator=float(prof.retained.sum()), denominator=float(n)))
    present = [c for c in DESCRIPTORS if c in prof.columns and prof[c].notna().any()]
    tests: list[dict[str, object]] = []
    best: tuple[float, str] | None = None
    tables: dict[str, pd.DataFrame] = {}
    for col in present:
        table = tables[col] = _group_table(prof, col)
        if len(table) < 2:
            continue
        cols = ["group", "customers", "share", "repeat_rate", "retention",
                *[c for c in ("clv", "nps", "respondents") if c in table.columns]]
        section.add(Table(K + "by." + col, table[cols], {c: K + "col." + c for c in cols},
                          percent_columns=("share", "repeat_rate", "retention"),
                          units={"clv": "currency", "customers": "count", "nps": "points"},
                          translate_values=("group",), max_rows=MAX_GROUPS))
        labels, codes = group_codes(prof[col])  # once for both outcomes
        for outcome, label in (("repeat", "repeat_rate"), ("retained", "retention")):
            res = _chi_square_coded(labels, codes, prof[outcome])
            if res is None:
                continue
            real = res["p"] < 0.05
            tests.append({"descriptor": col, "outcome": label, **res, "significant": real})
            section.add(Text(K + ("test_real" if real else "test_chance"), {
                "by": K + "name." + col, "outcome": K + "col." + label, "chi2": f"{res['chi2']:.1f}",
                "df": int(res["df"]), "p": "< 0.001" if res["p"] < 0.001 else f"= {res['p']:.3f}",
                "n": f"{int(res['n']):,}"}, style="finding" if real else "note"))
            if outcome == "repeat" and (best is None or res["chi2"] / max(res["df"], 1) > best[0]):
                best = (res["chi2"] / max(res["df"], 1), col)
    if not present:
        section.add(Text(K + "no_descriptors", style="note"))
    if best is not None:
        table = tables[best[1]]
        section.add(Chart("bar", K + "chart", table[["group", "repeat_rate", "retention"]], x="group",
                          y=["repeat_rate", "retention"], translate_values=("group",),
                          labels={"group": K + "name." + best[1], "repeat_rate": K + "col.repeat_rate",
                                  "retention": K + "col.retention"},
                          options={"percent_y": True}, note=K + "chart_note",
                          note_kw={"by": K + "name." + best[1]}))
    section.data = {"customers": n, "descriptors": present, "tests": tests}
    return section
