"""The BTYD functions of issue 17 on 1,000,000 customers: P(n purchases) for existing and new
customers, P(alive) m periods ahead and the P(alive) matrix, simulation, the calibration
distribution and the tracking frame, plus lifetimes' Pareto/NBD conditional PMF on the same rows.

Customers are simulated from each model's own process (``model.simulate``) with the parameters
fitted to the CDNOW sample (weeks) and the donation data (BG/BB). Every function is vectorised
over customers (no Python loop per customer); loops run over purchase counts or opportunities.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.memory import measure
from benchmarks.run import machine
from loyalscope.models import BGBB, BGNBD, ParetoNBD
from loyalscope.models.purchase.tracking import tracking_frame

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _lifetimes_pareto_pmf(model: ParetoNBD, sim: pd.DataFrame, rows: int) -> float | None:
    try:
        import lifetimes
    except ImportError:
        return None
    ref = lifetimes.ParetoNBDFitter()
    ref.params_ = pd.Series(model.params_)
    part = sim.head(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _timed(lambda: ref.conditional_probability_of_n_purchases_up_to_time(
            2, 39.0, part.frequency.to_numpy(), part.recency.to_numpy(), part["T"].to_numpy()))


def run(size: str) -> str:
    n = 1_000_000 if size == "full" else 50_000
    cdnow = pd.read_csv(DATA / "cdnow_sample_summary.csv")
    donations = pd.read_csv(DATA / "bgbb_donations.csv")
    bgnbd = BGNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    pareto = ParetoNBD().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    bgbb = BGBB().fit(donations.frequency, donations.recency, donations.periods, weights=donations.weights)
    rng = np.random.default_rng(0)
    ages = rng.integers(7, 365, n) / 7.0
    sims = {"bgnbd": bgnbd.simulate(ages, seed=1), "pareto": pareto.simulate(ages, seed=2),
            "bgbb": bgbb.simulate(6, size=n, seed=3)}
    s, p, b = sims["bgnbd"], sims["pareto"], sims["bgbb"]
    births = np.unique(np.floor(ages * 7), return_counts=True)
    repeat_days = np.unique(rng.integers(0, 400, 3 * n), return_counts=True)
    cases = [
        ("BG/NBD P(Y(39) = n \\| x, t_x, T), n = 0..4", lambda: [bgnbd.prob_n_purchases(k, 39.0, s.frequency, s.recency, s["T"]) for k in range(5)]),
        ("BG/NBD P(X(t) = n) new customer, n = 0..9, every customer's T", lambda: bgnbd.prob_n_purchases_new_customer(np.arange(10)[None, :], s["T"].to_numpy()[:, None])),
        ("Pareto/NBD P(Y(39) = 2 \\| x, t_x, T)", lambda: pareto.prob_n_purchases(2, 39.0, p.frequency, p.recency, p["T"])),
        ("BG/BB P(X(6, 11) = n \\| x, t_x, 6), n = 0..5", lambda: [bgbb.prob_n_purchases(k, 5, b.frequency, b.recency, b["T"]) for k in range(6)]),
        ("BG/BB P(alive at 6 + m), m = 1..5", lambda: [bgbb.p_alive(b.frequency, b.recency, b["T"], periods_ahead=m) for m in range(1, 6)]),
        ("BG/NBD P(alive) matrix 100 x 201", lambda: bgnbd.p_alive_matrix(100, 52.0, recency_steps=200)),
        ("BG/NBD simulate (incl. holdout)", lambda: bgnbd.simulate(ages, t_holdout=39.0, seed=4)),
        ("Pareto/NBD simulate (incl. holdout)", lambda: pareto.simulate(ages, t_holdout=39.0, seed=5)),
        ("BG/BB simulate 6 + 5 opportunities", lambda: bgbb.simulate(6, size=n, t_holdout=5, seed=6)),
        ("BG/NBD calibration distribution (0..7+)", lambda: bgnbd.expected_frequency_distribution(s["T"])),
        ("BG/NBD tracking frame (birth days x 104 weeks)", lambda: tracking_frame(
            bgnbd, births[0] / 7, births[1], repeat_days[0] / 7, repeat_days[1], np.arange(1, 105.0))),
    ]
    rows = []
    for name, fn in cases:
        seconds, peak = measure(fn)
        rows.append(f"| {name} | {seconds:.2f} | {peak:,.0f} |")
    lt_rows = 100_000 if size == "full" else 10_000
    lt = _lifetimes_pareto_pmf(pareto, p, lt_rows)
    ours = _timed(lambda: pareto.prob_n_purchases(2, 39.0, p.frequency[:lt_rows], p.recency[:lt_rows], p["T"][:lt_rows]))
    compare = (f"lifetimes' `ParetoNBDFitter.conditional_probability_of_n_purchases_up_to_time(2, 39, ...)` on the "
               f"first {lt_rows:,} rows: {lt:.2f} s; ours on the same rows {ours:.3f} s ({lt / ours:.0f}x)."
               if lt is not None else "lifetimes is not installed: no comparison.")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join([
        "## BTYD functions on 1,000,000 customers (`bench_btyd.py`)" if size == "full"
        else f"## BTYD functions on {n:,} customers (`bench_btyd.py`, size small)",
        "",
        f"{n:,} customers simulated from each fitted model (CDNOW parameters in weeks, ages 1-52 weeks; "
        "BG/BB with the donation parameters, 6 opportunities). Each function is timed in a fresh "
        "process (peak memory of that process, including the simulated frame it inherits). "
        f"Load average at the start: {load:.1f} (a shared machine: other sessions' work runs beside it).",
        "",
        "| function | seconds | peak MiB |",
        "|---|---:|---:|",
        *rows,
        "",
        compare,
        "",
        f"Machine: {machine()}.",
    ])
