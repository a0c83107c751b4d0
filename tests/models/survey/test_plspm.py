"""PLS path modelling against R plspm's published results and simulated surveys.

Published values: Sanchez (2013), "PLS Path Modeling with R", ECSI model of the ``satisfaction``
bank data (tests/data/README.md): mode A, centroid scheme, scaled = FALSE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.errors import ConfigError, NotFittedError
from loyalscope.models.survey.plspm import PLSPM, NegativeWeightError
from loyalscope.models.survey.plspm_spec import ecsi_spec

PUBLISHED_PATHS = {
    "Image -> Expectations": 0.5790, "Image -> Satisfaction": 0.2007, "Image -> Loyalty": 0.2751,
    "Expectations -> Quality": 0.8483, "Expectations -> Value": 0.1055,
    "Expectations -> Satisfaction": -0.0028, "Quality -> Value": 0.6767,
    "Quality -> Satisfaction": 0.1221, "Value -> Satisfaction": 0.5893,
    "Satisfaction -> Loyalty": 0.4955,
}
PUBLISHED_R2 = {"Expectations": 0.3352, "Quality": 0.7197, "Value": 0.5901, "Satisfaction": 0.7073,
                "Loyalty": 0.5099}
PUBLISHED_GOF = 0.609741624338411


@pytest.fixture(scope="module")
def bank_model(bank) -> PLSPM:
    return PLSPM.from_spec(ecsi_spec(), consistent=False).fit(bank)  # plain PLS: plspm's published results


@pytest.mark.parametrize("path", sorted(PUBLISHED_PATHS))
def test_bank_paths_match_plspm(bank_model, path) -> None:
    assert bank_model.path_dict()[path] == pytest.approx(PUBLISHED_PATHS[path], abs=1e-4)


@pytest.mark.parametrize("lv", sorted(PUBLISHED_R2))
def test_bank_r2_matches_plspm(bank_model, lv) -> None:
    assert bank_model.r2_[lv] == pytest.approx(PUBLISHED_R2[lv], abs=1e-4)


def test_bank_gof_matches_plspm(bank_model) -> None:
    assert bank_model.gof_ == pytest.approx(PUBLISHED_GOF, abs=1e-6)


def test_scores_are_standardised_and_loadings_are_correlations(bank, bank_model) -> None:
    scores = bank_model.scores_
    np.testing.assert_allclose(scores.mean(), 0, atol=1e-10)
    np.testing.assert_allclose(scores.std(ddof=0), 1, atol=1e-10)
    for item in ("imag1", "sat3", "loy4"):
        lv = bank_model.lv_of_[item]
        assert bank_model.loadings_[item] == pytest.approx(np.corrcoef(bank[item], scores[lv])[0, 1])


def test_total_effect_is_sum_over_routes(bank_model) -> None:
    p = bank_model.path_dict()
    via_value = p["Expectations -> Value"] + p["Expectations -> Quality"] * p["Quality -> Value"]
    expected = (p["Image -> Satisfaction"]
                + p["Image -> Expectations"] * (p["Expectations -> Satisfaction"]
                                                + p["Expectations -> Quality"] * p["Quality -> Satisfaction"]
                                                + via_value * p["Value -> Satisfaction"]))
    assert bank_model.total_effects_.loc["Satisfaction", "Image"] == pytest.approx(expected)
    assert bank_model.summary().loc["Image -> Satisfaction", "indirect"] == pytest.approx(
        expected - p["Image -> Satisfaction"])


def test_redundancy_is_communality_times_r2(bank_model) -> None:
    assert bank_model.redundancy_["sat1"] == pytest.approx(
        bank_model.communality_["sat1"] * bank_model.r2_["Satisfaction"])
    assert bank_model.redundancy_["imag1"] == 0


def test_index_is_weighted_mean_on_0_100(bank, bank_model) -> None:
    index = bank_model.index(0, 10)
    w = bank_model.outer_weights_[["sat1", "sat2", "sat3", "sat4"]]
    mean = (w / w.sum() * bank[w.index].mean()).sum()
    assert index["Satisfaction"] == pytest.approx(mean * 10)
    assert ((index > 0) & (index < 100)).all()


def _simulate(n: int = 2000, seed: int = 7, reverse: bool = False) -> pd.DataFrame:
    """Three LVs, X -> M (0.5), X -> Y (0.3), M -> Y (0.4), all with unit variance."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    m = 0.5 * x + np.sqrt(1 - 0.25) * rng.standard_normal(n)
    r2_y = 0.3 ** 2 + 0.4 ** 2 + 2 * 0.3 * 0.4 * 0.5
    y = 0.3 * x + 0.4 * m + np.sqrt(1 - r2_y) * rng.standard_normal(n)
    cols = {}
    for name, lv in (("x", x), ("m", m), ("y", y)):
        for i, lam in enumerate((0.95, 0.95, 0.97), start=1):
            cols[f"{name}{i}"] = lam * lv + np.sqrt(1 - lam ** 2) * rng.standard_normal(n)
    if reverse:
        cols["m3"] = -cols["m3"]
    return pd.DataFrame(cols)


