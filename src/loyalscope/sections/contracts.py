"""Report section "contracts": the shifted-beta-geometric (sBG) model of contract renewals.

Runs when the dataset has a ``contracts`` table (one row per contract term). Each customer's
terms give the number of periods survived and whether the customer churned or is still under
contract on the analysis date (:func:`loyalscope.models.purchase.sbg.contracts_to_durations`); the sBG
model (Fader & Hardie 2007) is fitted to those censored durations. The section shows the
parameters with 95% intervals, the observed (Kaplan-Meier) and fitted retention rates and
survival curves, and the discounted expected residual lifetime (DERL, Fader & Hardie 2010) by
number of renewals made, at ``value.annual_discount_rate`` converted to the median term length.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalscope.errors import ConvergenceError, InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.purchase.sbg import ShiftedBetaGeometric, contracts_to_durations, life_table
from loyalscope.results import Chart, Number, Section, Table, Text

SECTION_ID = "contracts"
MIN_CUSTOMERS = 30
MIN_CHURNED = 5
#: Periods the curves are projected beyond the longest observed duration.
PROJECT = 5
#: DERL is tabulated for 0 .. MAX_RENEWALS renewals made.
MAX_RENEWALS = 10
_COL = "sbg.section.columns."


def build(ds: Any, ctx: Any) -> Section:
    """Read the contracts table, turn it into durations and build the section."""
    cols = ["customer_id", "start_date", "end_date"]
    cols += [c for c in ("renewed", "fee") if ds.has("contracts", c)]
    frame = ds.table("contracts", *cols).execute()
    periods, churned, _ = contracts_to_durations(
        frame.customer_id, frame.start_date, frame.end_date, frame.get("renewed"), ds.analysis_date)
    term_days = (pd.to_datetime(frame.end_date) - pd.to_datetime(frame.start_date)).dt.days
    fee = float(frame.fee.mean()) if "fee" in frame and frame.fee.notna().any() else None
    try:
        return contracts_section(periods, churned, float(term_days.median()), ctx.config.value.annual_discount_rate,
                                 fee=fee, ctx=ctx)
    except ConvergenceError as exc:
        raise InsufficientDataError(exc.message, fix=exc.fix) from exc


def period_discount_rate(annual_rate: float, term_days: float) -> float:
    """Discount rate per contract period: ``(1 + annual)^(term_days / 365.25) - 1``."""
    return float((1.0 + annual_rate) ** (max(term_days, 1.0) / 365.25) - 1.0)


def contracts_section(periods: np.ndarray, churned: np.ndarray, term_days: float, annual_rate: float,
                      fee: float | None = None, ctx: Any = None) -> Section:
    """The section from per-customer ``periods`` survived and ``churned`` flags (see module doc)."""
    n, lost = int(periods.size), int(churned.sum())
    if n < MIN_CUSTOMERS or lost < MIN_CHURNED:
        raise InsufficientDataError(t("sbg.section.too_few", n=n, churned=lost, need=MIN_CUSTOMERS,
                                      need_churned=MIN_CHURNED), fix=t("sbg.section.too_few_fix"))
    model = ShiftedBetaGeometric().fit_durations(periods, churned)
    observed = life_table(periods, churned)
    k = int(observed.period.max())
    horizon = np.arange(0, k + PROJECT + 1)
    retention = pd.DataFrame({"period": horizon[1:], "fitted": model.retention_rate(horizon[1:])})
    retention["observed"] = retention.period.map(observed.set_index("period").retention)
    survival = pd.DataFrame({"period": horizon, "fitted": model.survival(horizon)})
    survival["observed"] = survival.period.map(
        pd.concat([pd.Series({0: 1.0}), observed.set_index("period").survival]))
    section = Section(SECTION_ID)
    params = model.summary()
    section.add(
        Text("sbg.section.intro", {"n": n, "churned": lost, "active": n - lost, "periods": k,
                                   "term_days": f"{term_days:.0f}"}),
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
    data: dict[str, Any] = {"params": model.params_, "loglik": model.loglik_, "customers": n, "churned": lost}
    rate = period_discount_rate(annual_rate, term_days)
    if rate > 0:
        renewals = np.arange(0, MAX_RENEWALS + 1)
        derl = pd.DataFrame({"renewals": renewals, "derl": model.derl(rate, renewals)})
        if fee is not None:
            derl["value"] = derl.derl * fee
        section.add(
            Number(label="sbg.section.derl_new", value=float(derl.derl.iloc[0]), unit="count",
                   label_kw={"rate": f"{rate:.1%}"}, denominator=n),
            Table(title="sbg.section.derl_table", frame=derl, columns={c: _COL + c for c in derl.columns},
                  note="sbg.section.derl_note", note_kw={"rate": f"{rate:.2%}", "annual": f"{annual_rate:.0%}"}),
        )
        data.update(derl=derl.derl.tolist(), period_discount_rate=rate)
    else:
        section.add(Text("sbg.section.no_discount", style="note"))
    section.data = data
    if ctx is not None:
        ctx.results["contracts"] = {"model": model, "life_table": observed}
    return section
