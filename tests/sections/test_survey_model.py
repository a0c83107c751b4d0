"""Satisfaction model section on simulated surveys with known ECSI / ACSI paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.models.survey.plspm_spec import ACSI_PATHS, ECSI_PATHS
from loyalscope.results import Table
from loyalscope.sections import survey_model
from loyalscope.sections.context import SectionContext

PREFIX = {"Image": "imag", "Expectations": "expe", "Quality": "qual", "Value": "val",
          "Satisfaction": "sat", "Complaints": "compl", "Loyalty": "loy"}
TRUE = {("Image", "Expectations"): 0.5, ("Image", "Satisfaction"): 0.2, ("Image", "Loyalty"): 0.3,
        ("Expectations", "Quality"): 0.6, ("Expectations", "Value"): 0.2, ("Expectations", "Satisfaction"): 0.1,
        ("Quality", "Value"): 0.5, ("Quality", "Satisfaction"): 0.2, ("Value", "Satisfaction"): 0.4,
        ("Satisfaction", "Loyalty"): 0.4, ("Satisfaction", "Complaints"): -0.5, ("Complaints", "Loyalty"): -0.2}


def simulate_surveys(paths, n=2000, seed=5) -> pd.DataFrame:
    """Standardised LVs with the given structural paths, three items each (loadings .95-.97)."""
    rng = np.random.default_rng(seed)
    lvs: list[str] = []
    for a, b in paths:
        for lv in (a, b):
            if lv not in lvs:
                lvs.append(lv)
    # topological order: a node after all its predecessors
    order = []
    while len(order) < len(lvs):
        order += [v for v in lvs if v not in order and all(a in order for a, b in paths if b == v)]
    scores = {}
    for lv in order:
        preds = [a for a, b in paths if b == lv]
        if not preds:
            scores[lv] = rng.standard_normal(n)
            continue
        beta = np.array([TRUE[(a, lv)] for a in preds])
        # population covariance of the predecessors from their construction
        x = np.column_stack([scores[a] for a in preds])
        systematic = x @ beta
        var = float(beta @ np.cov(x, rowvar=False, bias=True).reshape(len(preds), len(preds)) @ beta)
        scores[lv] = systematic + np.sqrt(1 - var) * rng.standard_normal(n)
    cols = {"response_id": [f"r{i}" for i in range(n)], "customer_id": [f"c{i}" for i in range(n)],
            "answered_ts": pd.Timestamp("2024-01-01")}
    for lv, s in scores.items():
        for k, lam in enumerate((0.95, 0.96, 0.97), start=1):
            cols[f"q_{PREFIX[lv]}{k}"] = lam * s + np.sqrt(1 - lam ** 2) * rng.standard_normal(n)
    return pd.DataFrame(cols)


def _ctx(bootstrap: int = 0) -> SectionContext:
    return SectionContext(config=AnalysisConfig.load(None, **{"survey.bootstrap": bootstrap}))


def test_ecsi_section_recovers_paths_and_lays_out_blocks() -> None:
    ds = Dataset.from_frames({"surveys": simulate_surveys(ECSI_PATHS)})
    ctx = _ctx(bootstrap=50)
    section = survey_model.build(ds, ctx)
    assert section.data["model"] == "ecsi"
    for (a, b), true in TRUE.items():
        if (a, b) in ECSI_PATHS:
            assert section.data["paths"][f"{a} -> {b}"] == pytest.approx(true, abs=0.05)
    chart = next(b for b in section.blocks if getattr(b, "kind", None) == "path_diagram")
    assert list(chart.frame.columns[:3]) == ["source", "target", "coef"] and len(chart.frame) == 10
    assert set(chart.options["r2"]) == {"Expectations", "Quality", "Value", "Satisfaction", "Loyalty"}
    assert (chart.frame.lo <= chart.frame.coef).all() and (chart.frame.coef <= chart.frame.hi).all()
    tables = {b.title: b.frame for b in section.blocks if isinstance(b, Table)}
    assert tables["survey_model.index"]["index"].between(0, 100).all()
    assert (tables["survey_model.reliability"]["alpha_std"] > 0.9).all()
    assert "survey_model" in ctx.results


def test_acsi_used_without_image_items() -> None:
    ds = Dataset.from_frames({"surveys": simulate_surveys(ACSI_PATHS, n=1500)})
    section = survey_model.build(ds, _ctx())
    assert section.data["model"] == "acsi"
    assert section.data["paths"]["Satisfaction -> Complaints"] == pytest.approx(-0.5, abs=0.05)


def test_without_items_the_section_is_skipped() -> None:
    frame = simulate_surveys(ECSI_PATHS, n=100).drop(columns=["q_loy1", "q_loy2", "q_loy3"])
    with pytest.raises(InsufficientDataError, match=r"surveys\.q_"):
        survey_model.build(Dataset.from_frames({"surveys": frame}), _ctx())


def test_section_uses_plsc_with_pls_beside_and_reports_vif_and_htmt() -> None:
    from loyalscope.models.survey.plspm import PLSPM
    from loyalscope.models.survey.plspm_spec import ecsi_spec

    frame = simulate_surveys(ECSI_PATHS, n=800, seed=9)
    ds = Dataset.from_frames({"surveys": frame})
    section = survey_model.build(ds, _ctx(bootstrap=50))
    assert section.data["estimator"] == "PLSc"
    blocks = {lv: [f"q_{PREFIX[lv]}{k}" for k in (1, 2, 3)] for lv in
              ("Image", "Expectations", "Quality", "Value", "Satisfaction", "Loyalty")}
    plain = PLSPM.from_spec(ecsi_spec(blocks), consistent=False).fit(frame[[c for v in blocks.values() for c in v]])
    assert section.data["paths_pls"] == pytest.approx(plain.path_dict(), rel=1e-9)
    tables = {b.title: b.frame for b in section.blocks if isinstance(b, Table)}
    assert list(tables["survey_model.section.paths_table"].columns) == ["path", "coef", "coef_pls", "lo", "hi"]
    vif = tables["survey_model.section.vif"]
    assert set(vif.target) == {"Satisfaction", "Loyalty", "Value"} and (vif.vif >= 1).all()
    htmt = tables["survey_model.section.htmt"]
    assert len(htmt) == 15 and (htmt.lower <= htmt.htmt).all() and (htmt.htmt <= htmt.upper).all()
    assert "rho_a" in tables["survey_model.reliability"].columns
