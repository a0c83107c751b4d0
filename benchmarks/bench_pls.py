"""PLS path model bootstrap: 1,000 resamples on 250 respondents x 28 items, BCa on and off.

Data: the 27 items of R plspm's ``satisfaction`` bank survey (tests/data) plus a 28th item,
``loy5``, derived deterministically as the rounded mean of ``loy1..loy4``, in the shipped ECSI
model (6 blocks, 10 paths, centroid scheme, unscaled). Target: < 10 s on 2 cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.memory import measure
from benchmarks.run import machine
from loyalscope.models.survey.plspm import PLSPM
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
    ])
