"""Report section: satisfaction and advocacy.

NPS and CSAT with their intervals and their trend, competitor comparison, key drivers with
the importance x performance chart, and the satisfaction -> loyalty curve (survey answers
joined to later purchases). Everything is aggregated in the engine except the per-respondent
rating columns the driver and competitor models need (one row per survey answer).
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from loyalscope.data.dataset import Dataset
from loyalscope.errors import DataQualityError, LoyalscopeError, SchemaError
from loyalscope.i18n import t
from loyalscope.metrics import compute, wording
from loyalscope.metrics._base import in_fixed_order
from loyalscope.metrics.scales import NPS_SCALE, Scale, check_scale, is_yes_no, top_boxes
from loyalscope.metrics.survey import competitor_pairs
from loyalscope.metrics.window import inactivity_days
from loyalscope.models.survey.drivers import DriverAnalysis, bayes_driver
from loyalscope.models.survey.nps import NPS
from loyalscope.models.survey.sat_loyalty import SatLoyaltyCurve
from loyalscope.models.survey.satisfaction import competitor_comparison
from loyalscope.results import Chart, Number, Section, Table, Text
from loyalscope.sections._survey_indices import documents_indices, refused
from loyalscope.sections._themes import survey_comment_themes
from loyalscope.sections.context import SectionContext

SECTION_ID = "satisfaction"
K = "survey.section"


def build(ds: Dataset, ctx: SectionContext) -> Section:
    """Lay out the satisfaction section; SchemaError when the surveys have neither nps nor csat."""
    surveys = ds.table("surveys")
    if "nps" not in surveys.columns and "csat" not in surveys.columns:
        raise SchemaError(t("core.errors.needs", what="surveys.nps / surveys.csat"),
                          fix=t("core.errors.missing_column_fix", table="surveys", column="nps"))
    cfg = ctx.config.survey
    section = Section(SECTION_ID)
    if "nps" in surveys.columns:
        _nps(ds, ctx, section)
    if "csat" in surveys.columns:
        _csat(ds, ctx, section)
    documents_indices(ds, ctx, section)
    _trend(ds, ctx, section)
    cols = list(surveys.columns)
    pairs = competitor_pairs(cols)
    dims = [c for c in cols if c.startswith("dim_")]
    wanted = sorted({*dims, *(p[2] for p in pairs), *(c for c in ("nps", "loyalty_score", "recommend_intent") if c in cols)})
    if wanted:
        extra = ["customer_id"] if "customer_id" in cols else []
        answers = in_fixed_order(surveys, [*extra, *wanted]).execute()
        if extra:  # one row per answer (survey-sized): the strategy section targets respondents
            ctx.results["survey_answers"] = answers.assign(customer_id=answers.customer_id.astype(str))
        if pairs:
            ctx.results["competitors"] = _competitors(answers, pairs, cfg.min_n, section)
        if len(dims) >= 2:
            _drivers(answers, dims, section, ctx)
        if dims and "nps" in answers.columns:
            _bayes_drivers(answers, dims, section)
    if "csat" in surveys.columns and ds.has("transactions"):
        _sat_loyalty(ds, ctx, section)
    # what dissatisfied respondents wrote, against the others
    survey_comment_themes(ds, section, _csat_scale(ds))
    from loyalscope.sections.survey_efa import (
        add_efa,  # items outside the model's blocks (issue 17)
    )

    add_efa(section, surveys, ctx)
    return section


def _nps(ds: Dataset, ctx: SectionContext, section: Section) -> None:
    try:
        check_scale(ds, "nps", need=NPS_SCALE)
    except DataQualityError as exc:  # e.g. 1-5 star ratings mapped to nps: NPS would read -100
        refused(section, "metrics.nps.name", exc)
        return
    s = ds.table("surveys", "nps")
    c = s.aggregate(p=(s.nps >= 9).cast("int64").sum(), d=(s.nps <= 6).cast("int64").sum(),
                    n=s.nps.count()).execute().iloc[0]
    n, p, d = (int(c[k] or 0) for k in ("n", "p", "d"))
    if n == 0:
        return
    cfg = ctx.config.survey
    m = NPS(n_boot=max(cfg.bootstrap, 200), seed=ctx.config.survey_seed, min_n=cfg.min_n).fit(counts=(p, n - p - d, d))
    section.add(Number("metrics.nps.name", m.nps_, "points", metric_id="nps", numerator=p - d,
                       denominator=n, interval=m.intervals_["bayes"], warn=m.small_sample_,
                       note=f"{K}.small_sample" if m.small_sample_ else None, note_kw={"n": n}))
    rows = pd.DataFrame([{"method": f"survey.interval.{k}", "lower": lo, "upper": hi}
                         for k, (lo, hi) in m.intervals_.items()])
    section.add(Table(f"{K}.nps_intervals", rows, columns={"method": f"{K}.col.method", "lower": f"{K}.col.lower",
                                                             "upper": f"{K}.col.upper"},
                      translate_values=("method",)))
    section.data["nps"] = m.to_dict()
    ctx.results["nps"] = m
    ctx.results.setdefault("metric_values", {})["nps"] = m.nps_  # points, as targets are given
    if "segment" in s.columns:
        _nps_by_segment(ds, ctx, section)


def _nps_by_segment(ds: Dataset, ctx: SectionContext, section: Section) -> None:
    """NPS per survey segment with the Bayesian interval and a small-sample flag."""
    s = ds.table("surveys", "nps", "segment")
    agg = (s.filter(s.nps.notnull()).group_by("segment")
           .aggregate(p=(s.nps >= 9).cast("int64").sum(), d=(s.nps <= 6).cast("int64").sum(), n=s.nps.count())
           .execute().sort_values("segment"))
    cfg = ctx.config.survey
    rows = []
    for r in agg.itertuples(index=False):
        m = NPS(n_boot=max(cfg.bootstrap, 200), seed=ctx.config.survey_seed, min_n=cfg.min_n).fit(
            counts=(int(r.p), int(r.n - r.p - r.d), int(r.d)))
        lo, hi = m.intervals_["bayes"]
        rows.append({"segment": "" if pd.isna(r.segment) else str(r.segment), "n": m.n_, "nps": m.nps_,
                     "lower": lo, "upper": hi, "small_sample": m.small_sample_})
    if len(rows) < 2:
        return
    table = pd.DataFrame(rows)
    section.add(Table(f"{K}.nps_by_segment", table, columns={
        "segment": f"{K}.col.segment", "n": f"{K}.col.n", "nps": "metrics.nps.name",
        "lower": f"{K}.col.lower", "upper": f"{K}.col.upper", "small_sample": f"{K}.col.small_sample"}))
    section.data["nps_by_segment"] = table.to_dict("records")


def _csat_scale(ds: Dataset) -> Scale | None:
    """The csat column's scale, None without a csat column or when its answers leave the scale
    (its numbers are refused, with the reason, by :func:`_csat`)."""
    if not ds.has("surveys", "csat"):
        return None
    try:
        return check_scale(ds, "csat")
    except DataQualityError:
        return None


def _csat(ds: Dataset, ctx: SectionContext, section: Section) -> None:
    """CSAT: the share of answers in the top two boxes (of a yes / no question: of yes; of a
    two-point scale: its top box), with its Beta(1, 1) posterior interval; named and defined as
    counted (:func:`loyalscope.metrics.survey.csat_wording`)."""
    words = wording("csat_top2", ds)
    try:
        scale = check_scale(ds, "csat")
    except DataQualityError as exc:
        refused(section, words.name, exc)
        return
    top = top_boxes(scale)
    s = ds.table("surveys", "csat")
    c = s.aggregate(k=(s.csat >= top).cast("int64").sum(), n=s.csat.count()).execute().iloc[0]
    n, k = int(c["n"] or 0), int(c["k"] or 0)
    if n == 0:
        return
    lo, hi = stats.beta.ppf([0.025, 0.975], 1 + k, 1 + n - k)
    small = n < ctx.config.survey.min_n
    section.add(Number(words.name, k / n, "percent", metric_id="csat_top2", formula=words.formula,
                       numerator=k, denominator=n, interval=(float(lo), float(hi)), warn=small,
                       note=f"{K}.small_sample" if small else None, note_kw={"n": n}))
    yes_no = is_yes_no(scale)
    if yes_no:  # no top two boxes: the share of yes, said so
        section.add(Text(f"{K}.csat_yes_no_note", {"column": "surveys.csat", "scale": scale.text()},
                         style="note"))
    section.data["csat_top2"] = {"value": k / n, "n": n, "interval": [float(lo), float(hi)], "small_sample": small,
                                 "scale": scale.text(), "yes_no": yes_no}


def _trend(ds: Dataset, ctx: SectionContext, section: Section) -> None:
    frames = []
    for metric in ("nps", "csat_top2"):
        if ds.has("surveys", "nps" if metric == "nps" else "csat"):
            try:
                df = compute(ds, metric, period=ctx.config.analysis.period)
            except DataQualityError:  # refused above, with the reason
                continue
            frames.append(df[["period"]].assign(**{metric: 100 * df["value"]}))
    if not frames:
        return
    trend = frames[0]
    for f in frames[1:]:
        trend = trend.merge(f, on="period", how="outer")
    trend = trend.sort_values("period")
    ys = [c for c in ("nps", "csat_top2") if c in trend.columns]
    labels = {c: wording(c, ds).name for c in ys}  # CSAT as counted: top two boxes, top box or yes
    section.add(Chart("line", f"{K}.trend", trend, x="period", y=ys,
                      labels={"period": f"{K}.col.period", **labels}))


def _competitors(answers: pd.DataFrame, pairs: list[tuple[str, str, str]], min_n: int,
                 section: Section) -> pd.DataFrame:
    ours = pd.DataFrame({d: answers["nps" if d == "nps" else f"dim_{d}"] for _, d, _ in pairs})
    comps: dict[str, pd.DataFrame] = {}
    for comp, d, col in pairs:
        comps.setdefault(comp, pd.DataFrame(index=answers.index))[d] = answers[col]
    table = competitor_comparison(ours, comps, min_n=min_n)
    section.add(Table(f"{K}.competitors", table, columns={
        "competitor": f"{K}.col.competitor", "dimension": f"{K}.col.dimension", "n": f"{K}.col.n",
        "ours": f"{K}.col.ours", "theirs": f"{K}.col.theirs", "gap": f"{K}.col.gap",
        "t_p": f"{K}.col.t_p", "wilcoxon_p": f"{K}.col.wilcoxon_p", "small_sample": f"{K}.col.small_sample"}))
    section.data["competitors"] = table.to_dict("records")
    return table


def _drivers(answers: pd.DataFrame, dims: list[str], section: Section, ctx: SectionContext) -> None:
    outcome = next((c for c in ("loyalty_score", "recommend_intent", "nps") if c in answers.columns), None)
    if outcome is None:
        return
    try:
        da = DriverAnalysis(shapley=len(dims) <= 12).fit(answers[dims].to_numpy(float),
                                                        answers[outcome].to_numpy(float), names=dims)
    except (LoyalscopeError, np.linalg.LinAlgError):
        section.add(Text(f"{K}.drivers_skipped", style="note"))
        return
    table = da.summary()
    # high importance and low performance: the strategy rules' driver_gap.<dimension> facts
    ctx.results["driver_gaps"] = {str(d).removeprefix("dim_"): q == "concentrate_here"
                                  for d, q in zip(table["driver"], table["quadrant"], strict=True)}
    table["quadrant"] = [f"{K}.quadrant.{q}" for q in table["quadrant"]]
    section.add(Text(f"{K}.drivers_note", {"outcome": outcome, "r2": round(100 * da.r2_, 1), "n": da.n_}, style="note"))
    section.add(Table(f"{K}.drivers", table, columns={
        "driver": f"{K}.col.driver", "pearson": f"{K}.col.pearson", "pearson_p_holm": f"{K}.col.p_holm",
        "spearman": f"{K}.col.spearman", "spearman_p_holm": f"{K}.col.p_holm_s",
        "relative_weight": f"{K}.col.relative_weight", "relative_weight_pct": f"{K}.col.relative_weight_pct",
        "shapley": f"{K}.col.shapley", "performance": f"{K}.col.performance", "quadrant": f"{K}.col.quadrant"},
        translate_values=("quadrant",)))
    section.add(Chart("quadrant", f"{K}.ipa", table[["driver", "performance", "relative_weight_pct", "quadrant"]],
                      x="performance", y="relative_weight_pct", color="quadrant",
                      labels={"performance": f"{K}.col.performance", "relative_weight_pct": f"{K}.col.relative_weight_pct"},
                      options={"text": "driver", "x_cut": float(table["performance"].mean()),
                               "y_cut": float(table["relative_weight_pct"].mean())},
                      translate_values=("quadrant",)))
    section.data["drivers"] = da.summary().to_dict("records")
    ctx.results["drivers"] = da.summary()


def _bayes_drivers(answers: pd.DataFrame, dims: list[str], section: Section) -> None:
    """P(promoter | driver level) with Beta(1, 1) posterior intervals, per dimension."""
    promoter = (answers["nps"] >= 9).astype(float).where(answers["nps"].notna())
    parts = [bayes_driver(answers[d], promoter).assign(driver=d) for d in dims]
    table = pd.concat(parts, ignore_index=True)[["driver", "level", "n", "loyal", "mean", "lower", "upper"]]
    section.add(Table(f"{K}.bayes_drivers", table, columns={
        "driver": f"{K}.col.driver", "level": f"{K}.col.level", "n": f"{K}.col.n",
        "loyal": f"{K}.col.promoters", "mean": f"{K}.col.p_promoter", "lower": f"{K}.col.lower",
        "upper": f"{K}.col.upper"}, percent_columns=("mean", "lower", "upper")))
    section.data["bayes_drivers"] = table.to_dict("records")


def _sat_loyalty(ds: Dataset, ctx: SectionContext, section: Section) -> None:
    """Repurchase within ``inactivity_days`` after the answer, by CSAT level (and segment); the
    levels are the answers on the question's own scale (0, 0.5 and 1 of a yes / no question)."""
    scale = _csat_scale(ds)
    if scale is None:  # answers outside the csat scale: refused with the reason by _csat
        return
    days = inactivity_days(ds)
    asof = ds.analysis_date
    s = ds.linked_answers("answered_ts", "csat")  # an anonymous answer has no purchases to follow
    s = s.filter(s.csat.notnull()
                 & (s.answered_ts <= ibis.timestamp(pd.Timestamp(asof - timedelta(days=days)))))
    tx = ds.table("transactions", "customer_id", "order_ts")
    seg = "segment" if "segment" in s.columns else None
    base = s.select("response_id", "customer_id", "answered_ts", "csat", *([seg] if seg else []))
    j = base.left_join(tx, (base.customer_id == tx.customer_id) & (tx.order_ts > base.answered_ts)
                       & (tx.order_ts <= base.answered_ts + ibis.interval(days=days)))
    per = j.group_by(["response_id", "csat", *([seg] if seg else [])]).aggregate(bought=j.order_ts.count())
    keys = ["csat", *([seg] if seg else [])]
    agg = per.group_by(keys).aggregate(n=per.count(), k=(per.bought > 0).cast("int64").sum()).execute()
    if agg.empty or agg["n"].sum() < 2:
        return
    n = agg["n"].to_numpy(int)
    level = np.repeat(agg["csat"].to_numpy(float), n)
    rep = np.concatenate([np.r_[np.ones(k), np.zeros(m - k)] for k, m in zip(agg["k"].to_numpy(int), n, strict=True)])
    segment = np.repeat(agg[seg].astype(str).to_numpy(), n) if seg else None
    cfg = ctx.config.survey
    # satisfied defectors: the top boxes of the question's own scale (of a yes / no one: yes)
    m = SatLoyaltyCurve(scale_max=scale.high, top=top_boxes(scale), min_n=cfg.min_n).fit(level, rep, segment)
    curve = m.summary()
    section.add(Chart("line", f"{K}.sat_loyalty", curve[["satisfaction", "mean", "lower", "upper"]],
                      x="satisfaction", y=["mean", "lower", "upper"],
                      labels={"satisfaction": f"{K}.col.csat_yes_no" if is_yes_no(scale) else f"{K}.col.csat_answer",
                              "mean": f"{K}.col.repurchase",
                              "lower": f"{K}.col.lower", "upper": f"{K}.col.upper"},
                      options={"percent_y": True}, note=f"{K}.sat_loyalty_note", note_kw={"days": days}))
    if seg:
        section.add(Table(f"{K}.constraint", m.constraint_, columns={
            "segment": f"{K}.col.segment", "O": f"{K}.col.constraint", "repurchased": f"{K}.col.repurchased",
            "expected": f"{K}.col.expected", "n": f"{K}.col.n"}))
    flagged = m.satisfied_defectors_[m.satisfied_defectors_["flag"]]
    for _, r in flagged.iterrows():
        section.add(Text(f"{K}.satisfied_defectors", {"segment": r["segment"], "level": r["satisfaction"],
                                                      "rate": round(100 * r["defect_rate"], 1), "n": int(r["n"])},
                         style="finding"))
    section.data["sat_loyalty"] = curve.to_dict("records")
    ctx.results["sat_loyalty"] = m


__all__ = ["SECTION_ID", "build"]
