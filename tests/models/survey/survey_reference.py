"""Shared inputs of the PLS tests: the cSEM README model of the bank data, and respondents
simulated from the simulator's ECSI model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.data.simulate_survey import LATENTS, LOADINGS, PATHS, latent_scores

CSEM_BLOCKS = {"IMAG": ["imag1", "imag2", "imag3"], "EXPE": ["expe1", "expe2", "expe3"],
               "QUAL": [f"qual{i}" for i in range(1, 6)], "VAL": ["val1", "val2", "val3"],
               "SAT": [f"sat{i}" for i in range(1, 5)], "LOY": [f"loy{i}" for i in range(1, 5)]}
"""cSEM's README example on the bank data: four composites (mode B) and two common factors."""
CSEM_PATHS = ["IMAG -> EXPE", "EXPE -> QUAL", "EXPE -> VAL", "QUAL -> VAL", "IMAG -> SAT", "EXPE -> SAT",
              "QUAL -> SAT", "VAL -> SAT", "IMAG -> LOY", "SAT -> LOY"]
CSEM_MODES = {k: "B" for k in ("IMAG", "EXPE", "QUAL", "VAL")}


def simulated_survey(n: int, seed: int) -> tuple[pd.DataFrame, dict, list[str], dict[str, float]]:
    """Respondents of the simulator's ECSI model (data/simulate_survey.py): items
    clip(round(5.5 + 1.8 (l eta + sqrt(1 - l^2) e)), 1, 10)."""
    rng = np.random.default_rng(seed)
    eta = latent_scores(rng, n)
    cols = {f"q_{name}{k}": np.clip(np.rint(5.5 + 1.8 * (lam * eta[name] + np.sqrt(1 - lam * lam) * rng.standard_normal(n))), 1, 10)
            for name in LATENTS for k, lam in enumerate(LOADINGS, start=1)}
    blocks = {name: [f"q_{name}{k}" for k in (1, 2, 3)] for name in LATENTS}
    truth = {f"{s} -> {t}": c for t, src in PATHS.items() for s, c in src.items()}
    return pd.DataFrame(cols), blocks, list(truth), truth
