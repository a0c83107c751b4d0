"""Survey part of the simulator: ECSI-shaped latent variables with known standardised paths,
and the ``surveys`` table answered by a sample of customers.

Latent model (all latent variables standard normal; the error variance of each endogenous
variable is set so that its total variance is 1, hence the coefficients are standardised)::

    EXPE = 0.50 IMAG
    QUAL = 0.55 EXPE
    VAL  = 0.45 QUAL + 0.15 EXPE
    SAT  = 0.20 IMAG + 0.35 QUAL + 0.30 VAL
    LOY  = 0.20 IMAG + 0.55 SAT

Each latent variable has three reflective items ``x = l * eta + sqrt(1 - l**2) * e`` with
loadings (0.85, 0.80, 0.75), mapped onto 1-10 by ``round(5.5 + 1.8 x)`` and clipped.
Reference: Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005), "PLS path modeling",
Computational Statistics & Data Analysis 48, 159-205 (the ECSI model).

The latent satisfaction ``SAT`` of every customer (not only respondents) also drives the
customer's dropout probability in :mod:`loyalscope.data.simulate`, so survey answers predict
later behaviour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.data.simulate_columns import ids, stamps, to_seconds

LATENTS = ("imag", "expe", "qual", "val", "sat", "loy")
PATHS: dict[str, dict[str, float]] = {
    "expe": {"imag": 0.50},
    "qual": {"expe": 0.55},
    "val": {"qual": 0.45, "expe": 0.15},
    "sat": {"imag": 0.20, "qual": 0.35, "val": 0.30},
    "loy": {"imag": 0.20, "sat": 0.55},
}
"""Standardised path coefficients, target -> {source: coefficient}."""
LOADINGS = (0.85, 0.80, 0.75)
DIMENSIONS = ("quality", "price", "service", "aftersales", "brand")
DIM_DRIVER = {"quality": "qual", "price": "val", "service": "qual", "aftersales": "sat", "brand": "imag"}
DIM_CORRELATION = 0.7
"""Correlation of each dimension's latent rating with its driver latent variable."""
COMPETITORS = {"competitorA": {"quality": 0.3, "price": -0.5, "service": 0.0, "aftersales": -0.2, "brand": 0.4},
               "competitorB": {"quality": -0.4, "price": 0.5, "service": -0.3, "aftersales": 0.0, "brand": -0.2}}
"""Mean shift (in 1-5 rating points) of each competitor against us, per dimension."""
IMPORTANCE_MEANS = {"quality": 4.4, "price": 3.9, "service": 4.1, "aftersales": 3.6, "brand": 3.2}
SURVEY_SHARE = 0.15
ANSWER_WITHIN_DAYS = 90.0


def error_variances() -> dict[str, float]:
    """Error variance of each endogenous latent variable that makes its variance 1."""
    index = {name: i for i, name in enumerate(LATENTS)}
    cov = np.eye(len(LATENTS))
    out: dict[str, float] = {}
    for target in LATENTS[1:]:
        src = [index[s] for s in PATHS[target]]
        beta = np.array(list(PATHS[target].values()))
        explained = float(beta @ cov[np.ix_(src, src)] @ beta)
        out[target] = 1.0 - explained
        row = beta @ cov[src, :]
        k = index[target]
        cov[k, :] = row
        cov[:, k] = row
        cov[k, k] = 1.0
    return out


