"""Fit time of Loyalscope's BG/NBD, Pareto/NBD and Gamma-Gamma against lifetimes' fitters.

Simulates customers from each model's own process (known parameters), fits Loyalscope's model
on every customer row (``fit`` groups them into distinct sufficient statistics with counts as
weights; that grouping is timed) and
lifetimes' ``BetaGeoFitter`` / ``ParetoNBDFitter`` / ``GammaGammaFitter`` on every customer row,
in the same run on the same data. Each lifetimes fit runs in a child process with a time limit,
so a fit that does not finish is recorded as "> limit" instead of blocking the run.

Prints a Markdown section for ``docs/benchmarks.md`` (``--append FILE`` appends it there).

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_models.py --customers 10000
    PYTHONPATH=src python benchmarks/bench_models.py --customers 1000000 \\
        --lifetimes-timeout 3600 --append docs/benchmarks.md

Time unit: weeks. Customer ages ``T`` are whole days (first purchases spread over a year) divided
by 7, and repeat purchase times are rounded up to whole days, as in daily transaction data.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from loyalscope.models import BGNBD, GammaGamma, ParetoNBD

TRUE = {
    "bgnbd": {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    "pareto_nbd": {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7},
    "gamma_gamma": {"p": 6.0, "q": 3.7, "gamma": 15.0},
}
#: lifetimes' parameter names -> the papers' names used by Loyalscope
LIFETIMES_NAMES = {"v": "gamma"}


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(7, 365, n) / 7.0


def _days(t: np.ndarray) -> np.ndarray:
    """Purchase times rounded up to whole days (a repeat purchase is at least one day later)."""
    return np.ceil(t * 7.0) / 7.0


def simulate_pareto_nbd(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Pareto/NBD: Poisson purchases at rate lambda until an exponential lifetime ends."""
    p = TRUE["pareto_nbd"]
    T = _ages(rng, n)
    lam = rng.gamma(p["r"], 1.0 / p["alpha"], n)
    mu = rng.gamma(p["s"], 1.0 / p["beta"], n)
    active = np.minimum(rng.exponential(1.0 / np.maximum(mu, 1e-300)), T)
    x = rng.poisson(lam * active)
    t_x = np.where(x > 0, active * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": np.minimum(_days(t_x), T), "T": T})


def simulate_bgnbd(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """BG/NBD: Poisson purchases; after each repeat purchase the customer drops out w.p. p."""
    q = TRUE["bgnbd"]
    T = _ages(rng, n)
    lam = rng.gamma(q["r"], 1.0 / q["alpha"], n)
    drop = rng.beta(q["a"], q["b"], n)
    n_T = rng.poisson(lam * T)  # purchases if the customer never dropped out
    j = rng.geometric(drop)  # the j-th repeat purchase is the last one
    x = np.minimum(n_T, j)
    # the x-th smallest of n_T uniform arrival times on [0, T]
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(n_T - x, 0) + 1.0), 0.0)
    return pd.DataFrame({"frequency": x, "recency": np.minimum(_days(t_x), T), "T": T})


