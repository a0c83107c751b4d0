"""Report section "contracts": the shifted-beta-geometric (sBG) model of contract renewals.

Runs when the dataset has a ``contracts`` table (one row per contract term). Each customer's
terms give the number of periods survived and whether the customer churned or is still under
contract on the analysis date (:func:`loyalscope.models.purchase.sbg.contracts_to_durations`); the sBG
model (Fader & Hardie 2007) is fitted to those censored durations. The section shows the
parameters with 95% intervals, the observed (Kaplan-Meier) and fitted retention rates and
survival curves, and the discounted expected residual lifetime (DERL, Fader & Hardie 2010) by
number of renewals made, at ``value.annual_discount_rate`` converted to the median term length.

Without a contracts table, a snapshot of customers (``customers`` with ``tenure`` and
``churned``: IBM's Telco sample, tenure in months and "Churn" for leaving within the last month)
is read as contracts renewed every ``[value] tenure_unit``: only customers still there at the start
of the snapshot's last period are in it, so the sBG model is fitted given survival to
``tenure - 1`` (left truncation, :mod:`loyalscope.models.purchase.sbg`) and the observed
retention is the product-limit estimate with delayed entry. The churned share and, with a
``plan`` column, the share by plan are shown with their Wilson intervals; the counts come from
the engine (one row per distinct tenure and flag, one per plan).

Fit checks first (:mod:`loyalscope.models.status`): with fewer contract customers or churned
customers than ``[models] min_contract_customers`` / ``min_contract_churned``, or with a single
observed renewal period (one retention rate cannot determine two parameters: the two-year demo
with yearly terms), the section says so and what data would fix it, shows the observed
retention only and no model numbers. A weakly identified fit's numbers carry a warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalscope.config import ModelsConfig
from loyalscope.errors import ConvergenceError
from loyalscope.intervals import wilson_interval
from loyalscope.models.purchase.geometric import Geometric
from loyalscope.models.purchase.sbg import ShiftedBetaGeometric, contracts_to_durations, life_table
from loyalscope.models.status import FitIssue, FitStatus, sample_size_issues
from loyalscope.results import Chart, Number, Section, Table, Text
from loyalscope.sections._trust import fit_flags, status_blocks

Renewals = ShiftedBetaGeometric | Geometric
"""A model of contract renewals: the sBG, or its no-heterogeneity limit with one churn probability."""

SECTION_ID = "contracts"
#: Periods the curves are projected beyond the longest observed duration.
PROJECT = 5
#: DERL is tabulated for 0 .. MAX_RENEWALS renewals made.
MAX_RENEWALS = 10
_COL = "sbg.section.columns."


#: A snapshot read in months whose longest tenure is at most this many periods gets a warning
#: that its tenure may be in years (a bank's export: Kaggle's Churn_Modelling, Tenure 0-10).
SHORT_IN_MONTHS = 12
#: Days in one period of each ``[value] tenure_unit`` (a snapshot's tenure).
TENURE_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0, "year": 365.25}


def build(ds: Any, ctx: Any) -> Section:
    """Read the contracts table, turn it into durations and build the section (from a customer
    snapshot when there is no contracts table and the customers have tenure and a churn flag)."""
    if not ds.has("contracts") and ds.has("customers", "tenure") and ds.has("customers", "churned"):
        return snapshot(ds, ctx)
    cols = ["customer_id", "start_date", "end_date"]
    cols += [c for c in ("renewed", "fee") if ds.has("contracts", c)]
    frame = ds.table("contracts", *cols).execute()
    periods, churned, _ = contracts_to_durations(
        frame.customer_id, frame.start_date, frame.end_date, frame.get("renewed"), ds.analysis_date)
    term_days = (pd.to_datetime(frame.end_date) - pd.to_datetime(frame.start_date)).dt.days
    fee = float(frame.fee.mean()) if "fee" in frame and frame.fee.notna().any() else None
    return contracts_section(periods, churned, float(term_days.median()), ctx.config.value.annual_discount_rate,
                             fee=fee, ctx=ctx, models=ctx.config.models, seed=ctx.config.analysis.seed)


def period_discount_rate(annual_rate: float, term_days: float) -> float:
    """Discount rate per contract period: ``(1 + annual)^(term_days / 365.25) - 1``."""
    return float((1.0 + annual_rate) ** (max(term_days, 1.0) / 365.25) - 1.0)


def snapshot(ds: Any, ctx: Any) -> Section:
    """The section from a snapshot of customers: tenure, churned flag, fee and plan (module doc)."""
    cfg = ctx.config
    c = ds.table("customers", "tenure", "churned")
    counts = c.group_by(["tenure", "churned"]).aggregate(n=c.count()).execute()
    counts = counts.sort_values(["tenure", "churned"], kind="stable")  # in one order on every engine
    known = counts[counts.churned.notna() & counts.tenure.notna()]
    tenure = known.tenure.to_numpy(float)
    fit = (tenure >= 1) & (tenure == np.round(tenure))
    rows = known[fit]
    n_all, lost_all = int(known.n.sum()), int(known.n[known.churned.astype(bool)].sum())
    unit = cfg.value.tenure_unit
    intro = Text("sbg.section.snapshot_intro", {
        "n": f"{n_all:,}", "churned": f"{lost_all:,}", "unknown": f"{int(counts.n.sum()) - n_all:,}",
        "left_out": f"{int(known.n[~fit].sum()):,}", "unit": f"sbg.section.units.{unit}"})
    fee = None
    if ds.has("customers", "fee"):
        f = ds.table("customers", "fee")
        fee = f.aggregate(m=f.fee.mean()).execute().m.iloc[0]
        fee = float(fee) if fee is not None and np.isfinite(fee) else None
    periods = rows.tenure.to_numpy(float)
    section = contracts_section(periods, rows.churned.astype(bool).to_numpy(float), TENURE_DAYS[unit],
                                cfg.value.annual_discount_rate, fee=fee, ctx=ctx, models=cfg.models,
                                seed=cfg.analysis.seed, weights=rows.n.to_numpy(float), entry=periods - 1,
                                intro=intro)
    interval = wilson_interval(lost_all, n_all)
    section.blocks.insert(1, Number(label="sbg.section.snapshot_share", value=lost_all / n_all if n_all else None,
                                    unit="share", numerator=lost_all, denominator=n_all, n=n_all,
                                    interval=interval, label_kw={"unit": f"sbg.section.units.{unit}"}))
    section.data.update(snapshot={"customers": n_all, "churned": lost_all, "tenure_unit": unit})
    longest = int(tenure.max()) if len(tenure) else 0
    if unit == "month" and 0 < longest <= SHORT_IN_MONTHS:
        # a bank's export counts tenure in years (Kaggle's Churn_Modelling: Tenure 0-10), and
        # nothing in the numbers tells the unit: read as months, every rate would be per month
        section.blocks.insert(2, Text("sbg.section.tenure_maybe_years", {"longest": longest},
                                      style="warning"))
        section.data["snapshot"]["longest_tenure"] = longest
    if ds.has("customers", "plan"):
        p = ds.table("customers", "plan", "churned")
        p = p.filter(p.churned.notnull())
        plans = p.group_by("plan").aggregate(customers=p.count(), churned=p.churned.cast("int64").sum()).execute()
        plans = plans.sort_values(["customers", "plan"], ascending=[False, True], kind="stable")
        plans["plan"] = plans.plan.fillna("-").astype(str)
        plans["share"] = plans.churned / plans.customers
        bounds = [wilson_interval(k, m) or (np.nan, np.nan) for k, m in zip(plans.churned, plans.customers, strict=True)]
        plans["lower_95"], plans["upper_95"] = [b[0] for b in bounds], [b[1] for b in bounds]
        frame = plans[["plan", "customers", "churned", "share", "lower_95", "upper_95"]].reset_index(drop=True)
        section.add(
            Table(title="sbg.section.by_plan", frame=frame,
                  columns={c: _COL + c for c in frame.columns}, percent_columns=("share", "lower_95", "upper_95")),
            Chart(kind="bar", title="sbg.section.by_plan_chart", frame=frame[["plan", "share"]], x="plan", y=["share"],
                  labels={"plan": _COL + "plan", "share": _COL + "share"}, options={"percent_y": True}))
        section.data["snapshot"]["by_plan"] = frame.to_dict("records")
    fitted = ctx.results.get("contracts") or {}
    pooled: Renewals | None = fitted.get("model")
    edge = fitted.get("status") is not None and any(i.code == "param_extreme" for i in fitted["status"].issues)
    if pooled is None and edge:  # churn does not fall with tenure: the sBG's geometric limit
        pooled = Geometric().fit_durations(periods, rows.churned.astype(bool).to_numpy(float),
                                           rows.n.to_numpy(float), entry=periods - 1)
        section.add(Text("sbg.section.geometric_pooled", {"p": f"{pooled.p:.1%}", "unit": f"sbg.section.units.{unit}"},
                         style="note"))
        section.data["snapshot"]["geometric_p"] = pooled.p
    if pooled is not None:
        _snapshot_scores(ds, ctx, section, pooled, unit)
    return section


def _snapshot_scores(ds: Any, ctx: Any, section: Section, pooled: Renewals, unit: str) -> None:
    """Each plan's own model where the plan has enough customers and leavers (``[models]``
    minimums; the pooled fit for the others), and each current customer's scores: ``p_leave_next``
    (the probability of leaving at the end of the coming period: ``alpha / (alpha + beta + t)`` at
    tenure t), ``derl`` (discounted expected residual lifetime in payments,
    :meth:`ShiftedBetaGeometric.derl` at t renewals) and ``residual_value`` (``derl`` x the
    customer's fee). The plans differ far more than tenure explains (Telco: 42.7% of
    month-to-month customers left in the last month, 2.8% of two-year ones), so one pooled fit
    would give them all the same risk at the same tenure.

    A plan whose churn does not fall with tenure (Telco's one- and two-year contracts) runs the
    sBG to the edge of its space (alpha, beta -> infinity: no heterogeneity); its limit, the
    geometric model with one churn probability ``p = left / customers`` (the maximum-likelihood
    estimate from one-period observations), is used instead: ``p_leave_next = p`` and
    ``DERL = (1 - p)(1 + d) / (d + p)``. A plan with enough customers but too few leavers for a
    model of tenure gets the same geometric model with ``p = (left + 1/2) / (customers + 1)``
    (the posterior mean under Jeffreys' prior: never 0 for a plan where nobody left yet), not the
    pooled fit, which gave the Telco excerpt's two-year customers (2 leavers of 84) the pool's
    8-11% a month.
    """
    cfg = ctx.config
    mc = cfg.models
    cols = ["customer_id", "tenure", "churned", *[c for c in ("plan", "fee") if ds.has("customers", c)]]
    tbl = ds.table("customers", *cols)
    whole = tbl.churned.notnull() & (tbl.tenure >= 0) & (tbl.tenure == tbl.tenure.round())
    rate = period_discount_rate(cfg.value.annual_discount_rate, TENURE_DAYS[unit])
    year = PERIODS_PER_YEAR[unit]  # periods in a year: the first-year churn and the at-risk horizon
    hazard: dict[str, Renewals] = {}  # plan -> its fitted sBG or geometric model
    rows = []
    if ds.has("customers", "plan"):  # one row per plan, tenure and flag, counted in the engine
        fit_rows = tbl.filter(whole & (tbl.tenure >= 1))
        counts = fit_rows.group_by(["plan", "tenure", "churned"]).aggregate(n=fit_rows.count()).execute()
        counts["plan"] = counts.plan.fillna("-").astype(str)
        counts = counts.sort_values(["plan", "tenure", "churned"], kind="stable")  # the same fit on every engine
        for plan, part in counts.groupby("plan", sort=True):
            t = part.tenure.to_numpy(float)
            c = part.churned.astype(bool).to_numpy(float)
            w = part.n.to_numpy(float)
            if w.sum() < mc.min_contract_customers:
                continue  # the pooled model
            model: Renewals
            if w @ c < mc.min_contract_churned:
                model, kind = Geometric(prior=0.5).fit_durations(t, c, w, entry=t - 1), "few_leavers"
            else:
                try:
                    sbg: ShiftedBetaGeometric | None = ShiftedBetaGeometric(
                        random_state=cfg.analysis.seed).fit_durations(t, c, w, entry=t - 1)
                except ConvergenceError:
                    sbg = None
                if sbg is not None and sbg.status_.estimable:
                    model, kind = sbg, "sbg"
                else:
                    model, kind = Geometric().fit_durations(t, c, w, entry=t - 1), "geometric"
            hazard[str(plan)] = model
            rows.append({"plan": str(plan), "customers": int(w.sum()), "churned": int(w @ c),
                         "model": f"sbg.section.models.{kind}", "first": float(model.churn_next(0)[0]),
                         "year": 1.0 - float(np.prod(model.retention_rate(np.arange(1, year + 1))))})
    if rows:
        frame = pd.DataFrame(rows)
        section.add(Table(title="sbg.section.plan_models", frame=frame, columns={c: _COL + c for c in frame.columns},
                          percent_columns=("first", "year"), translate_values=("model",),
                          note="sbg.section.plan_models_note",
                          note_kw={"unit": f"sbg.section.units.{unit}", "k": year}))
        section.data["snapshot"]["plan_models"] = [{**r, "params": hazard[str(r["plan"])].params_} for r in rows]
    current = tbl.filter(whole & ~tbl.churned).execute()  # the customers to score: one row each
    p_leave = np.full(len(current), np.nan)
    derl = np.full(len(current), np.nan)
    lost = np.full(len(current), np.nan)  # periods expected not to be paid in the coming year
    plan_of = current.plan.fillna("-").astype(str) if "plan" in current else pd.Series("", index=current.index)
    tenure = current.tenure.to_numpy(float)
    for key in plan_of.unique():
        at = (plan_of == key).to_numpy()
        m = hazard.get(str(key), pooled)
        p_leave[at] = m.churn_next(tenure[at])
        lost[at] = m.unpaid_within(tenure[at], year)
        if rate > 0:
            derl[at] = m.derl(rate, tenure[at])
    scores = pd.DataFrame({"customer_id": current.customer_id.astype(str).to_numpy(), "p_leave_next": p_leave})
    if "fee" in current:
        scores["fee_at_risk"] = lost * current.fee.to_numpy(float)
    if rate > 0:
        scores["derl"] = derl
        if "fee" in current:
            scores["residual_value"] = derl * current.fee.to_numpy(float)
            value = scores.residual_value
            if value.notna().any():
                section.add(Number(label="sbg.section.residual_value", value=float(value.sum()), unit="currency",
                                   denominator=int(value.notna().sum()), n=int(value.notna().sum()),
                                   label_kw={"rate": f"{rate:.2%}"}))
    if "fee_at_risk" in scores and scores.fee_at_risk.notna().any():
        section.add(_at_risk(current, scores, unit, year))
    if len(scores):
        ctx.add_customer_columns(scores)


#: Current customers listed by the fees they are expected to stop paying in the coming year.
TOP_AT_RISK = 20
#: Periods of each ``[value] tenure_unit`` in a year (the at-risk horizon).
PERIODS_PER_YEAR = {"day": 365, "week": 52, "month": 12, "year": 1}


def _at_risk(current: pd.DataFrame, scores: pd.DataFrame, unit: str, year: int) -> Table:
    """The current customers with the most fees at risk over the coming year:
    ``fee_at_risk = fee x sum_{k=1..K} (1 - S(t+k) / S(t))``, the fee times the periods of the
    next ``K`` (a year) the customer is expected not to pay, at tenure t (``S`` the plan's
    survival; ``(1 - p)^k`` for one churn probability), undiscounted; highest first.

    Not ``P(leaving at the next renewal) x expected remaining value``: for a customer with a
    steady churn probability p that is about ``fee (1 - p)`` whatever p (the rarer leaving, the
    longer the life it ends), so it ranked customers by fee, not by risk.
    """
    frame = pd.DataFrame({"customer_id": scores.customer_id.to_numpy(),
                          **{c: current[c].to_numpy() for c in ("plan", "tenure", "fee") if c in current},
                          "p_leave_next": scores.p_leave_next.to_numpy(),
                          "fee_at_risk": scores.fee_at_risk.to_numpy()})
    top = frame.dropna(subset=["fee_at_risk"]).sort_values(["fee_at_risk", "customer_id"], ascending=[False, True],
                                                           kind="stable").head(TOP_AT_RISK).reset_index(drop=True)
    return Table(title="sbg.section.at_risk", frame=top, columns={c: _COL + c for c in top.columns},
                 percent_columns=("p_leave_next",), max_rows=TOP_AT_RISK,
                 note="sbg.section.at_risk_note",
                 note_kw={"unit": f"sbg.section.units.{unit}", "n": len(frame), "k": year})


def contracts_section(periods: np.ndarray, churned: np.ndarray, term_days: float, annual_rate: float,
                      fee: float | None = None, ctx: Any = None, models: ModelsConfig | None = None,
                      seed: int = 0, weights: np.ndarray | None = None, entry: np.ndarray | None = None,
                      intro: Text | None = None) -> Section:
    """The section from per-customer ``periods`` survived and ``churned`` flags (see module doc);
    ``weights`` counts identical rows, ``entry`` the periods survived before observation (a
    snapshot's left truncation), ``intro`` replaces the contracts' opening text."""
    mc = models or ModelsConfig()
    w = np.ones(periods.size) if weights is None else np.asarray(weights, dtype=float)
    n, lost = int(w.sum()), int(w @ churned)
    observed = (life_table(periods, churned, w, entry) if periods.size
                else pd.DataFrame(columns=["period", "retention", "survival"]))
    k = int(observed.period.max()) if len(observed) else 0
    section = Section(SECTION_ID)
    section.add(intro or Text("sbg.section.intro", {"n": n, "churned": lost, "active": n - lost, "periods": k,
                                                    "term_days": f"{term_days:.0f}"}))
    issues = sample_size_issues(n, mc.min_contract_customers)
    if lost < mc.min_contract_churned:
        issues.append(FitIssue("too_few_churned", {"n": lost, "need": mc.min_contract_churned}))
    status = FitStatus(tuple(issues))
    model = None
    if status.estimable:
        try:
            model = ShiftedBetaGeometric(random_state=seed).fit_durations(periods, churned, w, entry=entry)
            status = status.plus(*model.status_.issues)
        except ConvergenceError as exc:
            status = status.plus(FitIssue("not_converged", {"message": exc.message}))
    data: dict[str, Any] = {"customers": n, "churned": lost, "periods": k, "status": status.to_dict()}
    section.data = data
    section.add(*status_blocks("sbg", status))
    if model is None or not status.estimable:
        if len(observed):
            section.add(Chart(kind="line", title="sbg.section.observed_chart", frame=observed[["period", "retention"]],
                              x="period", y=["retention"], labels={"period": _COL + "period", "retention": _COL + "observed"},
                              options={"percent_y": True}))
        if ctx is not None:
            ctx.results["contracts"] = {"model": None, "life_table": observed, "status": status}
        return section
    flags = fit_flags(status)
    horizon = np.arange(0, k + PROJECT + 1)
    retention = pd.DataFrame({"period": horizon[1:], "fitted": model.retention_rate(horizon[1:])})
    retention["observed"] = retention.period.map(observed.set_index("period").retention)
    survival = pd.DataFrame({"period": horizon, "fitted": model.survival(horizon)})
    survival["observed"] = survival.period.map(
        pd.concat([pd.Series({0: 1.0}), observed.set_index("period").survival]))
    params = model.summary()
    section.add(
        Table(title="sbg.section.parameters", frame=params,
              columns={c: f"models.summary.{c}" for c in params.columns}),
        Text("sbg.section.finding", {"alpha": f"{model.params_['alpha']:.3f}", "beta": f"{model.params_['beta']:.3f}",
                                     "mean": f"{model.params_['alpha'] / (model.params_['alpha'] + model.params_['beta']):.1%}",
                                     "r1": f"{retention.fitted.iloc[0]:.1%}", "rk": f"{retention.fitted.iloc[k - 1]:.1%}",
                                     "k": k}, style="finding"),
        Chart(kind="line", title="sbg.section.retention_chart", frame=retention, x="period", y=["observed", "fitted"],
              labels={c: _COL + c for c in ("period", "observed", "fitted")}, options={"percent_y": True}),
        Chart(kind="line", title="sbg.section.survival_chart", frame=survival, x="period", y=["observed", "fitted"],
              labels={c: _COL + c for c in ("period", "observed", "fitted")}, options={"percent_y": True}),
    )
    data.update(params=model.params_, loglik=model.loglik_)
    rate = period_discount_rate(annual_rate, term_days)
    if rate > 0:
        renewals = np.arange(0, MAX_RENEWALS + 1)
        derl = pd.DataFrame({"renewals": renewals, "derl": model.derl(rate, renewals)})
        if fee is not None:
            derl["value"] = derl.derl * fee
        section.add(
            Number(label="sbg.section.derl_new", value=float(derl.derl.iloc[0]), unit="count",
                   label_kw={"rate": f"{rate:.1%}"}, denominator=n, n=n, flags=list(flags)),
            Table(title="sbg.section.derl_table", frame=derl, columns={c: _COL + c for c in derl.columns},
                  note="sbg.section.derl_note", note_kw={"rate": f"{rate:.2%}", "annual": f"{annual_rate:.0%}"}),
        )
        data.update(derl=derl.derl.tolist(), period_discount_rate=rate)
    else:
        section.add(Text("sbg.section.no_discount", style="note"))
    if ctx is not None:
        ctx.results["contracts"] = {"model": model, "life_table": observed, "status": status}
    return section