SIM_BLOCKS = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2", "m3"], "Y": ["y1", "y2", "y3"]}
SIM_PATHS = ["X -> M", "X -> Y", "M -> Y"]


@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
@pytest.mark.parametrize("mode", ["A", "B"])
def test_recovers_simulated_paths(scheme, mode) -> None:
    model = PLSPM(SIM_BLOCKS, SIM_PATHS, modes={lv: mode for lv in SIM_BLOCKS}, scheme=scheme).fit(_simulate())
    got = model.path_dict()
    for path, true in {"X -> M": 0.5, "X -> Y": 0.3, "M -> Y": 0.4}.items():
        assert got[path] == pytest.approx(true, abs=0.05), path


def test_bootstrap_is_deterministic_and_covers_estimate(bank_model) -> None:
    a = bank_model.bootstrap(200, seed=11)
    b = bank_model.bootstrap(200, seed=11)
    pd.testing.assert_frame_equal(a, b)
    paths = a.loc["path"]
    assert ((paths.perc_lo <= paths.estimate) & (paths.estimate <= paths.perc_hi)).all()
    assert ((paths.bca_lo <= paths.estimate) & (paths.estimate <= paths.bca_hi)).all()
    assert a.loc[("gof", "GoF"), "estimate"] == pytest.approx(PUBLISHED_GOF)
    c = bank_model.bootstrap(200, seed=12)
    assert not np.allclose(a.perc_lo, c.perc_lo)


def test_bootstrap_se_matches_loop_of_refits(bank, bank_model) -> None:
    """The batched bootstrap equals refitting each resample one by one."""
    table = bank_model.bootstrap(5, seed=3)
    rng = np.random.default_rng(3)
    draws = rng.integers(0, len(bank), size=(5, len(bank)))
    gofs = [PLSPM.from_spec(ecsi_spec(), consistent=False).fit(bank.iloc[d].reset_index(drop=True)).gof_ for d in draws]
    assert table.loc[("gof", "GoF"), "boot_mean"] == pytest.approx(np.mean(gofs), abs=1e-12)


def test_negative_weight_makes_index_fail() -> None:
    model = PLSPM(SIM_BLOCKS, SIM_PATHS).fit(_simulate(n=500, reverse=True))
    assert model.outer_weights_["m3"] < 0
    with pytest.raises(NegativeWeightError, match="m3"):
        model.index(-3, 3)


def test_unfitted_and_bad_inputs() -> None:
    with pytest.raises(NotFittedError):
        PLSPM(SIM_BLOCKS, SIM_PATHS).summary()
    with pytest.raises(ConfigError, match="x9"):
        PLSPM({**SIM_BLOCKS, "X": ["x1", "x9"]}, SIM_PATHS).fit(_simulate(n=100))
    with pytest.raises(ConfigError, match="scheme"):
        PLSPM(SIM_BLOCKS, SIM_PATHS, scheme="mean").fit(_simulate(n=100))


def test_scaled_model_is_invariant_to_item_units() -> None:
    data = _simulate(n=400)
    base = PLSPM(SIM_BLOCKS, SIM_PATHS).fit(data)
    changed = data.assign(m2=3 * data.m2 + 7)
    other = PLSPM(SIM_BLOCKS, SIM_PATHS).fit(changed)
    assert other.gof_ == pytest.approx(base.gof_, abs=1e-9)
    assert other.path_dict()["X -> M"] == pytest.approx(base.path_dict()["X -> M"], abs=1e-9)


def test_unscaled_model_weights_follow_item_variance(bank) -> None:
    """scaled=False only centres: one item's unit matters, a common unit does not."""
    spec = ecsi_spec()
    base = PLSPM.from_spec(spec).fit(bank)
    items = [c for cols in spec.blocks.values() for c in cols]
    common = PLSPM.from_spec(spec).fit(bank.assign(**{c: 2 * bank[c] + 1 for c in items}))
    # equal up to the stopping rule, whose tolerance applies to unnormalised weights
    assert common.gof_ == pytest.approx(base.gof_, abs=1e-6)
    assert common.outer_weights_["imag1"] == pytest.approx(base.outer_weights_["imag1"] / 2, rel=1e-5)
    one = PLSPM.from_spec(spec).fit(bank.assign(imag1=5 * bank.imag1))
    assert abs(one.loadings_["imag1"] - base.loadings_["imag1"]) > 1e-3
    std = PLSPM(spec.blocks, spec.paths, scaled=True).fit(bank)
    assert abs(std.gof_ - base.gof_) > 1e-4


