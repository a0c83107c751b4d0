"""Random canonical frames for the metric tests (a small generator, independent of the simulator).

Every optional table is filled; orders fall on whole hours so timestamps tie; some returns are
larger than their orders; two survey respondents never ordered."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_frames(seed: int = 0, n_customers: int = 60, n_orders: int = 600) -> dict[str, pd.DataFrame]:
    """Canonical frames over 2023-01-01 .. 2023-12-31 with every optional table filled."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i:03d}" for i in range(n_customers)]
    start = pd.Timestamp("2023-01-01")
    cust = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": start + pd.to_timedelta(rng.integers(0, 200, n_customers), unit="D"),
            "acquisition_cost": rng.uniform(5, 50, n_customers).round(2),
            "channel": rng.choice(["web", "store"], n_customers),
            "region": rng.choice(["north", "south", "east"], n_customers),
            "came_from_competitor": rng.random(n_customers) < 0.3,
        }
    )
    # ties on timestamps: whole hours only, so several orders share one timestamp
    ts = start + pd.to_timedelta(rng.integers(0, 365 * 24, n_orders), unit="h")
    tx = pd.DataFrame(
        {
            "order_id": [f"o{i:05d}" for i in range(n_orders)],
            "customer_id": rng.choice(ids, n_orders, p=_zipf(n_customers, rng)),
            "order_ts": ts,
            "amount": rng.gamma(2.0, 20.0, n_orders).round(2),
            "category": rng.choice(["a", "b", "c", "d"], n_orders),
            "channel": rng.choice(["web", "store", "app"], n_orders),
        }
    )
    ret_idx = rng.choice(n_orders, n_orders // 10, replace=False)
    returns = pd.DataFrame(
        {
            "order_id": tx.order_id.iloc[ret_idx].to_numpy(),
            "return_ts": tx.order_ts.iloc[ret_idx].to_numpy() + pd.Timedelta(days=3),
            # some returns larger than the order
            "amount": (tx.amount.iloc[ret_idx].to_numpy() * rng.choice([0.5, 1.0, 1.5], len(ret_idx))).round(2),
        }
    )
    n_c = 80
    opened = start + pd.to_timedelta(rng.integers(0, 360 * 24, n_c), unit="h")
    closed = opened + pd.to_timedelta(rng.integers(1, 200, n_c), unit="h")
    complaints = pd.DataFrame(
        {
            "complaint_id": [f"k{i}" for i in range(n_c)],
            "customer_id": rng.choice(ids, n_c),
            "opened_ts": opened,
            "closed_ts": closed.where(rng.random(n_c) < 0.8),
            "severity": rng.choice(["major", "minor"], n_c),
            "resolved": rng.random(n_c) < 0.7,
            "channel": rng.choice(["phone", "web"], n_c),
        }
    )
    n_s = 50
    surveys = pd.DataFrame(
        {
            "response_id": [f"s{i}" for i in range(n_s)],
            # customers present only in surveys
            "customer_id": rng.choice([*ids, "ghost1", "ghost2"], n_s),
            "answered_ts": start + pd.to_timedelta(rng.integers(0, 365, n_s), unit="D"),
            "share_of_wallet": rng.uniform(0, 1, n_s).round(3),
        }
    )
    n_r = 30
    referrals = pd.DataFrame(
        {
            "referrer_id": rng.choice(ids, n_r),
            "referred_id": [f"r{i}" for i in range(n_r)],
            "referred_ts": start + pd.to_timedelta(rng.integers(0, 365, n_r), unit="D"),
            "converted": rng.random(n_r) < 0.5,
        }
    )
    n_i = 200
    interactions = pd.DataFrame(
        {
            "customer_id": rng.choice(ids, n_i),
            "ts": start + pd.to_timedelta(rng.integers(0, 365 * 24, n_i), unit="h"),
            "kind": rng.choice(["consult", "event", "feedback"], n_i),
            "effective": rng.random(n_i) < 0.6,
            "channel": rng.choice(["app", "wechat"], n_i),
        }
    )
    n_k = 40
    cstart = start + pd.to_timedelta(rng.integers(0, 100, n_k), unit="D")
    contracts = pd.DataFrame(
        {
            "customer_id": [ids[i % n_customers] for i in range(n_k)],
            "start_date": cstart,
            "end_date": cstart + pd.to_timedelta(rng.integers(30, 250, n_k), unit="D"),
            "renewed": rng.random(n_k) < 0.6,
        }
    )
    n_p = 150
    points = pd.DataFrame(
        {
            "customer_id": rng.choice(ids, n_p),
            "ts": start + pd.to_timedelta(rng.integers(0, 365 * 24, n_p), unit="h"),
            "points_earned": rng.integers(0, 100, n_p).astype(float),
            "points_redeemed": rng.integers(0, 60, n_p).astype(float),
        }
    )
    return {
        "customers": cust,
        "transactions": tx,
        "returns": returns,
        "complaints": complaints,
        "surveys": surveys,
        "referrals": referrals,
        "interactions": interactions,
        "contracts": contracts,
        "loyalty_points": points,
    }


def _zipf(n: int, rng: np.random.Generator) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** 0.8
    rng.shuffle(w)
    return w / w.sum()
