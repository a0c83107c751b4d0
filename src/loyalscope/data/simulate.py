"""A simulated company with known ground truth: customers, orders, returns, complaints,
surveys, referrals, interactions, contracts and loyalty points.

Purchase model (BG/NBD, Fader, Hardie & Lee 2005, "Counting your customers the easy way",
Marketing Science 24(2)), in continuous time with **days** as the unit:

- each customer signs up (and makes a first purchase) at a uniform time in the first half of
  the window; ``T`` is the time from signup to the window end;
- purchase rate ``lambda ~ Gamma(shape=r, rate=alpha)`` (r=0.5, alpha=40: one purchase per 80
  days on average);
- dropout probability ``p ~ Beta(a, b)`` (a=0.8, b=2.5); after each *repeat* purchase the
  customer drops out with probability ``p``; while alive, inter-purchase times are
  exponential(lambda); same-day purchases are kept apart.

``p`` is tied to the survey latent satisfaction through a Gaussian copula
``p = F_Beta^-1(Phi(-rho SAT + sqrt(1 - rho^2) z))`` (rho=0.5), so the marginal of ``p`` is
exactly Beta(a, b) while satisfied customers drop out less. A complaint raises the dropout
probability of every later decision: ``p' = 1 - (1 - p)(1 - e)``, with ``e`` 0.05 (minor),
0.10 (major, resolved), 0.50 (major, unresolved); ``complaint_effect=False`` turns this off,
leaving a pure BG/NBD process.

Spend (Gamma-Gamma, Fader, Hardie & Lee 2005, "RFM and CLV"): ``nu ~ Gamma(shape=q,
rate=gamma)``, each order ``z ~ Gamma(shape=p, rate=nu)``, amount = 10 * z yuan (p=6, q=4,
gamma=15: mean 10 * p * gamma / (q - 1) = 300 yuan), rounded to cents (at least 0.01).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import betaincinv, ndtr

from loyalscope.data import simulate_changes as changes_
from loyalscope.data import simulate_columns as col
from loyalscope.data import simulate_extras as extras
from loyalscope.data import simulate_text
from loyalscope.data.simulate_survey import latent_scores, survey_table, survey_truth
from loyalscope.errors import ConfigError
from loyalscope.i18n import t

BGNBD = {"r": 0.5, "alpha": 40.0, "a": 0.8, "b": 2.5}
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "gamma": 15.0}
SPEND_SCALE = 10.0
ACQUISITION_SHARE = 0.5
SATISFACTION_RHO = 0.5
COMPLAINT_PROB = 0.02
MAJOR_SHARE = 0.3
RESOLVED_PROB = {"minor": 0.9, "major": 0.6}
COMPLAINT_EFFECT = {"minor": 0.05, "major_resolved": 0.10, "major_unresolved": 0.50}
RETURN_PROB = {"regular": 0.03, "promo": 0.06}
CATEGORIES = ["apparel", "beauty", "electronics", "food", "home", "sports", "books"]
CATEGORY_WEIGHTS = np.array([0.22, 0.15, 0.12, 0.18, 0.15, 0.10, 0.08])
CATEGORY_MARGIN = np.array([0.45, 0.55, 0.18, 0.25, 0.35, 0.40, 0.30])
ORDER_CHANNELS = ["online", "store", "app", "wechat"]
ACQ_CHANNELS = [*ORDER_CHANNELS, "referral"]
ACQ_WEIGHTS = np.array([0.35, 0.25, 0.2, 0.2])
ACQ_COST = np.array([80.0, 50.0, 60.0, 40.0, 30.0])
REGIONS = ["east", "north", "south", "central", "west", "northeast"]
TIERS = ["silver", "gold", "platinum"]
RETURN_REASONS = ["defect", "size", "not_as_described", "changed_mind"]
COMPLAINT_CATEGORIES = ["product", "delivery", "service", "billing"]
COMPLAINT_CHANNELS = ["phone", "online", "store", "wechat"]
CHURN_REASONS = ["complaint", "price", "competitor", "moved", "no_need"]


@dataclass
class SimulatedCompany:
    """Canonical tables of a simulated company and the ground truth that generated them."""

    tables: dict[str, pd.DataFrame]
    truth: dict
    latent: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Per-customer hidden values (lambda, p, nu, sat, alive); not written by :meth:`write`."""

    def write(self, out_dir: str | Path, format: str = "csv") -> dict[str, Path]:
        """Write one file per table, ``truth.json`` and ``crm_export/订单_gbk.csv``.

        Returns the written paths keyed by table name (plus ``"truth"`` and ``"crm_export"``).
        Same company -> byte-identical files.
        """
        from loyalscope.data.simulate_io import write_company

        return write_company(self, Path(out_dir), format)


