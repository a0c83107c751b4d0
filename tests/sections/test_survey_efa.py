"""EFA in the satisfaction section: items outside the model's blocks, factors recovered, KMO and
Bartlett against independent formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.results import Table
from loyalscope.sections import satisfaction
from loyalscope.sections.context import SectionContext
from loyalscope.sections.survey_efa import items_outside_model

LOAD = np.array([[0.8, 0], [0.75, 0], [0.7, 0], [0, 0.8], [0, 0.75], [0, 0.7]])
DIMS = ["dim_quality", "dim_range", "dim_freshness", "dim_service", "dim_delivery", "dim_aftersales"]


def _surveys(n: int = 900, seed: int = 3, with_dims: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, 2))
    x = f @ LOAD.T + rng.standard_normal((n, 6)) * np.sqrt(1 - (LOAD ** 2).sum(axis=1))
    frame = pd.DataFrame({"response_id": [f"r{i}" for i in range(n)], "customer_id": [f"c{i}" for i in range(n)],
                          "answered_ts": pd.Timestamp("2024-03-01"), "nps": rng.integers(0, 11, n).astype(float)})
    if with_dims:
        for k, name in enumerate(DIMS):
            frame[name] = np.clip(np.rint(3 + 0.9 * x[:, k]), 1, 5)
    return frame


def _build(frame: pd.DataFrame):
    cfg = AnalysisConfig()
    return satisfaction.build(Dataset.from_frames({"surveys": frame}, config=cfg), SectionContext(cfg))


def test_efa_of_dimension_items_recovers_two_factors():
    frame = _surveys()
    section = _build(frame)
    efa = section.data["efa"]
    assert efa["items"] == DIMS and efa["factors"] == 2 and efa["n"] == len(frame)
    x = frame[DIMS].to_numpy(float)
    r = np.corrcoef(x, rowvar=False)
    s = np.linalg.inv(r)
    partial = -s / np.sqrt(np.outer(np.diag(s), np.diag(s)))
    off = ~np.eye(6, dtype=bool)
    assert efa["kmo"] == pytest.approx((r[off] ** 2).sum() / ((r[off] ** 2).sum() + (partial[off] ** 2).sum()), rel=1e-10)
    n = len(frame)
    assert efa["bartlett"]["chi2"] == pytest.approx(-(n - 1 - (2 * 6 + 5) / 6) * np.log(np.linalg.det(r)), rel=1e-10)
    table = next(b.frame for b in section.blocks if isinstance(b, Table) and b.title == "survey.efa.section_title")
    main = table[["F1", "F2"]].abs().to_numpy().argmax(axis=1)
    assert len(set(main[:3])) == 1 and len(set(main[3:])) == 1 and main[0] != main[3]


def test_no_efa_without_items_outside_the_model():
    assert "efa" not in _build(_surveys(with_dims=False)).data
    cols = ["q_imag1", "q_expe1", "q_qual1", "q_val1", "q_sat1", "q_loy1", "q_extra1", "dim_price"]
    assert items_outside_model(cols) == ["dim_price", "q_extra1"]
