"""PLS path model bootstrap: 1,000 resamples on 250 respondents x 28 items, BCa on and off; and
the report's survey model at the respondent counts of 100k, 300k and 1M customers.

Data: the 27 items of R plspm's ``satisfaction`` bank survey (tests/data) plus a 28th item,
``loy5``, derived deterministically as the rounded mean of ``loy1..loy4``, in the shipped ECSI
model (6 blocks, 10 paths, centroid scheme, unscaled). Target: < 10 s on 2 cores.

At scale: the simulator's ECSI respondents (:mod:`loyalscope.data.simulate_survey`, 18 items on
1-10, about 15% of customers answer), the report section's work: PLSc fit, 200 bootstrap
resamples and the HTMT interval on the same resamples. Target: a few seconds at 150,000
respondents, memory bounded (no resamples x respondents array), cost linear in respondents.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.memory import measure
from benchmarks.run import machine
from loyalscope.data.simulate_survey import LATENTS, LOADINGS, latent_scores
from loyalscope.models.survey.plspm import PLSPM
from loyalscope.models.survey.plspm_assess import htmt_interval
from loyalscope.models.survey.plspm_spec import ModelSpec, ecsi_spec

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "ecsi_bank_satisfaction.csv"
TARGET_S = 10.0


def survey_28() -> tuple[pd.DataFrame, ModelSpec]:
    """The bank survey with a 28th item ``loy5`` and the ECSI spec that uses it."""
    data = pd.read_csv(DATA, index_col=0).drop(columns="gender")
    loy = data[["loy1", "loy2", "loy3", "loy4"]]
    data["loy5"] = np.floor(loy.mean(axis=1) + 0.5).astype(int).clip(1, 10)
    base = ecsi_spec()
    blocks = {k: list(v) for k, v in base.blocks.items()}
    blocks["Loyalty"] = [*blocks["Loyalty"], "loy5"]
    spec = ModelSpec(blocks, list(base.paths), dict(base.modes), base.scheme, base.scaled,
                     base.scale)
    return data, spec


def respondents(n: int, seed: int = 0) -> tuple[pd.DataFrame, ModelSpec]:
    """``n`` simulated ECSI respondents (18 items on 1-10) and the report's spec for them."""
    rng = np.random.default_rng(seed)
    eta = latent_scores(rng, n)
    data = pd.DataFrame({f"q_{lv}{k}": np.clip(np.rint(5.5 + 1.8 * (lam * eta[lv] + np.sqrt(1 - lam * lam)
                                                                    * rng.standard_normal(n))), 1, 10)
                         for lv in LATENTS for k, lam in enumerate(LOADINGS, start=1)})
    names = {"imag": "Image", "expe": "Expectations", "qual": "Quality", "val": "Value",
             "sat": "Satisfaction", "loy": "Loyalty"}
    return data, ecsi_spec({names[lv]: [f"q_{lv}{k}" for k in (1, 2, 3)] for lv in LATENTS})


def _section_work(data: pd.DataFrame, spec: ModelSpec) -> None:
    model = PLSPM.from_spec(spec).fit(data)
    model.bootstrap(200, seed=1, bca=False)
    htmt_interval(model, n_boot=200, seed=1)


def run_scale(size: str) -> str:
    """The report's survey model (fit, 200 resamples, HTMT interval) by number of respondents."""
    counts = (15_000, 45_000, 150_000) if size == "full" else (15_000, 45_000)
    rows = []
    load = os.getloadavg()[0]
    for n in counts:
        data, spec = respondents(n)
        seconds, peak = measure(lambda data=data, spec=spec: _section_work(data, spec))
        rows.append(f"| {n:,} | {n // 0.15:,.0f} | {seconds:.2f} | {peak:.0f} |")
    return "\n".join([
        "## The report's survey model by respondents",
        "",
        "PLSc fit of the ECSI model on simulated respondents (18 items on 1-10), 200 bootstrap "
        "resamples and the HTMT interval on the same resamples (`sections/survey_model.py`'s work). "
        "Each resample is its 18 x 18 covariance matrix from its counts (one matrix product per "
        "batch of resamples), so the cost is linear in respondents and memory does not grow with "
        "the resamples. Peak MiB is the whole process's (data included).",
        "",
        f"Load average at the start: {load:.1f}.",
        "",
        "| respondents | about customers | seconds | peak MiB |",
        "|---:|---:|---:|---:|",
        *rows,
        "",
        f"Machine: {machine()}.",
    ])


def run(size: str) -> str:
    n_boot = 1000 if size == "full" else 100
    data, spec = survey_28()
    n_items = sum(len(v) for v in spec.blocks.values())
    model = PLSPM.from_spec(spec).fit(data)
    rows = []
    for bca in (False, True):
        seconds, peak = measure(lambda bca=bca: model.bootstrap(n_boot=n_boot, seed=1, bca=bca))
        met = ("yes" if seconds < TARGET_S else "no") if size == "full" else "n/a (small)"
        rows.append(f"| {'on' if bca else 'off'} | {n_boot:,} | {seconds:.2f} | {TARGET_S:.0f} | "
                    f"{met} | {peak:.0f} |")
    # same seed, same draws: the count of dropped resamples does not depend on BCa
    failed = model.bootstrap(n_boot=n_boot, seed=1, bca=False).attrs["n_failed"]
    note = "" if size == "full" else (
        f" Size `small` runs {n_boot} resamples; the target is stated for 1,000 (size `full`).")
    return "\n".join([
        "## PLS path model bootstrap",
        "",
        f"`PLSPM.bootstrap` on {len(data)} respondents x {n_items} items (R plspm's `satisfaction` "
        "bank survey plus `loy5`, the rounded mean of `loy1..loy4`), ECSI model, centroid scheme, "
        f"unscaled; {n_boot:,} resamples, seed 1. BCa adds {len(data)} jackknife refits. "
        f"Non-converged resamples dropped: {failed}.{note}",
        "",
        "| BCa | resamples | seconds | target s | met | peak MiB |",
        "|---|---:|---:|---:|---|---:|",
        *rows,
        "",
        f"Machine: {machine()}.",
        "",
        run_scale(size),
    ])