def test_index_with_standardised_data_uses_unstandardised_weights(bank) -> None:
    spec = ecsi_spec()
    model = PLSPM(spec.blocks, spec.paths, scaled=True).fit(bank)
    items = spec.blocks["Loyalty"]
    w = model.outer_weights_[items] / bank[items].std(ddof=0)
    expected = ((w / w.sum()) * bank[items].mean()).sum() * 10
    assert model.index(0, 10)["Loyalty"] == pytest.approx(expected)


def test_fit_returns_self() -> None:
    model = PLSPM(SIM_BLOCKS, SIM_PATHS)
    assert model.fit(_simulate(n=200)) is model


def test_bootstrap_in_small_chunks_equals_one_batch(bank_model, monkeypatch) -> None:
    """Resample counts, row products, refits (and the BCa jackknife) are built block by block,
    never all at once: the block sizes change memory, not the table."""
    from loyalscope.models.survey import moments, plspm_bootstrap

    bank_model._resample_cache_.clear()
    one = bank_model.bootstrap(40, seed=5, bca=True)
    monkeypatch.setattr(moments, "COUNT_CELLS", 3 * len(bank_model._raw_))  # 3 resamples a batch
    monkeypatch.setattr(moments, "BLOCK_CELLS", 700)  # a few rows of products at a time
    monkeypatch.setattr(plspm_bootstrap, "_FIT_CELLS", 7 * bank_model._raw_.shape[1] ** 2)
    bank_model._resample_cache_.clear()
    chunked = bank_model.bootstrap(40, seed=5, bca=True)
    pd.testing.assert_frame_equal(chunked, one, check_exact=False, rtol=1e-12)
    assert chunked.attrs == one.attrs


@pytest.mark.parametrize("consistent", [False, True])
def test_every_bootstrap_parameter_matches_a_loop_of_refits(bank, consistent) -> None:
    """Mean and standard error of every bootstrapped parameter (paths, weights, loadings, R2, GoF,
    rho_A) equal those of refitting the model on the rows ``data[draws[b]]`` one by one."""
    spec = ecsi_spec()
    model = PLSPM(spec.blocks, spec.paths, scaled=True, consistent=consistent).fit(bank)
    table = model.bootstrap(8, seed=21, bca=False)
    draws = np.random.default_rng(21).integers(0, len(bank), size=(8, len(bank)))
    fits = [PLSPM(spec.blocks, spec.paths, scaled=True, consistent=consistent).fit(
        bank.iloc[d].reset_index(drop=True)) for d in draws]
    kept = [f for f in fits if f.admissible_]  # inadmissible PLSc resamples are dropped
    assert table.attrs["n_failed"] == len(fits) - len(kept) and len(kept) >= 4
    fits = kept
    loop = {("path", p): [f.path_dict()[p] for f in fits] for p in fits[0].path_dict()}
    loop |= {("weight", c): [f.outer_weights_[c] for f in fits] for c in ("imag1", "sat4", "loy2")}
    loop |= {("loading", c): [f.loadings_[c] for f in fits] for c in ("expe3", "val1", "qual5")}
    loop |= {("r2", lv): [f.r2_[lv] for f in fits] for lv in fits[0].r2_.index}
    loop |= {("gof", "GoF"): [f.gof_ for f in fits]}
    loop |= {("rho_a", lv): [f.rho_a_[lv] for f in fits] for lv in ("Image", "Loyalty")}
    for key, values in loop.items():
        assert table.loc[key, "boot_mean"] == pytest.approx(np.mean(values), abs=1e-10), key
        assert table.loc[key, "std_error"] == pytest.approx(np.std(values, ddof=1), abs=1e-10), key


def test_bca_jackknife_matches_leave_one_out_refits(bank_model) -> None:
    """The jackknife behind BCa's acceleration equals refitting without each respondent."""
    from loyalscope.models.survey.plspm_bootstrap import _jackknife

    jack = _jackknife(bank_model)
    assert jack.shape[0] == len(bank_model._raw_)
    spec = ecsi_spec()
    data = pd.DataFrame(bank_model._raw_, columns=bank_model._mvs)
    for i in (0, 117, len(data) - 1):
        fit = PLSPM.from_spec(spec, consistent=False).fit(data.drop(index=i).reset_index(drop=True))
        np.testing.assert_allclose(jack[i, :len(spec.paths)], list(fit.path_dict().values()), atol=1e-10)
        assert jack[i, -7] == pytest.approx(fit.gof_, abs=1e-10)  # GoF precedes the six rho_A