def _check(customers: int, days: int, acquisition_share: float = ACQUISITION_SHARE) -> None:
    if not 0 < acquisition_share <= 1:
        raise ConfigError(t("core.input_errors.bad_acquisition", value=acquisition_share), value=acquisition_share,
                          fix=t("core.input_errors.bad_acquisition_fix"))
    if customers < 1:
        raise ConfigError(t("core.input_errors.bad_customers", value=customers), value=customers,
                          fix=t("core.input_errors.bad_customers_fix"))
    if days < 2:
        raise ConfigError(t("core.input_errors.bad_days", value=days), value=days, fix=t("core.input_errors.bad_days_fix"))


def _bgnbd(density: float) -> dict[str, float]:
    """BG/NBD parameters at ``density`` times the default purchases per lifetime."""
    if not (np.isfinite(density) and 0 < density <= 100):
        raise ConfigError(t("core.input_errors.bad_density", value=density), value=density,
                          fix=t("core.input_errors.bad_density_fix"))
    return {**BGNBD, "alpha": BGNBD["alpha"] / density, "b": BGNBD["b"] * density}


def simulate(
    customers: int = 3000,
    days: int = 730,
    seed: int = 0,
    start: dt.date = dt.date(2024, 1, 1),
    *,
    purchase_density: float = 1.0,
    complaint_effect: bool = True,
    acquisition_share: float = ACQUISITION_SHARE,
    changes: Sequence[changes_.Change] = (),
) -> SimulatedCompany:
    """Simulate ``customers`` customers over ``days`` days from ``start`` (see module docstring).

    Parameters
    ----------
    customers : int
        Number of customers acquired (referred prospects who never converted come on top,
        in ``referrals`` only).
    days : int
        Window length in days; every timestamp lies in ``[start, start + days)``.
    seed : int
        Random seed; the same seed gives the same tables.
    start : datetime.date
        First day of the window.
    purchase_density : float
        Purchases per unit of lifetime, relative to the default: the purchase rate is
        multiplied by it (``alpha / d``) and the dropout odds divided by it (``b * d``), so a
        customer's lifetime stays about the same while it holds ``d`` times the repeat
        purchases; the process stays BG/NBD, with the parameters recorded in ``truth``.
        About 3.8 orders per customer at 1, 10.2 at 4 (730 days).
    complaint_effect : bool
        Whether complaints raise the dropout probability (False: pure BG/NBD purchases).
    acquisition_share : float
        Signups are uniform over this leading share of the window (1: customers keep coming
        at a constant rate, so every rate of the process is constant in time).
    changes : sequence of Change
        Changes to inject (:mod:`loyalscope.data.simulate_changes`), recorded in
        ``truth["changes"]``.

    Examples
    --------
    >>> company = simulate(customers=200, days=365, seed=1)
    >>> sorted(company.tables)[:3]
    ['complaints', 'contracts', 'customers']
    """
    _check(customers, days, acquisition_share)
    bgnbd = _bgnbd(purchase_density)
    seeds = np.random.SeedSequence(seed).spawn(5)
    rng, rng_survey, rng_extra, rng_ref, rng_change = (np.random.default_rng(s) for s in seeds)
    n, end_s = customers, int(days) * 86400
    # --- customers ----------------------------------------------------------------------
    t0 = np.sort(rng.random(n)) * days * acquisition_share
    start_s = col.to_seconds(t0)
    T = days - start_s / 86400.0
    eta = latent_scores(rng_survey, n)
    lam = rng.gamma(bgnbd["r"], 1.0 / bgnbd["alpha"], n)
    u = ndtr(-SATISFACTION_RHO * eta["sat"] + np.sqrt(1 - SATISFACTION_RHO**2) * rng.standard_normal(n))
    p = betaincinv(bgnbd["a"], bgnbd["b"], u)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1.0 / GAMMA_GAMMA["gamma"], n)
    promo = rng.beta(1.2, 4.0, n)
    competitor = rng.random(n) < 0.25
    ref = extras.referrals(rng_ref, start_s, end_s, eta["sat"], dt_start=start)
    acq = rng.choice(4, n, p=ACQ_WEIGHTS)
    acq[ref.referred_mask] = 4
    member = rng.random(n) < 1.0 / (1.0 + np.exp(-(np.log(lam * bgnbd["alpha"] / bgnbd["r"]) * 0.5 - 0.4)))
    tier = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    pref_channel = np.where(acq < 4, acq, rng.integers(0, 4, n))
    pref_cat = rng.choice(len(CATEGORIES), n, p=CATEGORY_WEIGHTS)
    # --- candidate orders: first at signup, repeats as Poisson(lambda T) uniform times ----
    n_rep = rng.poisson(lam * T)
    cust = np.concatenate([np.arange(n), np.repeat(np.arange(n), n_rep)])
    t = np.concatenate([t0, np.repeat(t0, n_rep) + rng.random(n_rep.sum()) * np.repeat(T, n_rep)])
    is_rep = np.arange(cust.size) >= n
    order = np.lexsort((is_rep, t, cust))
    cust, t, is_rep = cust[order], t[order], is_rep[order]
    sec = np.minimum(col.to_seconds(t), end_s - 1)
    starts = col.group_starts(cust)
    m = cust.size
    # complaints on candidate orders and their effect on later dropout decisions
    has_c = rng.random(m) < COMPLAINT_PROB
    major = rng.random(m) < MAJOR_SHARE
    resolved = rng.random(m) < np.where(major, RESOLVED_PROB["major"], RESOLVED_PROB["minor"])
    effect = np.where(major, np.where(resolved, COMPLAINT_EFFECT["major_resolved"],
                                      COMPLAINT_EFFECT["major_unresolved"]), COMPLAINT_EFFECT["minor"])
    effect = np.where(has_c & complaint_effect, effect, 0.0)
    keep_log = col.group_cumsum(np.log1p(-effect), starts)
    p_eff = 1.0 - (1.0 - p[cust]) * np.exp(keep_log)
    drop = is_rep & (rng.random(m) < p_eff)
    dropped_before = col.group_cumsum(drop.astype(np.int64), starts) - drop
    kept = dropped_before == 0
    alive = np.ones(n, dtype=bool)
    alive[cust[kept & drop]] = False
    unresolved_major = np.zeros(n, dtype=bool)
    unresolved_major[cust[kept & has_c & major & ~resolved]] = True
    # --- transactions ---------------------------------------------------------------------
    cust, sec, has_c, major, resolved = cust[kept], sec[kept], has_c[kept], major[kept], resolved[kept]
    by_time = np.lexsort((cust, sec))
    cust, sec, has_c, major, resolved = (a[by_time] for a in (cust, sec, has_c, major, resolved))
    k = cust.size
    z = rng.gamma(GAMMA_GAMMA["p"], 1.0, k) / nu[cust]
    amount = np.maximum(np.round(SPEND_SCALE * z, 2), 0.01)
    is_promo = rng.random(k) < promo[cust]
    rate = np.where(is_promo, rng.uniform(0.05, 0.3, k), 0.0)
    discount = np.round(amount * rate / (1.0 - rate), 2)
    cat = np.where(rng.random(k) < 0.6, pref_cat[cust], rng.choice(len(CATEGORIES), k, p=CATEGORY_WEIGHTS))
    chan = np.where(rng.random(k) < 0.7, pref_channel[cust], rng.integers(0, 4, k))
    margin = np.round(amount * (CATEGORY_MARGIN[cat] - 0.1 * is_promo), 2)
    product = cat * 100 + rng.integers(0, 60, k)
    order_no = np.arange(1, k + 1)
    tx = pd.DataFrame({
        "order_id": col.ids("O", order_no, 8),
        "customer_id": col.ids("C", cust + 1, 7),
        "order_ts": col.stamps(start, sec),
        "amount": amount,
        "product_id": col.ids("P", product, 4),
        "category": col.labels(cat, CATEGORIES),
        "channel": col.labels(chan, ORDER_CHANNELS),
        "quantity": (1 + rng.poisson(0.4, k)).astype(np.float64),
        "discount": discount,
        "margin": margin,
        "is_promo": col.booleans(is_promo),
    })
    # --- returns ----------------------------------------------------------------------------
    ret = rng.random(k) < np.where(is_promo, RETURN_PROB["promo"], RETURN_PROB["regular"])
    ret_s = sec + col.to_seconds(rng.uniform(1.0, 30.0, k))
    ret &= ret_s < end_s
    frac = np.where(rng.random(k) < 0.6, 1.0, rng.uniform(0.2, 1.0, k))
    returns = pd.DataFrame({
        "order_id": tx["order_id"][ret].reset_index(drop=True),
        "return_ts": col.stamps(start, ret_s[ret]),
        "amount": np.minimum(np.round(amount[ret] * frac[ret], 2), amount[ret]),
        "reason": col.labels(rng.integers(0, len(RETURN_REASONS), int(ret.sum())), RETURN_REASONS),
    })
    # --- complaints -------------------------------------------------------------------------
    opened = sec + col.to_seconds(rng.uniform(0.1, 10.0, k))
    closed = opened + col.to_seconds(rng.uniform(0.5, 15.0, k))
    sel = has_c & (opened < end_s)
    still_open = closed >= end_s
    res = resolved & ~still_open
    nc = int(sel.sum())
    complaints = pd.DataFrame({
        "complaint_id": col.ids("K", np.arange(1, nc + 1), 6),
        "customer_id": col.ids("C", cust[sel] + 1, 7),
        "opened_ts": col.stamps(start, opened[sel]),
        "closed_ts": col.stamps(start, closed[sel], missing=~res[sel]),
        "severity": col.labels(major[sel].astype(int), ["minor", "major"]),
        "resolved": col.booleans(res[sel]),
        "category": col.labels(rng.integers(0, 4, nc), COMPLAINT_CATEGORIES),
        "channel": col.labels(rng.integers(0, 4, nc), COMPLAINT_CHANNELS),
    })
    # --- customers table ------------------------------------------------------------------
    reason = np.where(unresolved_major, 0, np.where(promo > 0.4, 1, rng.integers(2, 5, n)))
    reason_missing = alive | (rng.random(n) < 0.4)
    cost = np.round(rng.gamma(4.0, ACQ_COST[acq] / 4.0), 2)
    customers_df = pd.DataFrame({
        "customer_id": col.ids("C", np.arange(1, n + 1), 7),
        "signup_date": col.stamps(start, start_s),
        "acquisition_cost": cost,
        "channel": col.labels(acq, ACQ_CHANNELS),
        "region": col.labels(rng.integers(0, len(REGIONS), n), REGIONS),
        "gender": col.labels((rng.random(n) < 0.55).astype(int), ["M", "F"]),
        "age": np.clip(np.rint(rng.normal(36.0, 11.0, n)), 18, 80),
        "member_tier": col.labels(tier, TIERS, missing=~member),
        "is_employee": col.booleans(rng.random(n) < 0.01),
        "came_from_competitor": col.booleans(competitor),
        "churn_reason": col.labels(reason, CHURN_REASONS, missing=reason_missing),
    })
    surveys, respondents = survey_table(rng_survey, start_s, end_s, eta, promo, competitor, start)
    rng_text = np.random.default_rng(np.random.SeedSequence(seed).spawn(5)[4])  # own stream: tables above unchanged
    complaints["text"] = pd.array(simulate_text.complaint_texts(rng_text, complaints["category"],
                                                                complaints["severity"]), dtype="string")
    surveys["comment"] = pd.array(simulate_text.survey_comments(rng_text, surveys["csat"]), dtype="string")
    tables = {
        "customers": customers_df,
        "transactions": tx,
        "returns": returns,
        "complaints": complaints,
        "surveys": surveys,
        "referrals": ref.table,
        "interactions": extras.interactions(rng_extra, start_s, end_s, start),
        "contracts": extras.contracts(rng_extra, start_s, end_s, start),
        "loyalty_points": extras.loyalty_points(rng_extra, cust, sec, amount, member, tier, start),
    }
    repeats = np.bincount(cust, minlength=n) - 1
    latent = pd.DataFrame({"customer_id": customers_df["customer_id"], "lam": lam, "p": p, "nu": nu,
                           "sat": eta["sat"], "loy": eta["loy"], "promo_propensity": promo,
                           "alive": alive, "T": T, "repeats": repeats})
    truth = {
        "seed": seed, "start": start.isoformat(), "days": int(days), "customers": n,
        "complaint_effect_on": bool(complaint_effect),
        "acquisition": {"signup": "uniform", "share_of_window": acquisition_share},
        "bgnbd": {**bgnbd, "time_unit": "days"},
        "gamma_gamma": {**GAMMA_GAMMA, "spend_scale": SPEND_SCALE, "mean_amount":
                        SPEND_SCALE * GAMMA_GAMMA["p"] * GAMMA_GAMMA["gamma"] / (GAMMA_GAMMA["q"] - 1)},
        "satisfaction_dropout": {"copula": "gaussian", "rho": SATISFACTION_RHO,
                                 "meaning": "corr(SAT, probit(p)) = -rho"},
        "complaints": {"prob_per_order": COMPLAINT_PROB, "major_share": MAJOR_SHARE,
                       "resolved_prob": RESOLVED_PROB,
                       "dropout_effect": COMPLAINT_EFFECT if complaint_effect else None,
                       "rule": "p_after = 1 - (1 - p) * (1 - e), from the order complained about on"},
        "returns": {"prob": RETURN_PROB},
        "survey": survey_truth(),
        "referrals": ref.truth,
        "contracts": extras.CONTRACT_TRUTH,
        "observed": {
            "orders": int(k), "mean_repeats": float(repeats.mean()), "share_alive_at_end": float(alive.mean()),
            "survey_respondents": int(respondents.size), "complaints": nc, "returns": int(ret.sum()),
        },
    }
    if changes:
        tables, truth["changes"] = changes_.apply(
            tables, tx["order_id"][sel], changes, rng_change, changes_.window_end(start, days),
            COMPLAINT_PROB)
    return SimulatedCompany(tables=tables, truth=truth, latent=latent)
