"""Consistent PLS against published results, and recovery of simulated ECSI paths.

Published values (sources in tests/data/README.md):
- ADANCO 2.2.1 on the bank ``satisfaction`` data, full ECSI model, all blocks common factors
  (mode A consistent), centroid scheme (cSEM's tests/comparisons/results_cf_model_adanco_2_2_1_centroid.xls);
- cSEM's README example: four composites (mode B) and two common factors, path scheme.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survey_reference import simulated_survey

from loyalscope.models.survey.plspm import PLSPM
from loyalscope.models.survey.plspm_spec import ecsi_spec

ADANCO_PATHS = {
    "Image -> Expectations": 0.6564368315792656, "Image -> Satisfaction": -0.0007913825178338385,
    "Image -> Loyalty": 0.31813077389581523, "Expectations -> Quality": 0.979802130232049,
    "Expectations -> Value": -1.7117019932671624, "Expectations -> Satisfaction": 0.5464296522519021,
    "Quality -> Value": 2.5596342583254312, "Quality -> Satisfaction": -0.8542119710893878,
    "Value -> Satisfaction": 1.2534917204815912, "Satisfaction -> Loyalty": 0.5088614697687541,
}
ADANCO_R2 = {"Expectations": 0.43090931385382536, "Quality": 0.9600122144072613, "Value": 0.8959762345283748,
             "Satisfaction": 0.8844807284000284, "Loyalty": 0.6091048169088399}
ADANCO_RHO_A = {"Image": 0.8547299912717881, "Expectations": 0.8514640015413936, "Quality": 0.8746628304296336,
                "Value": 0.8491281635550818, "Satisfaction": 0.907274865039256, "Loyalty": 0.8640293549177509}
ADANCO_LOADINGS = {"imag1": 0.5606061698763075, "imag4": 0.4934812068645665, "expe2": 0.8036401681887305,
                   "qual3": 0.6955876300223852, "val4": 0.8000225073960704, "sat2": 0.9144188500716933,
                   "loy4": 0.5306316300810039}
ADANCO_WEIGHTS = {"imag1": 0.20601295659423505, "expe5": 0.26528878169904946, "val1": 0.35477136526262143,
                  "loy2": 0.2516612946819376}
ADANCO_CONSTRUCT_CORR = {("Quality", "Expectations"): 0.9798021302320492, ("Value", "Image"): 0.8146315864038048,
                         ("Loyalty", "Satisfaction"): 0.7534836773680136}


@pytest.fixture(scope="module")
def adanco_model(bank) -> PLSPM:
    spec = ecsi_spec()
    return PLSPM(spec.blocks, spec.paths, scheme="centroid", scaled=True, tol=1e-12, maxiter=500).fit(bank)


def test_all_reflective_model_uses_plsc_by_default(adanco_model):
    assert adanco_model.consistent_ and adanco_model.admissible_


def test_reproduces_adanco_plsc(adanco_model):
    got = adanco_model.path_dict()
    # ADANCO stops its weight iterations at a tolerance near 1e-6-1e-8; the near-collinear Value paths
    # (Expectations and Quality correlate 0.98) magnify that to ~1e-7
    for path, value in ADANCO_PATHS.items():
        assert got[path] == pytest.approx(value, abs=1e-6), path
    for lv, value in ADANCO_R2.items():
        assert adanco_model.r2_[lv] == pytest.approx(value, abs=1e-7)
    for lv, value in ADANCO_RHO_A.items():
        assert adanco_model.rho_a_[lv] == pytest.approx(value, abs=1e-7)
    for item, value in ADANCO_LOADINGS.items():
        assert adanco_model.loadings_[item] == pytest.approx(value, abs=1e-7)
    for item, value in ADANCO_WEIGHTS.items():
        assert adanco_model.outer_weights_[item] == pytest.approx(value, abs=1e-7)
    for (a, b), value in ADANCO_CONSTRUCT_CORR.items():
        assert adanco_model.construct_corr_.loc[a, b] == pytest.approx(value, abs=1e-7)


def test_plain_pls_stays_beside_plsc(bank, adanco_model):
    spec = ecsi_spec()
    plain = PLSPM(spec.blocks, spec.paths, scaled=True, tol=1e-12, maxiter=500, consistent=False).fit(bank)
    pd.testing.assert_frame_equal(adanco_model.path_coefs_pls_, plain.path_coefs_)
    summary = adanco_model.summary()
    assert summary.loc["Image -> Expectations", "direct_pls"] == pytest.approx(plain.path_dict()["Image -> Expectations"])
    assert summary.loc["Image -> Expectations", "direct"] == pytest.approx(ADANCO_PATHS["Image -> Expectations"], abs=1e-7)
    # PLSc disattenuates: |consistent| >= |PLS| for a single-predictor path
    assert abs(summary.loc["Satisfaction -> Loyalty", "direct"]) > 0


CSEM_PUBLISHED = {"IMAG -> EXPE": 0.4714, "EXPE -> QUAL": 0.8344, "EXPE -> VAL": 0.0457, "QUAL -> VAL": 0.7013,
                  "IMAG -> SAT": 0.2450, "EXPE -> SAT": -0.0172, "QUAL -> SAT": 0.2215, "VAL -> SAT": 0.5270,
                  "IMAG -> LOY": 0.1819, "SAT -> LOY": 0.6283}


def test_reproduces_csem_readme_mixed_composites_and_common_factors(csem_model):
    for path, value in CSEM_PUBLISHED.items():
        assert csem_model.path_dict()[path] == pytest.approx(value, abs=5e-5), path
    published_r2 = {"EXPE": 0.2222, "QUAL": 0.6963, "VAL": 0.5474, "SAT": 0.7624, "LOY": 0.5868}
    for lv, value in published_r2.items():
        assert csem_model.r2_[lv] == pytest.approx(value, abs=5e-5)
    assert csem_model.rho_a_["SAT"] == pytest.approx(0.9051, abs=5e-5)
    assert csem_model.rho_a_["LOY"] == pytest.approx(0.8761, abs=5e-5)
    assert np.isnan(csem_model.rho_a_["IMAG"])  # rho_A is for mode A blocks
    published_loadings = {"imag1": 0.6306, "qual2": 0.9244, "val3": 0.6763, "sat1": 0.9243, "loy4": 0.4917}
    for item, value in published_loadings.items():
        assert csem_model.loadings_[item] == pytest.approx(value, abs=5e-5)
    published_weights = {"imag1": 0.0156, "qual4": 0.1037, "sat3": 0.2474, "loy1": 0.3834}
    for item, value in published_weights.items():
        assert csem_model.outer_weights_[item] == pytest.approx(value, abs=5e-5)
    total = csem_model.total_effects_
    assert total.loc["LOY", "IMAG"] == pytest.approx(0.4840, abs=5e-5)
    assert total.loc["SAT", "EXPE"] == pytest.approx(0.5001, abs=5e-5)


@pytest.mark.slow
def test_plsc_recovers_simulated_paths_where_pls_does_not():
    data, blocks, paths, truth = simulated_survey(3049, seed=2024)
    inside = {}
    for consistent in (True, False):
        model = PLSPM(blocks, paths, consistent=consistent).fit(data)
        boot = model.bootstrap(300, seed=1, bca=False).loc["path"]
        inside[consistent] = sum(boot.loc[p, "perc_lo"] <= v <= boot.loc[p, "perc_hi"] for p, v in truth.items())
    assert inside[True] == 9  # all nine true paths inside the PLSc 95% intervals
    assert inside[False] <= 5  # PLS is attenuated on common-factor data


def test_plsc_bootstrap_has_bca_and_rho_a(bank, adanco_model):
    boot = adanco_model.bootstrap(100, seed=3, bca=True)
    assert {"rho_a", "path"} <= set(boot.index.get_level_values("kind"))
    row = boot.loc[("path", "Satisfaction -> Loyalty")]
    assert row.perc_lo < row.estimate < row.perc_hi and row.bca_lo < row.bca_hi
    assert boot.attrs["n_boot"] + boot.attrs["n_failed"] == 100
