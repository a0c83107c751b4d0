"""Side tables of the simulator: referrals, interactions, contracts and loyalty points.

Contracts follow the shifted-beta-geometric model (Fader & Hardie 2007, "How to project
customer retention", Journal of Interactive Marketing 21(1)): each subscriber has a churn
probability ``theta ~ Beta(alpha, beta)`` (alpha=0.7, beta=1.3) and at each annual renewal
leaves with probability ``theta``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from loyalscope.data import simulate_columns as col

REFERRED_SHARE = 0.10
UNCONVERTED_PER_CONVERTED = 1.5
CONTRACT_SHARE = 0.15
SBG = {"alpha": 0.7, "beta": 1.3}
PLANS = ["basic", "plus", "pro"]
PLAN_FEES = np.array([199.0, 499.0, 999.0])
CONTRACT_TRUTH = {**SBG, "model": "shifted-beta-geometric", "period_days": 365,
                  "share_of_customers": CONTRACT_SHARE,
                  "renewed": "NA when the renewal falls on or after the window end",
                  "end_date": "capped at the last second of the window for contracts still running (renewed NA)"}
KINDS = ["consult", "event", "feedback", "training"]
KIND_WEIGHTS = np.array([0.45, 0.2, 0.25, 0.1])
KIND_EFFECTIVE = np.array([0.7, 0.5, 0.6, 0.8])
INTERACTION_CHANNELS = ["phone", "online", "store", "wechat"]
INTERACTIONS_PER_YEAR = 0.8
TIER_POINTS = np.array([1.0, 1.5, 2.0])
REDEEM_PROB = 0.1


@dataclass
class Referrals:
    table: pd.DataFrame
    referred_mask: np.ndarray
    """Customers acquired through a referral (their acquisition channel is ``referral``)."""
    truth: dict


def _best_of_three(rng: np.random.Generator, upper: np.ndarray, score: np.ndarray) -> np.ndarray:
    """For each row, the highest-``score`` of three customers drawn uniformly from ``[0, upper)``."""
    cand = np.floor(rng.random((3, upper.size)) * upper).astype(np.int64)
    best = np.argmax(score[cand], axis=0)
    return cand[best, np.arange(upper.size)]


def referrals(rng: np.random.Generator, start_s: np.ndarray, end_s: int, sat: np.ndarray,
              dt_start: dt.date) -> Referrals:
    """Referrals: referrers are the most satisfied of three random earlier customers.

    About 10 % of customers (signup order >= 1) were referred and converted; 1.5 times as many
    referred prospects (ids ``R...``) never converted and appear only here.
    """
    n = start_s.size
    referred = (rng.random(n) < REFERRED_SHARE) & (np.arange(n) > 0)
    who = np.flatnonzero(referred)
    referrer = _best_of_three(rng, who.astype(np.float64), sat)
    lead = col.to_seconds(rng.uniform(0.0, 14.0, who.size))
    conv_ts = np.maximum(start_s[who] - lead, start_s[referrer])
    n_lost = round(who.size * UNCONVERTED_PER_CONVERTED)
    lost_ref = _best_of_three(rng, np.full(n_lost, float(n)), sat)
    lost_ts = start_s[lost_ref] + np.floor(rng.random(n_lost) * (end_s - start_s[lost_ref])).astype(np.int64)
    table = pd.DataFrame({
        "referrer_id": pd.concat([col.ids("C", referrer + 1, 7), col.ids("C", lost_ref + 1, 7)],
                                 ignore_index=True),
        "referred_id": pd.concat([col.ids("C", who + 1, 7), col.ids("R", np.arange(1, n_lost + 1), 7)],
                                 ignore_index=True),
        "referred_ts": col.stamps(dt_start, np.concatenate([conv_ts, lost_ts])),
        "converted": col.booleans(np.concatenate([np.ones(who.size, bool), np.zeros(n_lost, bool)])),
    })
    truth = {"referred_share": REFERRED_SHARE, "unconverted_per_converted": UNCONVERTED_PER_CONVERTED,
             "referrer_choice": "most satisfied (latent SAT) of three uniformly drawn earlier customers"}
    return Referrals(table, referred, truth)


def interactions(rng: np.random.Generator, start_s: np.ndarray, end_s: int, dt_start: dt.date) -> pd.DataFrame:
    """Service interactions, Poisson(0.8 per year) per customer, uniform over its time."""
    span = end_s - start_s
    count = rng.poisson(INTERACTIONS_PER_YEAR * span / (365.0 * 86400))
    who = np.repeat(np.arange(start_s.size), count)
    m = who.size
    ts = start_s[who] + np.floor(rng.random(m) * span[who]).astype(np.int64)
    order = np.lexsort((ts, who))
    who, ts = who[order], ts[order]
    kind = rng.choice(len(KINDS), m, p=KIND_WEIGHTS)
    return pd.DataFrame({
        "customer_id": col.ids("C", who + 1, 7),
        "ts": col.stamps(dt_start, ts),
        "kind": col.labels(kind, KINDS),
        "effective": col.booleans(rng.random(m) < KIND_EFFECTIVE[kind]),
        "channel": col.labels(rng.integers(0, 4, m), INTERACTION_CHANNELS),
    })


def contracts(rng: np.random.Generator, start_s: np.ndarray, end_s: int, dt_start: dt.date) -> pd.DataFrame:
    """Annual contracts of ~15 % of customers, renewals from a shifted-beta-geometric process.

    A contract still running at the window end (``renewed`` NA) has its ``end_date`` capped at
    the window's last second, so that no date lies beyond the window.
    """
    n = start_s.size
    subs = np.flatnonzero(rng.random(n) < CONTRACT_SHARE)
    theta = rng.beta(SBG["alpha"], SBG["beta"], subs.size)
    periods = rng.geometric(theta)  # contracts held before churning, >= 1
    year = 365 * 86400
    possible = (end_s - 1 - start_s[subs]) // year + 1
    shown = np.minimum(periods, possible)
    who = np.repeat(np.arange(subs.size), shown)
    k = np.arange(who.size) - np.repeat(np.cumsum(shown) - shown, shown)
    begin = start_s[subs][who] + k * year
    finish = begin + year
    renewed = (k + 1) < periods[who]
    plan = rng.choice(3, subs.size, p=[0.5, 0.35, 0.15])
    return pd.DataFrame({
        "customer_id": col.ids("C", subs[who] + 1, 7),
        "start_date": col.stamps(dt_start, begin),
        "end_date": col.stamps(dt_start, np.minimum(finish, end_s - 1)),
        "renewed": col.booleans(renewed, missing=finish >= end_s),
        "plan": col.labels(plan[who], PLANS),
        "fee": PLAN_FEES[plan[who]],
    })


def loyalty_points(rng: np.random.Generator, cust: np.ndarray, sec: np.ndarray, amount: np.ndarray,
                   member: np.ndarray, tier: np.ndarray, dt_start: dt.date) -> pd.DataFrame:
    """Points earned on members' orders (floor(amount) x tier rate); at ~10 % of them the member
    redeems the whole balance accumulated since the previous redemption."""
    sel = member[cust]
    c, s = cust[sel], sec[sel]
    earned = np.floor(amount[sel]) * TIER_POINTS[tier[c]]
    order = np.lexsort((s, c))
    c, s, earned = c[order], s[order], earned[order]
    starts = col.group_starts(c)
    total = np.cumsum(earned)
    base = np.where(starts > 0, total[starts - 1], 0.0) if total.size else total
    flag = rng.random(c.size) < REDEEM_PROB
    level = np.maximum.accumulate(np.where(flag, total, base)) if total.size else total
    before = np.maximum(base, np.concatenate([[0.0], level[:-1]]))
    redeemed = np.where(flag, total - before, 0.0)
    return pd.DataFrame({
        "customer_id": col.ids("C", c + 1, 7),
        "ts": col.stamps(dt_start, s),
        "points_earned": earned,
        "points_redeemed": redeemed,
    })
