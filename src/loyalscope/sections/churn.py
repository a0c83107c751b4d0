"""Report section "Churn risk": out-of-time model quality, lift, calibration, retention curves,
drivers, churn reasons and post-complaint repurchase."""

from __future__ import annotations

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.results import Chart, Number, Section, Table, Text
from loyalscope.sections.context import SectionContext
from loyalscope.segments.churn import churn_risk
from loyalscope.segments.churn_reasons import churn_reasons, post_complaint_repurchase, reason_codes
from loyalscope.segments.churn_survival import cox_drivers, km_curves, survival_table
from loyalscope.segments.scheme import BUILTIN

SECTION_ID = "churn"
K = "segments.report.churn."


def build(ds: Dataset, ctx: SectionContext) -> Section:
    res = churn_risk(ds)
    section = Section(SECTION_ID)
    p = res.scores["churn_probability"]
    section.add(
        Number(K + "auc_valid", res.auc_valid, unit="ratio", note=K + "auc_note",
               note_kw={"train": str(res.train_cutoff), "valid": str(res.valid_cutoff), "horizon": res.horizon}),
        Number(K + "high_risk", float((p >= 0.5).mean()), unit="percent",
               numerator=float((p >= 0.5).sum()), denominator=float(len(p))),
        Chart("bar", K + "lift", res.lift, x="decile", y="lift",
              labels={"decile": K + "col.decile", "lift": K + "col.lift"}),
        Chart("line", K + "calibration", res.calibration, x="predicted", y=["observed", "predicted"],
              labels={"predicted": K + "col.predicted", "observed": K + "col.observed"}),
    )
    coef = res.model.summary().reset_index()
    section.add(Table(K + "coefficients", coef, {"feature": K + "col.feature",
                                                 "coef_per_sd": K + "col.coef",
                                                 "odds_ratio_per_sd": K + "col.odds_ratio"}))
    surv = survival_table(ds)
    rfm = ctx.results.get("rfm")
    seg = None
    if rfm is not None:
        builtin = ctx.config.segments.rfm_scheme in BUILTIN
        seg = rfm.set_index("customer_id")["segment_id" if builtin else "segment"]
        seg = seg.map(lambda s: f"segments.name.{s}") if builtin else seg
    curves = km_curves(surv, seg)
    section.add(Chart("line", K + "km", curves, x="day", y="survival", color="segment",
                      labels={"day": K + "col.day", "survival": K + "col.survival", "segment": K + "col.segment"},
                      translate_values=("segment",) if seg is not None else ()),
                Text(K + "km_note", {"days": ctx.config.analysis.inactivity_days}, style="note"))
    try:
        cox = cox_drivers(surv).reset_index().rename(columns={"covariate": "feature"})
        section.add(Table(K + "cox", cox))
    except InsufficientDataError:
        pass
    reasons = churn_reasons(ds).reset_index()
    section.add(Table(K + "reasons", reasons, note=K + "reasons_note"))
    if ds.has("customers", "churn_reason"):
        codes = reason_codes(ds)
        if len(codes):
            section.add(Table(K + "reason_codes", codes, percent_columns=("share",)))
    if ds.has("complaints"):
        cp = post_complaint_repurchase(ds, horizon=res.horizon)
        section.add(Table(K + "complaints", cp, percent_columns=("repurchase_rate", "benchmark_low", "benchmark_high"),
                          note=K + "complaints_note"))
        ctx.results["complaint_repurchase"] = cp
    ctx.add_customer_columns(pd.DataFrame({"customer_id": p.index.astype(str), "churn_probability": p.to_numpy()}))
    ctx.results["churn"] = res
    section.data = {"auc_train": res.auc_train, "auc_valid": res.auc_valid, "horizon_days": res.horizon,
                    "train_cutoff": str(res.train_cutoff), "valid_cutoff": str(res.valid_cutoff)}
    return section
