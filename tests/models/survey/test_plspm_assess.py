"""Inner VIF, HTMT with its interval, Q-squared by blindfolding, PLSpredict and multi-group analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survey_reference import simulated_survey

from loyalscope.errors import InsufficientDataError
from loyalscope.models.survey.plspm import PLSPM
from loyalscope.models.survey.plspm_assess import (
    htmt_interval,
    inner_vif,
    pls_predict,
    q2_blindfolding,
)
from loyalscope.models.survey.plspm_mga import permutation_test
from loyalscope.models.survey.plspm_spec import ecsi_spec


@pytest.fixture(scope="module")
def ecsi(bank) -> PLSPM:
    spec = ecsi_spec()
    return PLSPM(spec.blocks, spec.paths, scaled=True, tol=1e-10, maxiter=300).fit(bank)


def test_inner_vif_matches_csem_readme(csem_model):
    vif = inner_vif(csem_model).set_index(["target", "source"]).vif
    published = {("VAL", "EXPE"): 3.2928, ("VAL", "QUAL"): 3.2928, ("SAT", "EXPE"): 3.2985, ("SAT", "QUAL"): 4.4151,
                 ("SAT", "IMAG"): 1.7280, ("SAT", "VAL"): 2.6726, ("LOY", "IMAG"): 1.9345, ("LOY", "SAT"): 1.9345}
    for key, value in published.items():
        assert vif[key] == pytest.approx(value, abs=5e-5), key


def test_htmt_matches_adanco_and_has_an_interval(ecsi):
    # ADANCO 2.2.1 HTMT of the bank data (cSEM tests/comparisons)
    published = {("Image", "Expectations"): 0.6438293156538138, ("Expectations", "Quality"): 0.9819025602630505,
                 ("Value", "Satisfaction"): 0.9293178296067206, ("Satisfaction", "Loyalty"): 0.7432488514821056,
                 ("Image", "Loyalty"): 0.7190520499716903}
    table = htmt_interval(ecsi, n_boot=200, seed=5)
    got = table.set_index(["lv_1", "lv_2"])
    for key, value in published.items():
        assert got.loc[key, "htmt"] == pytest.approx(value, abs=1e-8)
    assert np.all(table.lower <= table.htmt) and np.all(table.htmt <= table.upper)
    # Expectations-Quality (0.98) fails HTMT_inference's 0.90 cut, Image-Expectations passes
    assert not got.loc[("Expectations", "Quality"), "below_090"] and got.loc[("Image", "Expectations"), "below_090"]
    again = htmt_interval(ecsi, n_boot=200, seed=5)
    pd.testing.assert_frame_equal(table, again)


def _blindfold_loop(model: PLSPM, data: pd.DataFrame, lv: str, distance: int) -> float:
    """Q-squared of ``lv`` by an explicit loop of refits (independent of the batched code)."""
    cols = model.blocks[lv]
    block = data[cols].to_numpy(float)
    n, k = block.shape
    preds = [a for a, b in model._edges if b == lv]
    sse = sso = 0.0
    for d in range(distance):
        mask = (np.arange(n * k).reshape(n, k) % distance) == d
        filled = block.copy()
        for m in range(k):
            filled[mask[:, m], m] = block[~mask[:, m], m].mean()
        fitted = PLSPM(model.blocks, model.paths, scheme=model.scheme, scaled=model.scaled, tol=model.tol,
                       maxiter=model.maxiter, consistent=False).fit(data.assign(**dict(zip(cols, filled.T, strict=True))))
        y_hat = sum(fitted.path_coefs_.loc[lv, p] * fitted.scores_[p].to_numpy() for p in preds)
        for m, c in enumerate(cols):
            x_hat = filled[:, m].mean() + filled[:, m].std() * fitted.loadings_[c] * y_hat
            sse += float(((block[:, m] - x_hat)[mask[:, m]] ** 2).sum())
            sso += float(((block[:, m] - block[:, m].mean())[mask[:, m]] ** 2).sum())
    return 1.0 - sse / sso


def test_q2_blindfolding_matches_a_loop_of_refits(bank, ecsi):
    table = q2_blindfolding(ecsi, distance=7).set_index("lv")
    assert list(table.index) == ["Expectations", "Quality", "Value", "Satisfaction", "Loyalty"]
    for lv in ("Expectations", "Loyalty"):
        assert table.loc[lv, "q2"] == pytest.approx(_blindfold_loop(ecsi, bank, lv, 7), rel=1e-8)
    assert np.all(table.q2 > 0)  # the model has predictive relevance for every endogenous construct
    with pytest.raises(ValueError, match="omission distance"):
        q2_blindfolding(ecsi, distance=5)  # 250 respondents: 5 divides 250


def test_q2_is_near_zero_on_unrelated_constructs():
    rng = np.random.default_rng(1)
    f = rng.standard_normal((400, 2))
    items = {f"a{i}": f[:, 0] + 0.6 * rng.standard_normal(400) for i in range(3)}
    items |= {f"b{i}": f[:, 1] + 0.6 * rng.standard_normal(400) for i in range(3)}
    model = PLSPM({"A": ["a0", "a1", "a2"], "B": ["b0", "b1", "b2"]}, ["A -> B"]).fit(pd.DataFrame(items))
    assert abs(q2_blindfolding(model, distance=7).q2.iloc[0]) < 0.02


def test_pls_predict_against_an_independent_fold_computation(bank, ecsi):
    out = pls_predict(ecsi, folds=5, repeats=1, seed=8).set_index("item")
    assert set(out.index) == {c for lv in ("Expectations", "Quality", "Value", "Satisfaction", "Loyalty")
                              for c in ecsi.blocks[lv]}
    assert np.all(out.q2_predict > 0)  # as in cSEM's README on these data
    # independent: the LM benchmark and the PLS prediction of sat1, fold by fold
    n = len(bank)
    fold = np.random.default_rng(8).permutation(n) % 5
    exo_items = ecsi.blocks["Image"]
    err_lm, err_pls = [], []
    for f in range(5):
        train, test = bank[fold != f], bank[fold == f]
        design = np.column_stack([np.ones(len(train)), train[exo_items]])
        beta = np.linalg.lstsq(design, train["sat1"], rcond=None)[0]
        err_lm.append(test["sat1"] - np.column_stack([np.ones(len(test)), test[exo_items]]) @ beta)
        fitted = PLSPM(ecsi.blocks, ecsi.paths, scaled=True, tol=ecsi.tol, maxiter=ecsi.maxiter,
                       consistent=False).fit(train.reset_index(drop=True))
        z = (test[exo_items] - train[exo_items].mean()) / train[exo_items].std(ddof=0)
        image = z.to_numpy() @ fitted.outer_weights_[exo_items].to_numpy()
        sat_hat = fitted.total_effects_.loc["Satisfaction", "Image"] * image
        slope = train["sat1"].std(ddof=0) * fitted.loadings_["sat1"]
        err_pls.append(test["sat1"] - (train["sat1"].mean() + slope * sat_hat))
    assert out.loc["sat1", "rmse_lm"] == pytest.approx(np.sqrt((np.concatenate(err_lm) ** 2).mean()), rel=1e-10)
    assert out.loc["sat1", "rmse_pls"] == pytest.approx(np.sqrt((np.concatenate(err_pls) ** 2).mean()), rel=1e-6)


def test_mga_finds_a_real_group_difference_and_matches_a_loop():
    a, blocks, paths, _ = simulated_survey(300, seed=1)
    b, *_ = simulated_survey(300, seed=2)
    b = b.assign(q_loy1=b.q_loy1.sample(frac=1, random_state=0).to_numpy(),  # break LOY in group b
                 q_loy2=b.q_loy2.sample(frac=1, random_state=1).to_numpy(),
                 q_loy3=b.q_loy3.sample(frac=1, random_state=2).to_numpy())
    data = pd.concat([a, b], ignore_index=True)
    groups = np.repeat(["north", "south"], 300)
    model = PLSPM(blocks, paths).fit(data)
    out = permutation_test(model, groups, n_perm=200, seed=4).set_index("path")
    assert out.loc["sat -> loy", "p_value"] < 0.01 and out.loc["sat -> loy", "diff"] > 0.3
    assert out.loc["imag -> expe", "p_value"] > 0.01  # same process in both groups
    # reproduce two p-values with an explicit loop of refits on the same permutations
    small = permutation_test(model, groups, n_perm=20, seed=4).set_index("path")
    rng = np.random.default_rng(4)
    both = pd.concat([data[groups == "north"], data[groups == "south"]], ignore_index=True)
    diffs = []
    for _ in range(20):
        perm = rng.permutation(600)
        one = PLSPM(blocks, paths).fit(both.iloc[perm[:300]].reset_index(drop=True)).path_dict()
        two = PLSPM(blocks, paths).fit(both.iloc[perm[300:]].reset_index(drop=True)).path_dict()
        diffs.append({p: one[p] - two[p] for p in one})
    for p in ("sat -> loy", "qual -> sat"):
        observed = small.loc[p, "diff"]
        count = sum(abs(d[p]) >= abs(observed) - 1e-12 for d in diffs)
        assert small.loc[p, "p_value"] == pytest.approx((1 + count) / 21)
    with pytest.raises(InsufficientDataError):
        permutation_test(model, np.r_[np.repeat("a", 590), np.repeat("b", 10)], n_perm=10)