def latent_scores(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw the six standardised latent variables of ``n`` customers."""
    err = error_variances()
    eta: dict[str, np.ndarray] = {"imag": rng.standard_normal(n)}
    for target in LATENTS[1:]:
        mean = sum(coef * eta[src] for src, coef in PATHS[target].items())
        eta[target] = mean + np.sqrt(err[target]) * rng.standard_normal(n)
    return eta


def _scale(x: np.ndarray, lo: int, hi: int, centre: float, spread: float) -> np.ndarray:
    return np.clip(np.rint(centre + spread * x), lo, hi).astype(np.float64)


def _indicator(rng: np.random.Generator, eta: np.ndarray, loading: float) -> np.ndarray:
    return loading * eta + np.sqrt(1.0 - loading**2) * rng.standard_normal(eta.size)


def survey_table(
    rng: np.random.Generator,
    start_s: np.ndarray,
    end_s: int,
    eta: dict[str, np.ndarray],
    promo_propensity: np.ndarray,
    came_from_competitor: np.ndarray,
    start_date: object,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``surveys`` table of a ~15 % sample; returns it and the respondents' customer indices.

    ``start_s`` is each customer's signup time in seconds from the window start; answers come
    within 90 days of signup (before the window end).
    """
    n = start_s.size
    who = np.flatnonzero(rng.random(n) < SURVEY_SHARE)
    m = who.size
    e = {k: v[who] for k, v in eta.items()}
    span = np.minimum(end_s - start_s[who], to_seconds(ANSWER_WITHIN_DAYS))
    answered = start_s[who] + np.floor(rng.random(m) * span).astype(np.int64)
    cols: dict[str, object] = {
        "response_id": ids("S", np.arange(1, m + 1), 7),
        "customer_id": ids("C", who + 1, 7),
        "answered_ts": stamps(start_date, answered),  # type: ignore[arg-type]
    }
    noise = rng.standard_normal
    cols["nps"] = _scale(0.6 * e["loy"] + 0.3 * e["sat"] + 0.45 * noise(m), 0, 10, 7.4, 2.2)
    cols["csat"] = _scale(0.85 * e["sat"] + 0.5 * noise(m), 1, 5, 3.7, 0.9)
    cols["share_of_wallet"] = np.round(1.0 / (1.0 + np.exp(-(0.8 * e["loy"] + 0.6 * noise(m)))), 3)
    cols["recommend_intent"] = _scale(0.8 * e["loy"] + 0.6 * noise(m), 1, 5, 3.6, 0.9)
    cols["repurchase_intent"] = _scale(0.85 * e["loy"] + 0.5 * noise(m), 1, 5, 3.8, 0.9)
    cols["loyalty_score"] = _scale(0.9 * e["loy"] + 0.4 * noise(m), 1, 10, 6.5, 1.8)
    pz = (promo_propensity[who] - promo_propensity.mean()) / (promo_propensity.std() + 1e-12)
    cols["price_sensitivity"] = _scale(0.8 * pz + 0.6 * noise(m), 1, 5, 3.0, 1.0)
    cols["voluntary"] = _scale(0.5 * e["sat"] + 0.85 * noise(m), 1, 5, 3.5, 1.0)
    cols["alternatives"] = rng.poisson(1.0 + 1.2 * came_from_competitor[who]).astype(np.float64)
    cols["mention_unprompted"] = pd.array(rng.random(m) < 1.0 / (1.0 + np.exp(-(1.2 * e["imag"] - 0.5))),
                                          dtype="boolean")
    for name in LATENTS:
        for k, loading in enumerate(LOADINGS, start=1):
            cols[f"q_{name}{k}"] = _scale(_indicator(rng, e[name], loading), 1, 10, 5.5, 1.8)
    rho = DIM_CORRELATION
    for dim in DIMENSIONS:
        ours = rho * e[DIM_DRIVER[dim]] + np.sqrt(1 - rho**2) * noise(m)
        cols[f"dim_{dim}"] = _scale(ours, 1, 5, 3.6, 0.9)
        for comp, shifts in COMPETITORS.items():
            theirs = 0.5 * ours + np.sqrt(0.75) * noise(m)
            cols[f"comp_{comp}_{dim}"] = _scale(theirs, 1, 5, 3.6 + shifts[dim], 0.9)
    for comp, shifts in COMPETITORS.items():
        mean_shift = float(np.mean(list(shifts.values())))
        cols[f"comp_{comp}_nps"] = _scale(0.4 * e["sat"] + 0.9 * noise(m), 0, 10, 6.8 + 2 * mean_shift, 2.2)
    for dim, mean in IMPORTANCE_MEANS.items():
        cols[f"imp_{dim}"] = _scale(noise(m), 1, 5, mean, 0.7)
    return pd.DataFrame(cols), who


def survey_truth() -> dict[str, object]:
    """The survey part of ``truth.json``."""
    return {
        "latent_model": "ECSI",
        "paths": [{"from": s, "to": t, "coef": c} for t, src in PATHS.items() for s, c in src.items()],
        "error_variances": error_variances(),
        "loadings": list(LOADINGS),
        "items": "q_<latent><1..3> = clip(round(5.5 + 1.8 * (l * eta + sqrt(1 - l^2) * e)), 1, 10)",
        "dimension_driver": DIM_DRIVER,
        "dimension_correlation": DIM_CORRELATION,
        "competitor_shift": COMPETITORS,
        "importance_means": IMPORTANCE_MEANS,
        "sample_share": SURVEY_SHARE,
        "answered_within_days_of_signup": ANSWER_WITHIN_DAYS,
    }
