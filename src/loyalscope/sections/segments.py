"""Report section "Segments": RFM grid and treemap, segment table, migration, quadrant."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.errors import ConfigError, DataQualityError, InsufficientDataError
from loyalscope.i18n import t
from loyalscope.metrics._base import map_distinct, money_sum
from loyalscope.metrics.scales import answer_range, check_scale, declared_scale
from loyalscope.metrics.window import inactivity_days
from loyalscope.results import Chart, Number, Phrase, Section, Table, Text
from loyalscope.sections._survey_indices import refused
from loyalscope.sections.context import SectionContext
from loyalscope.segments.dimensions import behavioural_loyalty, loyalty_dimensions, rescale
from loyalscope.segments.loyalty_inputs import loyalty_inputs
from loyalscope.segments.loyalty_types import load_rules, loyalty_types
from loyalscope.segments.quadrant import QUADRANTS, sat_loyalty_quadrant
from loyalscope.segments.relationship import relationship_level
from loyalscope.segments.rfm import from_member_totals, prefetch_summaries, rfm_segments, score_bins
from loyalscope.segments.scheme import BUILTIN, Scheme, load_scheme

SECTION_ID = "segments"
# The last section of a run to read the RFM summaries (now and at the migration's start): the analysis forgets them after it
# (Dataset.forget; hundreds of MB per million customers otherwise held to the end).
LAST_READER_OF = ("rfm_summaries",)
NEEDS = ("value",)  # shows mean CLV per segment
K = "segments.report."
M = "segments.report.more."
B = "segments.report.bins."


def build(ds: Dataset, ctx: SectionContext) -> Section:
    cfg = ctx.config.segments
    scheme = load_scheme(cfg.rfm_scheme)
    builtin = cfg.rfm_scheme in BUILTIN
    members = from_member_totals(ds)  # a member list's totals, no orders: now only
    start = ds.analysis_date if members else ds.analysis_date - timedelta(days=inactivity_days(ds))
    prefetch_summaries(ds, [ds.analysis_date, start])  # now and for the migration: one pass
    seg = rfm_segments(ds, scheme, bins=cfg.rfm_bins, lang=ctx.config.locale)
    seg["label"] = map_distinct(seg["segment_id"], "segments.name.{}".format) if builtin else seg["segment"]
    section = Section(SECTION_ID)
    n = len(seg)
    if members and n == 0:
        raise InsufficientDataError(t("segments.report.members_none"),
                                    fix=t("segments.report.members_none_fix"))
    levels = scheme.bins if scheme.key == "r_fm" else cfg.rfm_bins
    section.add(Number(K + "customers", float(n), unit="count", n=n),
                Text(K + "rfm_method", {"scheme": scheme.name, "bins": levels}, style="note"))
    if members:  # RFM from the CRM's totals: what they give and what needs the orders
        section.add(Text(K + "members_note", {"n": n, "date": ds.analysis_date.isoformat()},
                         style="note"))

    # segment table: size, spend, CLV where known
    tbl = seg.groupby(["segment_id", "label"], sort=False).agg(
        customers=("customer_id", "size"), spend=("monetary", "sum"),
        recency_days=("recency_days", "mean"), frequency=("frequency", "mean")).reset_index()
    tbl["share"] = tbl.customers / n
    tbl["spend_share"] = tbl.spend / tbl.spend.sum() if tbl.spend.sum() else 0.0
    if ctx.customers is not None and "clv" in ctx.customers:
        clv = ctx.customer_values(["clv"], seg.customer_id)["clv"].to_numpy()
        ids = seg.segment_id.to_numpy()  # one lookup, then each segment's customers in the same order
        tbl["clv"] = [float(pd.Series(clv[ids == s]).mean()) for s in tbl.segment_id]
    order = {s.id: i for i, s in enumerate(scheme.segments)}
    tbl = tbl.sort_values("segment_id", key=lambda c: c.map(order)).reset_index(drop=True)
    cols = {c: K + "col." + c for c in tbl.columns if c != "segment_id"}
    section.add(Table(K + "segment_table", tbl.drop(columns="segment_id"), cols,
                      percent_columns=("share", "spend_share"),
                      translate_values=("label",) if builtin else ()))
    section.add(Chart("treemap", K + "treemap", tbl[["label", "customers"]], x="label", y="customers",
                      translate_values=("label",) if builtin else ()))
    # the bins as scored (ties keep equal scores, so some can be empty) and the score distribution
    stated = score_bins(seg, levels)
    bins = stated.assign(dimension=B + stated.dimension)
    section.add(Table(B + "title", bins, {c: B + c for c in bins.columns}, percent_columns=("share",),
                      translate_values=("dimension",), max_rows=3 * levels),
                Chart("bar", B + "chart", bins[["dimension", "score", "customers"]], x="score", y="customers",
                      color="dimension", labels={c: B + c for c in ("dimension", "score", "customers")},
                      translate_values=("dimension",), options={"barmode": "group"}))
    if scheme.key != "high_low":
        fm = np.floor((seg.f + seg.m) / 2 + 0.5).astype(int)
        grid = pd.crosstab(seg.r, fm).reindex(index=range(scheme.bins, 0, -1),
                                              columns=range(1, scheme.bins + 1), fill_value=0)
        long = grid.stack().rename("customers").reset_index()
        long.columns = ["r", "fm", "customers"]
        section.add(Chart("heatmap", K + "grid", long, x="r", y="customers",
                          labels={"r": K + "col.r", "fm": K + "col.fm"},
                          options={"columns": "fm", "z": "customers", "texttemplate": "%{z}"}))
    try:
        if not members:  # a member list has its totals now only
            section.add(_migration(ds, seg, scheme, start, builtin, inactivity_days(ds),
                                   ctx.results.setdefault("rfm_previous", {})))
    except (KeyError, ValueError):  # no customers at the earlier date
        pass

    try:  # survey answers on their declared scales; refused with the reason otherwise
        quadrant = _quadrant(ds, seg, ctx, section)
    except DataQualityError as exc:
        quadrant = None
        refused(section, K + "quadrant_chart", exc)
    try:
        if not members:  # the types read each customer's orders (loyalty_inputs)
            _loyalty_types(ds, seg, ctx, section)
    except DataQualityError as exc:
        refused(section, M + "loyalty_types", exc)
    if ds.has("transactions", "margin"):
        tx = ds.table("transactions", "amount", "margin")
        totals = tx.aggregate(amount=money_sum(tx.amount), margin=money_sum(tx.margin)).to_pandas().iloc[0]
        if totals.amount and totals.amount > 0:
            rate = float(totals.margin / totals.amount)
            level = relationship_level(n, rate)
            section.add(Text(M + "kotler", {"level": M + "kotler_level." + level, "n": n, "margin": f"{rate:.1%}"}))
            section.data["relationship_level"] = level
    # stable ids in the scored-customer table (labels come from the catalogue when shown),
    # with the values the scores rank, so that a reader can check a score against its bins
    ctx.add_customer_columns(seg.rename(columns={"segment_id": "rfm_segment"})[
        ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm_segment"]])
    ctx.results["rfm"] = seg
    ctx.results["rfm_scheme"] = scheme
    if quadrant is not None:
        ctx.results["quadrant"] = quadrant
    section.data["score_bins"] = stated.to_dict("records")
    section.data.update({"scheme": scheme.name,
                         "segments": dict(zip(tbl.segment_id.astype(str), tbl.customers.astype(int), strict=True))})
    return section


def _migration(ds: Dataset, seg: pd.DataFrame, scheme: Scheme, start: date, builtin: bool,
               days: int, ctx_previous: dict[date, pd.DataFrame]) -> Table:
    """Customers by segment at ``start`` (rows, "(new)" for first purchases since) and now
    (columns), by segment id; labels from the catalogue (built-in schemes) or the scheme file."""
    previous = rfm_segments(ds, scheme, start)
    # the strategy section compares the segment shares with the same date: only what it reads
    # is kept for it (the whole frame held another 0.3 GB to the end at a million customers)
    before = ctx_previous[start] = previous[["customer_id", "segment_id"]]
    both = seg[["customer_id", "segment_id"]].merge(before, on="customer_id", how="left",
                                                     suffixes=("_end", "_start"))
    both["segment_id_start"] = both["segment_id_start"].fillna("__new__")
    ids = [s.id for s in scheme.segments]
    counts = pd.crosstab(both.segment_id_start, both.segment_id_end)
    counts = counts.reindex(index=[*ids, "__new__"], columns=ids, fill_value=0)
    counts = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
    names = {s.id: s.name("en") for s in scheme.segments}

    def label(sid: str) -> str:
        if sid == "__new__":
            return K + "new_buyers"
        return f"segments.name.{sid}" if builtin else names[sid]

    frame = counts.reset_index(names="from").rename(columns={"segment_id_start": "from"})
    frame["from"] = frame["from"].map(label)
    columns = {"from": "report.col.from", **{sid: label(sid) for sid in counts.columns}} if builtin else {"from": "report.col.from"}
    return Table(K + "migration", frame, columns, translate_values=("from",) if builtin else (),
                 note=K + "migration_note", note_kw={"days": days}, units={c: "count" for c in counts.columns})


def _quadrant(ds: Dataset, seg: pd.DataFrame, ctx: SectionContext, section: Section) -> pd.Series | None:
    if not ds.has("surveys", "csat"):
        return None
    sv = ds.linked_answers("csat")
    sat = sv.group_by("customer_id").aggregate(csat=sv.csat.mean()).to_pandas()
    sat = sat.set_index(sat.customer_id.astype(str)).csat
    s = seg.set_index("customer_id")
    loyalty = behavioural_loyalty(s.frequency, s.recency_days)
    scale = check_scale(ds, "csat")
    satisfaction = rescale(sat.reindex(s.index), scale.low, scale.high)
    cfg = ctx.config.segments
    l_cut = cfg.quadrant_loyalty_cut if cfg.quadrant_loyalty_cut is not None else float(loyalty.median())
    q = sat_loyalty_quadrant(satisfaction, loyalty, cfg.quadrant_satisfaction_cut, l_cut)
    frame = pd.DataFrame({"quadrant": q, "satisfaction": satisfaction, "loyalty": loyalty}).dropna()
    if frame.empty:
        return None
    agg = frame.groupby("quadrant").agg(customers=("loyalty", "size"), loyalty=("loyalty", "mean"),
                                        satisfaction=("satisfaction", "mean")).reindex(QUADRANTS).dropna().reset_index()
    agg["name"] = agg.quadrant.map(lambda v: K + "quadrant." + v)
    section.add(Chart("quadrant", K + "quadrant_chart", agg, x="loyalty", y="satisfaction", size="customers",
                      labels={"loyalty": K + "col.loyalty", "satisfaction": K + "col.satisfaction"},
                      options={"text": "name", "x_cut": l_cut, "y_cut": cfg.quadrant_satisfaction_cut},
                      translate_values=("name",)),
                Text(K + "quadrant_method", {"sat_cut": cfg.quadrant_satisfaction_cut,
                                             "loyalty_cut": f"{l_cut:.2f}"}, style="note"))
    return q


def _loyalty_types(ds: Dataset, seg: pd.DataFrame, ctx: SectionContext, section: Section) -> None:
    """Loyalty types with the rule that fired, and mean behavioural/attitudinal/emotional loyalty."""
    ids = pd.Index(seg.customer_id)
    inputs = loyalty_inputs(ds).reindex(ids)
    types = loyalty_types(inputs, load_rules(), lang=ctx.config.locale)
    counts = types.loyalty_type.value_counts()
    frame = pd.DataFrame({"loyalty_type": [f"segments.loyalty_type.{r.id}" for r in load_rules()],
                          "customers": [int(counts.get(r.id, 0)) for r in load_rules()]})
    frame.loc[len(frame)] = [M + "unclassified", int(counts.get("unclassified", 0))]
    frame["share"] = frame.customers / max(len(types), 1)
    section.add(Table(M + "loyalty_types", frame, {"loyalty_type": M + "col.loyalty_type",
                                                   "customers": K + "col.customers", "share": K + "col.share"},
                      percent_columns=("share",), translate_values=("loyalty_type",),
                      note=M + "loyalty_types_note"))
    csat = check_scale(ds, "csat") if ds.has("surveys", "csat") else None
    csat_scale = (csat.low, csat.high) if csat else (1.0, float(ctx.config.survey.csat_scale_max))
    intent = None
    if "repurchase_intent" in inputs.columns:
        try:  # answers outside their declared scale give no attitudinal score (not clipped ones)
            intent = check_scale(ds, "repurchase_intent")
        except (DataQualityError, ConfigError) as exc:
            inputs = inputs.drop(columns="repurchase_intent")
            _left_out(ds, section, "repurchase_intent", "attitudinal", exc)
    # the inputs are in the segments' row order already: their columns side by side, where a
    # join on the ids compared a million text ids and tested both indexes for order (0.5 s)
    both = pd.DataFrame({"frequency": seg["frequency"].array, "recency_days": seg["recency_days"].array,
                         **{c: inputs[c].array for c in inputs.columns}}, index=ids)
    dims = loyalty_dimensions(both, csat_scale, (intent.low, intent.high) if intent else None)
    means = dims.mean()
    dim_frame = pd.DataFrame({"dimension": [M + "dim." + d for d in dims.columns],
                              "score": means.to_numpy(), "customers": dims.notna().sum().to_numpy()})
    section.add(Table(M + "dimensions", dim_frame, {"dimension": M + "col.dimension", "score": M + "col.score",
                                                    "customers": K + "col.customers"},
                      translate_values=("dimension",), note=M + "dimensions_note"))
    ctx.add_customer_columns(pd.DataFrame({"customer_id": ids.astype(str),
                                           "loyalty_type": types.loyalty_type.to_numpy()}))


def _left_out(ds: Dataset, section: Section, column: str, dimension: str,
              exc: DataQualityError | ConfigError) -> None:
    """Say that ``surveys.<column>`` is left out of a loyalty dimension, why and how to fix it.

    Parameters
    ----------
    ds : Dataset
        The data (the column's answers are read for their range).
    section : Section
        The segments section: a warning block, and ``data["left_out"]`` for analysis.json.
    column : str
        The survey column left out (``repurchase_intent``).
    dimension : str
        The dimension that goes without it (``attitudinal``): no score rather than a clipped one.
    exc : DataQualityError or ConfigError
        Why (:func:`loyalscope.metrics.scales.check_scale`): its fix declares the scale.
    """
    scale = None
    try:
        scale = declared_scale(ds.config, column)
    except ConfigError:  # a declaration that is no 'low-high': the reason says so
        pass
    fix = Phrase.from_message(exc.fix or "")
    where = f"surveys.{column}"
    entry: dict[str, Any] = {"column": where, "dimension": dimension, "reason": exc.message,
                             "fix": exc.fix or ""}
    if isinstance(exc, DataQualityError) and scale is not None:
        low, high, n = answer_range(ds, column)  # memoised by the check that raised exc
        seen = high if high > scale.high else low  # the answer that leaves the scale
        entry.update(scale=scale.text(), low=low, high=high, seen=seen, n=n)
        section.add(Text(M + "left_out", {
            "column": where, "dimension": M + "dim." + dimension, "scale": scale.text(),
            "source": f"survey.scale.source_{scale.source}", "seen": f"{seen:g}", "low": f"{low:g}",
            "high": f"{high:g}", "n": n, "fix": fix}, style="warning"))
    else:
        section.add(Text(M + "left_out_reason", {
            "column": where, "dimension": M + "dim." + dimension,
            "reason": Phrase.from_message(exc.message), "fix": fix}, style="warning"))
    section.data.setdefault("left_out", []).append(entry)
