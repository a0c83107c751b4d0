"""Report section "Churn risk": one story of churn, then the out-of-time risk model, lift,
calibration, retention curves, drivers, churn reasons and post-complaint repurchase.

One story: every churn figure of the report uses the same inactivity window ``w``
(:mod:`loyalscope.metrics.window`, from the data unless configured). The churn rate counts
customers with no order within ``w``; the retention curve counts a customer as churned ``w + 1``
days after the last order; the risk model predicts "no order within the next ``w`` days"; and the
purchase model's P(alive) (the customer has not left for good) is set beside its own probability
of no order within ``w`` days. The section says how they relate, by segment: a customer can be
alive and still not order within the window, so a Champion with P(alive) 96% who buys about once
a year can have a churn risk of 76%. Risk tiers are relative to the base rate
(:func:`loyalscope.segments.churn.risk_tiers`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.errors import ConvergenceError, InsufficientDataError
from loyalscope.intervals import wilson_interval
from loyalscope.metrics._base import map_distinct
from loyalscope.metrics.window import inactivity_window
from loyalscope.results import Chart, Number, Phrase, Section, Table, Text
from loyalscope.sections._trust import sample_flags
from loyalscope.sections.context import SectionContext
from loyalscope.segments.churn import (
    ELEVATED_SHARE,
    HIGH_SHARE,
    ChurnResult,
    ChurnWindowError,
    churn_risk,
)
from loyalscope.segments.churn_reasons import churn_reasons, post_complaint_repurchase, reason_codes
from loyalscope.segments.churn_survival import cox_model, km_curves, survival_table
from loyalscope.segments.scheme import BUILTIN

SECTION_ID = "churn"
# The last section of a run to read the churn features at the cut-offs: the analysis forgets them after it
# (Dataset.forget; hundreds of MB per million customers otherwise held to the end).
LAST_READER_OF = ("churn_features",)
K = "segments.report.churn."
S = "segments.report.churn_story."


def build(ds: Dataset, ctx: SectionContext) -> Section:
    section = Section(SECTION_ID)
    win = inactivity_window(ds)
    section.add(Text(S + f"window_{win.source}", {"days": win.days, "quantile": f"{win.quantile:.0%}",
                                                   "gaps": win.gaps, "median": win.median_gap}, style="p"),
                Number(S + "window", float(win.days), unit="days", n=win.gaps))
    section.data["window"] = win.to_dict()
    try:  # first: its one scan of the data also gives the features at the analysis date
        res: ChurnResult | None = churn_risk(ds)
        refused = None
    except InsufficientDataError as exc:
        res, refused = None, exc
    surv = survival_table(ds)
    churned_now = int(surv.event.sum())
    section.add(Number(S + "churned_now", churned_now / len(surv), unit="percent", numerator=churned_now,
                       denominator=len(surv), n=len(surv), interval=wilson_interval(churned_now, len(surv)),
                       interval_method="wilson", label_kw={"days": win.days},
                       flags=sample_flags(len(surv), ctx.config.analysis.min_n)))
    section.data["churned_now"] = {"value": churned_now / len(surv), "n": len(surv)}
    if refused is not None:
        if isinstance(refused, ChurnWindowError):  # in the language of each report, not only the configured one
            keys = refused.keys
            section.add(Text(K + "risk_skipped_head", style="warning"), Text(keys[0], keys[1], style="warning"),
                        Text(keys[2], keys[3], style="note"))
        else:
            section.add(Text(K + "risk_skipped", {"reason": Phrase.from_message(refused.message),
                                                   "fix": Phrase.from_message(refused.fix or "")}, style="warning"))
        section.data["risk_model"] = {"skipped": refused.message}
    if res is not None:
        _risk(res, ctx, section)
    seg = _segments(ctx)
    _story(ctx, section, surv, res if res is not None and res.discriminates else None, seg, win.days)
    curves = km_curves(surv, seg)
    section.add(Chart("line", K + "km", curves, x="day", y="survival", color="segment",
                      labels={"day": K + "col.day", "survival": K + "col.survival", "segment": K + "col.segment"},
                      translate_values=("segment",) if seg is not None else ()),
                Text(K + "km_note", {"days": win.days}, style="note"))
    _cox(surv, section)
    reasons = churn_reasons(ds).reset_index()
    section.add(Table(K + "reasons", reasons, note=K + "reasons_note"))
    if ds.has("customers", "churn_reason"):
        codes = reason_codes(ds)
        if len(codes):
            section.add(Table(K + "reason_codes", codes, percent_columns=("share",)))
    if ds.has("complaints"):
        cp = post_complaint_repurchase(ds, horizon=res.horizon if res is not None else win.days)
        section.add(Table(K + "complaints", cp, percent_columns=("repurchase_rate", "benchmark_low", "benchmark_high"),
                          note=K + "complaints_note"))
        ctx.results["complaint_repurchase"] = cp
    return section


def _risk(res: ChurnResult, ctx: SectionContext, section: Section) -> None:
    """AUC, base rate, the relative tiers, lift and calibration, coefficients."""
    p = res.scores["churn_probability"]
    tier = res.scores["churn_tier"]
    # one comparison of the customers' tier texts per tier (each is a pass over Python objects)
    is_tier = {k: (tier == k).to_numpy() for k in ("high", "elevated", "usual")}
    churned = round(res.base_rate * res.n_valid)
    high = int(is_tier["high"].sum())
    high_p = float(p[is_tier["high"]].mean()) if high else float("nan")
    min_n = ctx.config.analysis.min_n
    lo, hi = res.auc_valid_interval
    section.add(
        Number(K + "auc_valid", res.auc_valid, unit="ratio", note=K + "auc_note", n=res.n_valid,
               interval=None if np.isnan(lo) else (lo, hi), interval_method="delong",
               note_kw={"train": str(res.train_cutoff), "valid": str(res.valid_cutoff), "horizon": res.horizon}),
        Number(K + "base_rate", res.base_rate, unit="percent", numerator=churned, denominator=res.n_valid,
               n=res.n_valid, interval=wilson_interval(churned, res.n_valid), interval_method="wilson",
               label_kw={"horizon": res.horizon}, note=K + "base_rate_note", note_kw={"valid": str(res.valid_cutoff)},
               flags=sample_flags(res.n_valid, min_n)),
    )
    section.data.update({"auc_train": res.auc_train, "auc_valid": res.auc_valid, "horizon_days": res.horizon,
                         "auc_valid_interval": None if np.isnan(lo) else [lo, hi],
                         "train_cutoff": str(res.train_cutoff),
                         "valid_cutoff": str(res.valid_cutoff), "base_rate": res.base_rate,
                         "n_train": res.n_train, "n_valid": res.n_valid})
    if not res.discriminates:  # no better than chance out of time: no ranking, tiers or targets
        section.add(Text(K + "no_discrimination", res.no_discrimination_kw(), style="warning"))
        section.data["risk_model"] = {"not_used": "no_discrimination"}
        return
    section.add(
        Number(K + "expected_rate", float(p.mean()), unit="percent", n=len(p), label_kw={"horizon": res.horizon}),
        Number(K + "high_risk_lift", high_p / res.base_rate, unit="ratio", n=high,
               label_kw={"share": f"{HIGH_SHARE:.0%}"}, note=K + "tiers_note",
               note_kw={"high": f"{HIGH_SHARE:.0%}", "elevated": f"{ELEVATED_SHARE:.0%}", "p": f"{high_p:.1%}",
                        "base": f"{res.base_rate:.1%}", "top": f"{float(res.lift.lift.iloc[0]):.2f}"}),
        Chart("bar", K + "lift", res.lift, x="decile", y="lift",
              labels={"decile": K + "col.decile", "lift": K + "col.lift"}),
        Chart("line", K + "calibration", res.calibration, x="predicted", y=["observed", "predicted"],
              labels={"predicted": K + "col.predicted", "observed": K + "col.observed"}),
    )
    tiers = pd.DataFrame({"tier": list(is_tier), "customers": [int(m.sum()) for m in is_tier.values()]})
    tiers["share"] = tiers.customers / len(p)
    tiers["mean_probability"] = [float(p[m].mean()) if m.any() else np.nan for m in is_tier.values()]
    tiers["lift"] = tiers.mean_probability / res.base_rate
    tiers["tier"] = K + "tier." + tiers.tier
    section.add(Table(K + "tiers", tiers, {c: K + "col." + c for c in tiers.columns},
                      percent_columns=("share", "mean_probability"), translate_values=("tier",)))
    coef = res.model.summary().reset_index()
    section.add(Table(K + "coefficients", coef, {"feature": K + "col.feature",
                                                 "coef_per_sd": K + "col.coef",
                                                 "odds_ratio_per_sd": K + "col.odds_ratio"}))
    ctx.add_customer_columns(res.scores.reset_index().rename(columns={"index": "customer_id"}))
    ctx.results["churn"] = res
    section.data.update({"high_risk_share": high / len(p), "high_risk_lift": high_p / res.base_rate})


def _cox(surv: pd.DataFrame, section: Section) -> None:
    """Hazard ratios of churn per SD of each feature, fitted on every customer, with their 95%
    intervals, n and events; when the model cannot be estimated, the reason."""
    try:
        model = cox_model(surv)
    except (InsufficientDataError, ConvergenceError) as exc:
        section.add(Text(K + "cox_skipped", {"reason": Phrase.from_message(exc.message),
                                             "fix": Phrase.from_message(exc.fix or "")}, style="note"))
        section.data["cox"] = {"skipped": exc.message}
        return
    cox = model.summary().drop(columns="z").reset_index().rename(columns={"covariate": "feature"})
    kw = {"n": model.n_, "events": model.events_, "penalizer": model.penalizer}
    section.add(Table(K + "cox", cox, note=K + "cox_note", note_kw=kw))
    section.data["cox"] = {**kw, "ties": "efron", "sampled": False, "iterations": model.n_iter_}


def _segments(ctx: SectionContext) -> pd.Series | None:
    rfm = ctx.results.get("rfm")
    if rfm is None:
        return None
    builtin = ctx.config.segments.rfm_scheme in BUILTIN
    seg = rfm.set_index("customer_id")["segment_id" if builtin else "segment"]
    return pd.Series(map_distinct(seg, "segments.name.{}".format), index=seg.index, name=seg.name) if builtin else seg


def _story(ctx: SectionContext, section: Section, surv: pd.DataFrame, res: ChurnResult | None,
           seg: pd.Series | None, days: int) -> None:
    """By segment: churned now (no order within the window), P(alive), the purchase model's and
    the risk model's probability of no order within the window."""
    frame = pd.DataFrame({"churned_now": surv.event.astype(float)}, index=surv.index.astype(str))
    cu = ctx.customers  # the value section's scores are its columns (not a second copy of them)
    cols = [c for c in ("p_alive", "p_no_order_window") if cu is not None and c in cu.columns]
    # each source re-indexed onto the survival table's ids once for all its columns (one
    # lookup of a million text ids each, not one per column)
    if cu is not None and cols:
        extra = ctx.customer_values(cols, frame.index)
        for col in cols:
            frame[col] = extra[col].to_numpy()
    if res is not None:
        scores = res.scores[["churn_probability", "churn_tier"]].reindex(frame.index)
        frame["churn_probability"] = scores["churn_probability"]
        frame["high_risk"] = (scores["churn_tier"] == "high").astype(float)
    frame["segment"] = seg.reindex(frame.index).fillna(S + "all") if seg is not None else S + "all"
    table = frame.groupby("segment", sort=False).agg(
        customers=("churned_now", "size"), **{c: (c, "mean") for c in frame.columns if c != "segment"}).reset_index()
    total = frame.drop(columns="segment").mean().to_dict()
    if seg is not None:
        table = pd.concat([table, pd.DataFrame([{"segment": S + "all", "customers": len(frame), **total}])],
                          ignore_index=True)
    section.add(Text(S + "relation", {"days": days}, style="p"),
                Table(S + "table", table, {c: S + "col." + c for c in table.columns},
                      percent_columns=tuple(c for c in table.columns if c not in ("segment", "customers")),
                      translate_values=("segment",)))
    section.data["story"] = {k: (None if pd.isna(v) else float(v)) for k, v in total.items()}