def simulate_spend(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gamma-Gamma: mean of x spends ~ Gamma(p x, rate nu x) with nu ~ Gamma(q, rate gamma)."""
    g = TRUE["gamma_gamma"]
    nu = rng.gamma(g["q"], 1.0 / g["gamma"], x.size)
    return rng.gamma(g["p"] * x, 1.0 / (nu * x))


@dataclass
class Row:
    model: str
    n: int
    distinct: int
    ours_s: float
    ours_params: dict
    ours_ll: float
    lt_s: float | None = None
    lt_params: dict = field(default_factory=dict)
    lt_ll: float | None = None
    note: str = ""


def _lifetimes_child(name: str, args: tuple, queue) -> None:
    warnings.simplefilter("ignore")
    try:
        import lifetimes

        fitter = {
            "bgnbd": lifetimes.BetaGeoFitter,
            "pareto_nbd": lifetimes.ParetoNBDFitter,
            "gamma_gamma": lifetimes.GammaGammaFitter,
        }[name]()
        start = time.perf_counter()
        fitter.fit(*args)
        elapsed = time.perf_counter() - start
        params = {LIFETIMES_NAMES.get(k, k): float(v) for k, v in fitter.params_.items()}
        queue.put(("ok", elapsed, params))
    except Exception as exc:  # record what broke (numpy 2 / pandas 2 incompatibilities)
        queue.put(("error", type(exc).__name__, f"{exc}"[:200] + traceback.format_exc()[-300:]))


def time_lifetimes(name: str, args: tuple, timeout: float) -> tuple[float | None, dict, str]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_lifetimes_child, args=(name, args, queue))
    proc.start()
    try:
        status, a, b = queue.get(timeout=timeout)
    except Exception:
        proc.terminate()
        proc.join()
        return None, {}, f"lifetimes did not finish within {timeout:.0f} s"
    proc.join()
    if status == "ok":
        return a, b, ""
    return None, {}, f"lifetimes failed: {a}: {b.splitlines()[0] if b else ''}"


def _ours(model, fit_args, weights) -> tuple[float, object]:
    start = time.perf_counter()
    model.fit(*fit_args, weights=weights)
    return time.perf_counter() - start, model


def _loglik_at(model_cls, params: dict, data: tuple) -> float | None:
    """Our log-likelihood (on every row) at the given parameters, for a like-for-like LL."""
    if not params:
        return None
    m = model_cls()
    value, _ = m._negloglik_grad(
        np.log([params[p] for p in model_cls._param_names]), data, np.ones(data[0].size)
    )
    return -float(value)


def run_transaction(name, model_cls, df, timeout, skip_lifetimes) -> Row:
    start = time.perf_counter()
    args = tuple(df[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    model = model_cls().fit(*args)  # groups the rows into distinct (x, t_x, T) with counts itself
    ours_s = time.perf_counter() - start
    distinct = len(df.drop_duplicates(["frequency", "recency", "T"]))
    row = Row(name, len(df), distinct, ours_s, model.params_, model.loglik_)
    if not skip_lifetimes:
        lt_args = (df["frequency"], df["recency"], df["T"])
        row.lt_s, row.lt_params, row.note = time_lifetimes(name, lt_args, timeout)
        data = tuple(np.asarray(c, dtype=float) for c in lt_args)
        row.lt_ll = _loglik_at(model_cls, row.lt_params, data)
    return row


def run_spend(df, rng, timeout, skip_lifetimes) -> Row:
    rep = df[df["frequency"] > 0]
    x = rep["frequency"].to_numpy(float)
    z = simulate_spend(x, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_s, model = _ours(GammaGamma(), (x, z), None)
    row = Row("gamma_gamma", x.size, x.size, fit_s, model.params_, model.loglik_)
    if not skip_lifetimes:
        row.lt_s, row.lt_params, row.note = time_lifetimes(
            "gamma_gamma", (pd.Series(x), pd.Series(z)), timeout
        )
        row.lt_ll = _loglik_at(GammaGamma, row.lt_params, (x, z))
    return row


def _max_rel(a: dict, b: dict) -> float | None:
    if not b:
        return None
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in a)


def markdown(rows: list[Row], n: int, seed: int, total_s: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Model fitting vs lifetimes: {n:,} simulated customers",
        "",
        f"Run {when} on {platform.machine()} with {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}; "
        f"seed {seed}; `PYTHONPATH=src python benchmarks/bench_models.py --customers {n}` "
        f"({total_s:.0f} s in all). Both get every customer row; Loyalscope's fit groups them "
        "into distinct (x, t_x, T) rows with counts as weights itself (timed); lifetimes fits "
        "every row. The parameter "
        "difference is max |ours - lifetimes| / |lifetimes|; both log-likelihoods are evaluated "
        "by Loyalscope's likelihood on every row.",
        "",
        "| model | rows | distinct rows | loyalscope (s) | lifetimes (s) | speed-up | "
        "max rel. param diff | LL loyalscope | LL at lifetimes' params | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lt = f"{r.lt_s:.2f}" if r.lt_s is not None else "-"
        ratio = f"{r.lt_s / r.ours_s:.1f}x" if r.lt_s is not None else "-"
        diff = _max_rel(r.ours_params, r.lt_params)
        diff_s = f"{diff:.1e}" if diff is not None else "-"
        lt_ll = f"{r.lt_ll:.2f}" if r.lt_ll is not None else "-"
        lines.append(
            f"| {r.model} | {r.n:,} | {r.distinct:,} | {r.ours_s:.2f} | {lt} | {ratio} | "
            f"{diff_s} | {r.ours_ll:.2f} | {lt_ll} | {r.note} |"
        )
    lines.append("")
    lines.append("Estimated parameters (true values of the simulation in brackets):")
    lines.append("")
    for r in rows:
        ours = ", ".join(f"{k} {v:.4f} [{TRUE[r.model][k]}]" for k, v in r.ours_params.items())
        lines.append(f"- {r.model}: loyalscope {ours}")
        if r.lt_params:
            theirs = ", ".join(f"{k} {r.lt_params[k]:.4f}" for k in r.ours_params)
            lines.append(f"  lifetimes {theirs}")
    return "\n".join(lines) + "\n"


def run(size: str) -> str:
    """Entry point for ``benchmarks.run``: 1M customers at size "full", 10k at "small"."""
    n = 1_000_000 if size == "full" else 10_000
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    bg = simulate_bgnbd(n, rng)
    pn = simulate_pareto_nbd(n, rng)
    rows = [
        run_transaction("bgnbd", BGNBD, bg, 3600.0, False),
        run_transaction("pareto_nbd", ParetoNBD, pn, 3600.0, False),
        run_spend(bg, rng, 3600.0, False),
    ]
    return markdown(rows, n, 0, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--lifetimes-timeout",
        type=float,
        default=3600.0,
        help="seconds allowed for each lifetimes fit",
    )
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--append", help="append the Markdown section to this file")
    opts = parser.parse_args()
    rng = np.random.default_rng(opts.seed)
    start = time.perf_counter()
    bg = simulate_bgnbd(opts.customers, rng)
    pn = simulate_pareto_nbd(opts.customers, rng)
    rows = [
        run_transaction("bgnbd", BGNBD, bg, opts.lifetimes_timeout, opts.skip_lifetimes),
        run_transaction("pareto_nbd", ParetoNBD, pn, opts.lifetimes_timeout, opts.skip_lifetimes),
        run_spend(bg, rng, opts.lifetimes_timeout, opts.skip_lifetimes),
    ]
    text = markdown(rows, opts.customers, opts.seed, time.perf_counter() - start)
    print(text)
    if opts.append:
        with open(opts.append, "a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
